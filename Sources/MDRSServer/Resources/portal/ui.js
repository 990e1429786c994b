// Small DOM helpers. Text always goes in as text (never as HTML), so nothing from the chain or
// the gateway can inject markup.

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function table(headings, rows, empty = "Nothing yet.") {
  if (rows.length === 0) return el("p", { class: "muted" }, empty);
  return el("table", {},
    el("thead", {}, el("tr", {}, headings.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((c) => el("td", {}, c))))));
}

export function short(hex) {
  return typeof hex === "string" && hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : String(hex);
}

export function mono(text, full = false) {
  return el("span", { class: "mono", title: text }, full ? text : short(text));
}

export function time(unixSeconds) {
  // Anyone can put any number in a grant's expiry: beyond what a Date holds, say so.
  if (!Number.isFinite(unixSeconds) || unixSeconds < 0 || unixSeconds > 8.64e12) return "far in the future";
  return new Date(unixSeconds * 1000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

/** HL7 v3 PurposeOfUse, as the gateway numbers them. */
export const purposes = [
  [1, "TREAT", "treatment"], [2, "ETREAT", "emergency treatment"], [3, "HOPERAT", "healthcare operations"],
  [4, "HPAYMT", "healthcare payment"], [5, "HRESCH", "research"], [6, "PUBHLTH", "public health"],
  [7, "PATRQT", "requested by the patient"], [8, "HLEGAL", "legal"],
];

export function purposeText(number) {
  const match = purposes.find(([n]) => n === number);
  return match ? `${match[2]} (${match[1]})` : `purpose ${number}`;
}

/** Outcome numbers of the on-chain access log (docs/decisions.md §3). */
const outcomes = {
  1: "served", 2: "signature invalid", 3: "request stale", 4: "nonce reused", 5: "unknown grant", 6: "not the grantee",
  7: "grant revoked", 8: "grant expired", 9: "staff not registered", 10: "address invalid", 11: "address of another record",
  12: "record not found", 13: "record erased", 14: "record conflict", 15: "another hospital's record",
  16: "registration changed", 20: "opened in an emergency, without consent", 21: "unknown emergency", 22: "not the emergency's declarant",
  23: "emergency window closed", 24: "not for emergency treatment", 25: "the patient refuses emergency access", 26: "justification mismatch",
  254: "served without a grant on the chain (incident)", 255: "refused",
};

/** Why a member of staff broke the glass: the reason codes a declaration carries on-chain. */
export const emergencyReasons = [
  [1, "the patient cannot consent (unconscious or incapacitated)"], [2, "a life-threatening emergency"],
  [3, "urgent care while the patient cannot be reached"], [4, "another emergency (say which in the justification)"],
];

export function emergencyReasonText(code) {
  const match = emergencyReasons.find(([n]) => n === code);
  return match ? match[1] : `reason ${code}`;
}

export function outcomeText(number) {
  return outcomes[number] || `refused (${number})`;
}

export function purposeSelect(id) {
  return el("select", { id }, purposes.map(([n, code, words]) => el("option", { value: String(n) }, `${words} (${code})`)));
}

export function isAddress(text) {
  return /^0x[0-9a-fA-F]{40}$/.test(text.trim());
}

export function isBytes32(text) {
  return /^0x[0-9a-fA-F]{64}$/.test(text.trim());
}

/** The document types a record may be (LOINC document codes), as the gateway takes them. */
export const documentTypes = [
  ["18842-5", "Discharge summary"], ["18748-4", "Diagnostic imaging study"], ["11502-2", "Laboratory report"],
  ["11506-3", "Progress note"], ["34117-2", "History and physical note"], ["11488-4", "Consult note"],
  ["57133-1", "Referral note"], ["28570-0", "Procedure note"], ["11504-8", "Surgical operation note"],
  ["60591-5", "Patient summary"], ["34133-9", "Summary of episode note"],
];

export function documentTypeText(code) {
  const match = documentTypes.find(([c]) => c === code);
  return match ? match[1] : `document type ${code}`;
}

/**
 * A record as a person reads it: its title, kind and date when its hospital told us
 * (`summary`, a DocumentSummary), with the record id one click away; else the short id.
 */
export function documentCell(summary, recordId) {
  if (!summary || !summary.document) return mono(recordId);
  const kind = [summary.typeDisplay, summary.document.serviceDate].filter(Boolean).join(", ");
  return el("details", { class: "document" },
    el("summary", {}, summary.document.title, kind ? el("span", { class: "muted" }, ` (${kind})`) : ""),
    el("span", { class: "mono" }, recordId));
}
