// The doctor: my grants, asking a patient for access, and downloading a granted record through
// a single-use signed URL, checked against its on-chain fingerprint before it is called good.

import { addressWord, topics } from "../abi.js";
import { gatewayOf } from "../consortium.js";
import { readDirectory } from "../directory.js";
import { streamDownload, supported as streamingSupported } from "../download.js";
import { explain } from "../errors.js";
import { encryptedAddressOf, recordDocument, signedFetchURL, GatewayError } from "../gateway.js";
import { readPeople } from "../people.js";
import { sha256OfBlob, sha256OfText } from "../sha256.js";
import { documentCell, el, emergencyReasons, isBytes32, mono, purposeSelect, table, time } from "../ui.js";

export const title = "Doctor";
export const intro = "See the grants patients gave you at every hospital, ask for access, download granted records from the hospital that holds them, and, if your hospital allows you, break the glass in an emergency.";

/** Records up to this size can be previewed inline; larger ones are only downloaded. */
const PREVIEW_LIMIT = 16 << 20;
/** Exactly these media types (the essence of the record's Content-Type) are shown. */
const PREVIEWABLE = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"]);

export async function render({ info, wallet, main, notify, guarded }) {
  const me = addressWord(wallet.account);
  const [directory, granted, revoked, latest, anchored] = await Promise.all([
    readDirectory(wallet),
    wallet.events([topics.Granted, null, me]),
    wallet.events([topics.Revoked, null, me]),
    wallet.request("eth_getBlockByNumber", ["latest", false]),
    wallet.events([topics.RecordAnchored]),
  ]);
  const people = await readPeople(wallet, info, directory);
  const holder = new Map(anchored.map((a) => [a.recordId.toLowerCase(), a.custodian]));
  const chainNow = Number(BigInt(latest.timestamp));
  const revokedTokens = new Set(revoked.map((e) => e.token));
  const output = el("div", { id: "download-result" });
  let previewURL = null;

  /** The record's anchor, which names its hospital, fingerprint and encrypted address. */
  async function anchorOf(recordId) {
    return wallet.view("getRecord", { recordId });
  }

  /** A single-use signed URL at the gateway of the hospital that holds the record. */
  async function linkFor(grant, purpose, anchor) {
    const gateway = await gatewayOf(wallet, info, anchor.custodian);
    const path = await signedFetchURL(gateway.info, wallet, {
      token: grant.token, encryptedAddress: encryptedAddressOf(anchor), purpose, justification: grant.justification || null,
    });
    return { url: gateway.base + path, gateway };
  }

  function showRefusal(error) {
    output.replaceChildren(el("p", { class: "error-text", role: "alert", id: "download-status" }, explain(error)));
  }

  function mib(bytes) {
    return (bytes / 1048576).toFixed(bytes < 10485760 ? 1 : 0);
  }

  async function download(grant, purpose) {
    output.replaceChildren(el("p", { class: "muted" }, "Preparing a single-use download link…"));
    const anchor = await anchorOf(grant.recordId);
    let link;
    try {
      link = await linkFor(grant, purpose, anchor);
    } catch (error) {
      showRefusal(error);
      return;
    }
    const summary = titles.get(grant.token);
    const fileName = summary?.document?.fileName || `${grant.recordId.slice(2, 18)}.bin`;
    const held = link.gateway.name || directory.hospitalName(anchor.custodian);
    const verifier = el("input", { type: "file", id: "verify-file", "aria-label": "the downloaded file" });
    const verdict = el("p", { id: "verify-result" });
    verifier.addEventListener("change", () => guarded(async () => {
      const file = verifier.files[0];
      verdict.replaceChildren(el("span", { class: "muted" }, "Computing the file's SHA-256…"));
      const sha256 = await sha256OfBlob(file);
      verdict.replaceChildren(sha256 === anchor.contentHash.toLowerCase()
        ? el("span", { class: "ok" }, `Verified: the file matches the record's fingerprint on the blockchain (${sha256}).`)
        : el("span", { class: "bad" }, `Do not use this file: its SHA-256 ${sha256} differs from the record's fingerprint ${anchor.contentHash}.`));
    }, verdict));
    const bar = el("progress", { id: "download-progress", max: "1", value: "0" });
    const status = el("p", { id: "download-status" }, `Downloading from ${held}'s gateway…`);
    output.replaceChildren(status, bar,
      el("dl", { class: "facts" },
        el("dt", {}, "document"), el("dd", {}, summary?.document?.title || "—"),
        el("dt", {}, "held by"), el("dd", {}, `${held}${link.gateway.base ? ` (${link.gateway.base})` : " (this gateway)"}`),
        el("dt", {}, "record"), el("dd", { class: "mono" }, grant.recordId),
        el("dt", {}, "fingerprint (SHA-256, on-chain)"), el("dd", { class: "mono" }, anchor.contentHash)),
      verdict, el("label", { for: "verify-file" }, "Check a downloaded file again"), verifier);
    if (!streamingSupported()) {
      if (link.gateway.base) {
        showRefusal(new Error("This browser cannot download from another hospital's gateway here. Use `mdrs fetch` with the grant's token."));
        return;
      }
      // A plain browser download through a hidden frame (no progress, no automatic check).
      document.body.append(el("iframe", { hidden: true, title: "download", src: link.url }));
      status.textContent = "The download has started. When it has finished, choose the file to check it against the blockchain.";
      return;
    }
    const started = performance.now();
    let result;
    try {
      result = await streamDownload(link.url, fileName, (done, total) => {
        const seconds = (performance.now() - started) / 1000;
        const rate = seconds > 0 ? done / seconds : 0;
        bar.value = total ? done / total : 0;
        const left = total && rate > 0 ? ` · ${Math.ceil((total - done) / rate)} s left` : "";
        status.textContent = `Downloading from ${held}'s gateway: ${mib(done)} of ${total ? mib(total) : "?"} MiB · ${mib(rate)} MiB/s${left}`;
      });
    } catch (error) {
      showRefusal(error);
      return;
    }
    bar.value = 1;
    status.textContent = `Downloaded ${result.size} bytes from ${held}'s gateway as ${fileName}.`;
    verdict.replaceChildren(result.sha256 === anchor.contentHash.toLowerCase()
      ? el("span", { class: "ok" }, `Verified: the file matches the record's fingerprint on the blockchain (${result.sha256}).`)
      : el("span", { class: "bad" }, `Do not use this file: its SHA-256 ${result.sha256} differs from the record's fingerprint ${anchor.contentHash}.`));
  }

  async function preview(grant, purpose) {
    output.replaceChildren(el("p", { class: "muted" }, "Fetching the record for a preview…"));
    const anchor = await anchorOf(grant.recordId);
    const { url } = await linkFor(grant, purpose, anchor);
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      throw new GatewayError(response.status, body && body.error ? body.error.code : "http_" + response.status, "");
    }
    const size = Number(response.headers.get("Content-Length") || NaN);
    const type = (response.headers.get("Content-Type") || "").split(";")[0].trim().toLowerCase();
    if (!(size <= PREVIEW_LIMIT) || !PREVIEWABLE.has(type)) {
      await response.body.cancel();
      output.replaceChildren(el("p", {}, "This record is too large or of a kind that cannot be shown here: download it instead."));
      return;
    }
    const blob = await response.blob();
    const sha256 = await sha256OfBlob(blob);
    if (sha256 !== anchor.contentHash.toLowerCase()) {
      output.replaceChildren(el("p", { class: "bad", role: "alert" }, "The record does not match its fingerprint on the blockchain; it is not shown."));
      return;
    }
    if (previewURL) URL.revokeObjectURL(previewURL);
    const local = URL.createObjectURL(new Blob([blob], { type }));
    previewURL = local;
    let shown;
    if (type.startsWith("image/")) shown = el("img", { src: local, alt: "the record" });
    else if (type.startsWith("application/pdf")) shown = el("iframe", { src: local, title: "the record", width: "100%", height: "480" });
    else shown = el("pre", {}, await blob.text());
    output.replaceChildren(el("p", { class: "ok", id: "preview-status" }, `Verified against the blockchain (${sha256}).`), el("div", { class: "preview" }, shown));
  }

  // What each granted record is: read on request, from the record's hospital, one signed
  // request per active grant (a wallet asks once for each).
  const titles = new Map();
  const titleCells = new Map();
  async function showTitles(button) {
    button.disabled = true;
    const active = granted.filter((g) => !revokedTokens.has(g.token) && g.expiresAt > chainNow);
    for (const g of active) {
      try {
        const anchor = await anchorOf(g.recordId);
        const gateway = await gatewayOf(wallet, info, anchor.custodian);
        const summary = await recordDocument(gateway.base, gateway.info, wallet, g.recordId, g.token);
        titles.set(g.token, summary);
        titleCells.get(g.token)?.replaceChildren(documentCell(summary, g.recordId));
      } catch (error) {
        titleCells.get(g.token)?.append(el("span", { class: "muted" }, ` (${explain(error)})`));
      }
    }
    button.textContent = "Titles shown";
  }

  const rows = [];
  for (const g of granted.slice().reverse()) {
    const state = revokedTokens.has(g.token) ? "revoked" : g.expiresAt <= chainNow ? "expired" : "active";
    const purpose = purposeSelect(`purpose-${g.token}`);
    purpose.setAttribute("aria-label", "purpose of use");
    const actions = el("span", { class: "row" }, purpose,
      el("button", { type: "button", dataset: { action: "download", token: g.token }, onclick: () => guarded(() => download(g, Number(purpose.value)), output) }, "Download"),
      el("button", { type: "button", class: "secondary", dataset: { action: "preview", token: g.token }, onclick: () => guarded(() => preview(g, Number(purpose.value)), output) }, "Preview"));
    const cell = el("span", { dataset: { token: g.token } }, mono(g.recordId));
    titleCells.set(g.token, cell);
    const custodian = holder.get(g.recordId.toLowerCase());
    rows.push([cell, mono(g.patient), custodian ? directory.hospitalName(custodian) : "—", time(g.expiresAt),
      el("span", { class: state === "active" ? "ok" : "muted" }, state), actions]);
  }
  const titlesButton = el("button", { type: "button", class: "secondary", id: "show-titles", onclick: (e) => guarded(() => showTitles(e.target), output) },
    "Show what each record is (your wallet signs one request per active grant)");
  const grantsCard = el("section", { class: "card", id: "my-grants" }, el("h2", {}, "Grants to me"),
    el("p", { class: "muted" }, `Signed in as ${people.name(wallet.account) || wallet.account}. Grants at every hospital of the consortium; each record downloads from the hospital that holds it.`),
    rows.length ? el("p", {}, titlesButton) : "",
    table(["document", "patient", "held by", "expires", "state", ""], rows, "No patient has granted you access yet."), output);

  const recordInput = el("input", { id: "request-record", placeholder: "0x… record id" });
  const requestPurpose = purposeSelect("request-purpose");
  const requestCard = el("section", { class: "card", id: "ask" }, el("h2", {}, "Ask a patient for access"),
    el("p", { class: "muted" }, "The request goes on the blockchain, where the patient's wallet sees it."),
    el("div", { class: "row" },
      el("div", {}, el("label", { for: "request-record" }, "Record"), recordInput),
      el("div", {}, el("label", { for: "request-purpose" }, "Purpose"), requestPurpose),
      el("div", {}, el("button", {
        type: "button", id: "request-button",
        onclick: (e) => {
          if (!isBytes32(recordInput.value)) { notify("Enter a record id: 0x and 64 hex digits.", "error"); return; }
          e.target.disabled = true;
          guarded(async () => {
            await wallet.transact("requestAccess", { recordId: recordInput.value.trim().toLowerCase(), purpose: Number(requestPurpose.value) }, "AccessRequested");
            notify("Your request is on the blockchain; the patient will see it.");
          }).finally(() => { e.target.disabled = false; });
        },
      }, "Ask for access"))));

  // Break-glass: declared on-chain, then the record downloads for emergency treatment only.
  const allowed = await wallet.view("mayDeclareEmergency", { staff: wallet.account });
  const emergencyRecord = el("input", { id: "emergency-record", placeholder: "0x… record id" });
  const emergencyReason = el("select", { id: "emergency-reason" }, emergencyReasons.map(([n, words]) => el("option", { value: String(n) }, words)));
  const emergencyText = el("textarea", { id: "emergency-justification", rows: "3", maxlength: "2000",
    placeholder: "Why you must open this record now, without the patient's consent" });
  const emergencyOutput = el("div", { id: "emergency-result" });
  async function breakGlass(button) {
    const recordId = emergencyRecord.value.trim().toLowerCase();
    const justification = emergencyText.value.trim();
    if (!isBytes32(recordId)) { notify("Enter a record id: 0x and 64 hex digits.", "error"); return; }
    if (!justification) { notify("Write why: the patient and the auditors will read it.", "error"); return; }
    button.disabled = true;
    try {
      await guarded(async () => {
        emergencyOutput.replaceChildren(el("p", { class: "muted" }, "Declaring the emergency on the blockchain…"));
        const { events } = await wallet.transact("declareEmergency", {
          recordId, reason: Number(emergencyReason.value), justification: sha256OfText(justification),
        });
        const refused = events.find((e) => e.name === "EmergencyRefused");
        if (refused) {
          const why = { 1: "the patient refuses emergency access to their records", 2: "the patient allows emergency access only to the staff of the hospital that holds the record", 3: "you have reached today's limit of emergency declarations" }[refused.why] || "refused";
          emergencyOutput.replaceChildren(el("p", { class: "bad", role: "alert", id: "emergency-status" }, `Refused, and logged on the blockchain: ${why}.`));
          return;
        }
        const declared = events.find((e) => e.name === "EmergencyDeclared");
        if (!declared) throw new Error("The declaration went through but the contract did not answer it.");
        emergencyOutput.replaceChildren(el("p", { class: "warn", id: "emergency-status" },
          `Emergency declared: open until ${time(declared.expiresAt)}, for emergency treatment only. The patient and the hospital's auditors will see it.`));
        const emergency = { token: declared.emergency, recordId, justification };
        output.scrollIntoView();
        await download(emergency, 2);
      }, emergencyOutput);
    } finally {
      button.disabled = false;
    }
  }
  const emergencyCard = el("section", { class: "card emergency", id: "break-glass" }, el("h2", {}, "Break the glass (emergency)"),
    allowed
      ? el("div", {},
        el("p", { class: "warn" }, "Only when a patient cannot grant and treatment cannot wait. The declaration is on the blockchain, the patient sees it, and an auditor reviews it."),
        el("div", { class: "row" },
          el("div", {}, el("label", { for: "emergency-record" }, "Record"), emergencyRecord),
          el("div", {}, el("label", { for: "emergency-reason" }, "Reason"), emergencyReason)),
        el("label", { for: "emergency-justification" }, "Justification"), emergencyText,
        el("p", {}, el("button", { type: "button", class: "danger", id: "emergency-button", onclick: (e) => breakGlass(e.target) },
          "Declare an emergency and open the record")),
        emergencyOutput)
      : el("p", { class: "muted", id: "break-glass-not-allowed" }, "Your hospital has not allowed you to break the glass."));

  main.replaceChildren(grantsCard, requestCard, emergencyCard);
}
