// The patient: my records, who asks for them, my grants (grant and revoke in one click), and
// who looked at my records.

import { addressWord, topics } from "../abi.js";
import { gatewayOf } from "../consortium.js";
import { readDirectory } from "../directory.js";
import { explain } from "../errors.js";
import { patientDocuments, patientHistory } from "../gateway.js";
import { readPeople } from "../people.js";
import { documentCell, el, emergencyReasonText, mono, outcomeText, purposeText, table, time, isAddress, isBytes32 } from "../ui.js";

export const title = "Patient";
export const intro = "See your records, answer requests for access, grant and revoke, and see who looked at your records.";

const durations = [[1, "1 day"], [7, "7 days"], [30, "30 days"], [365, "1 year"]];

function durationSelect() {
  return el("select", { "aria-label": "for how long" }, durations.map(([days, text]) => el("option", { value: String(days) }, text)));
}

export async function render({ info, wallet, main, notify, guarded }) {
  const me = addressWord(wallet.account);
  const [directory, records, requests, granted, revoked, accessed, latest] = await Promise.all([
    readDirectory(wallet),
    wallet.events([topics.RecordAnchored, null, me]),
    wallet.events([topics.AccessRequested, null, null, me]),
    wallet.events([topics.Granted, null, null, me]),
    wallet.events([topics.Revoked, null, null, me]),
    wallet.events([topics.Accessed, null, null, me]),
    wallet.request("eth_getBlockByNumber", ["latest", false]),
  ]);
  const chainNow = Number(BigInt(latest.timestamp));
  const revokedTokens = new Set(revoked.map((e) => e.token));
  const people = await readPeople(wallet, info, directory);
  // What each record is, from the gateway of each hospital that holds some (one signature each).
  const documents = new Map();
  const unreachable = [];
  await Promise.all([...new Set(records.map((r) => r.custodian.toLowerCase()))].map(async (custodian) => {
    try {
      const gateway = await gatewayOf(wallet, info, custodian);
      const answer = await patientDocuments(gateway.base, gateway.info, wallet, wallet.account);
      for (const summary of answer.documents) documents.set(summary.recordId.toLowerCase(), summary);
    } catch (error) {
      unreachable.push(`${directory.hospitalName(custodian)}: ${explain(error)}`);
    }
  }));
  const doc = (recordId) => documentCell(documents.get(String(recordId).toLowerCase()), recordId);
  const rerender = () => render({ info, wallet, main, notify, guarded });

  async function grant(staff, recordId, days, button) {
    button.disabled = true;
    await guarded(async () => {
      const expiresAt = Math.max(chainNow, Math.floor(Date.now() / 1000)) + days * 86400;
      await wallet.transact("grant", { staff, recordId, expiresAt }, "Granted");
      notify(`Access granted for ${days} day(s).`);
      await rerender();
    });
    button.disabled = false;
  }

  async function revoke(token, button) {
    button.disabled = true;
    await guarded(async () => {
      await wallet.transact("revoke", { token }, "Revoked");
      notify("Access revoked.");
      await rerender();
    });
    button.disabled = false;
  }

  const recordsCard = el("section", { class: "card", id: "my-records" }, el("h2", {}, "My records"),
    el("p", { class: "muted" }, "At every hospital of the consortium, each read from that hospital's own gateway."),
    unreachable.length ? el("p", { class: "warn", id: "records-unreachable" }, `Not shown: ${unreachable.join("; ")}`) : "",
    table(["document", "date of service", "held by", "anchored in block"], records.slice().reverse().map((r) => {
      const summary = documents.get(r.recordId.toLowerCase());
      return [doc(r.recordId), summary?.document?.serviceDate || "—", directory.hospitalName(r.custodian), String(r.block)];
    }), "No record is anchored to your address yet."));

  const answered = (r) => granted.some((g) => g.block >= r.block && g.staff === r.staff && g.recordId === r.recordId);
  const requestRows = requests.slice().reverse().map((r) => {
    if (answered(r)) {
      return [people.cell(r.staff, r.block), directory.hospitalOf(r.staff, r.block) || "not registered", doc(r.recordId), purposeText(r.purpose),
        el("span", { class: "muted" }, "answered: granted")];
    }
    const choice = durationSelect();
    const button = el("button", { type: "button", onclick: (e) => grant(r.staff, r.recordId, Number(choice.value), e.target) }, "Grant");
    return [people.cell(r.staff, r.block), directory.hospitalOf(r.staff, r.block) || "not registered", doc(r.recordId), purposeText(r.purpose),
      el("span", { class: "row" }, choice, button)];
  });
  const requestsCard = el("section", { class: "card", id: "requests" }, el("h2", {}, "Requests for access"),
    table(["who", "hospital", "document", "purpose", ""], requestRows, "Nobody has asked for access."));

  const staffInput = el("input", { id: "grant-staff", placeholder: "0x… staff address" });
  const recordInput = el("input", { id: "grant-record", placeholder: "0x… record id" });
  const manualDuration = durationSelect();
  const manual = el("div", { class: "row" },
    el("div", {}, el("label", { for: "grant-staff" }, "Staff member"), staffInput),
    el("div", {}, el("label", { for: "grant-record" }, "Record"), recordInput),
    el("div", {}, el("label", {}, "For"), manualDuration),
    el("div", {}, el("button", {
      type: "button", id: "grant-button",
      onclick: (e) => {
        if (!isAddress(staffInput.value) || !isBytes32(recordInput.value)) {
          notify("Enter a staff address (0x and 40 hex digits) and a record id (0x and 64 hex digits).", "error");
          return;
        }
        grant(staffInput.value.trim().toLowerCase(), recordInput.value.trim().toLowerCase(), Number(manualDuration.value), e.target);
      },
    }, "Grant access")));

  const grantRows = granted.slice().reverse().map((g) => {
    const state = revokedTokens.has(g.token) ? "revoked" : g.expiresAt <= chainNow ? "expired" : "active";
    const action = state === "active"
      ? el("button", { type: "button", class: "secondary", dataset: { token: g.token }, onclick: (e) => revoke(g.token, e.target) }, "Revoke")
      : "";
    return [people.cell(g.staff, g.block), directory.hospitalName(g.staffCustodian), doc(g.recordId), time(g.expiresAt),
      el("span", { class: state === "active" ? "ok" : "muted" }, state), action];
  });
  const grantsCard = el("section", { class: "card", id: "grants" }, el("h2", {}, "My grants"), manual,
    table(["who", "hospital", "document", "expires", "state", ""], grantRows, "You have not granted anyone access."));

  const outcomeCell = (a) => a.outcome === 20
    ? el("span", { class: "bad" }, "EMERGENCY: opened without your consent")
    : el("span", { class: a.outcome === 1 ? "ok" : "bad" }, a.outcome === 1 ? "looked at" : `refused: ${outcomeText(a.outcome)}`);
  const historyRows = accessed.slice().reverse().map((a) => [
    time(a.accessedAt), people.cell(a.staff, a.block), directory.hospitalOf(a.staff, a.block) || "not registered", doc(a.recordId),
    purposeText(a.purpose), outcomeCell(a), directory.hospitalName(a.custodian), mono(a.tx)]);
  const historyTable = table(["when", "who", "their hospital", "document", "purpose", "outcome", "kept by", "transaction"], historyRows, "Nobody has accessed your records.");
  // Emergency releases stand out in the table as well as in their own card.
  const bodyRows = historyTable.querySelectorAll("tbody tr");
  accessed.slice().reverse().forEach((a, i) => { if (a.outcome === 20 && bodyRows[i]) bodyRows[i].classList.add("emergency"); });
  const historyCard = el("section", { class: "card", id: "history" }, el("h2", {}, "Who looked at my records"),
    el("p", { class: "muted" }, "Every access and refused attempt the hospitals wrote to the blockchain."), historyTable);

  // Break-glass: each record opened without consent, with who, when, why and what they wrote
  // (the reason from the chain; the justification from the hospital that keeps it).
  const emergencyAccesses = accessed.filter((a) => a.outcome === 20);
  const cards = [];
  if (emergencyAccesses.length) {
    const justifications = new Map();
    await Promise.all([...new Set(emergencyAccesses.map((a) => a.custodian.toLowerCase()))].map(async (custodian) => {
      try {
        const gateway = await gatewayOf(wallet, info, custodian);
        const history = await patientHistory(gateway.base, gateway.info, wallet, wallet.account);
        for (const entry of history.accesses) if (entry.emergency) justifications.set(entry.requestId.toLowerCase(), entry.emergency.justification);
      } catch (error) {
        unreachable.push(`${directory.hospitalName(custodian)}: ${explain(error)}`);
      }
    }));
    const rows = await Promise.all(emergencyAccesses.slice().reverse().map(async (a) => {
      const declared = await wallet.view("getEmergency", { emergency: a.token }).catch(() => null);
      const review = !declared ? "—" : declared.verdict === 0 ? el("span", { class: "warn" }, "not reviewed yet")
        : el("span", { class: declared.verdict === 1 ? "ok" : "bad" }, declared.verdict === 1 ? "reviewed: justified" : "reviewed: NOT justified");
      return [time(a.accessedAt), people.cell(a.staff, a.block), directory.hospitalOf(a.staff, a.block) || "not registered", doc(a.recordId),
        declared ? emergencyReasonText(declared.reason) : "—", justifications.get(a.requestId.toLowerCase()) || el("span", { class: "muted" }, "kept by the hospital; not readable now"),
        review];
    }));
    cards.push(el("section", { class: "card emergency", id: "emergencies" }, el("h2", { class: "bad" }, "Opened without your consent (emergencies)"),
      el("p", {}, `${emergencyAccesses.length === 1 ? "One of your records was" : `${emergencyAccesses.length} of your records were`} opened by staff who declared an emergency on the blockchain. Each is reviewed by the hospital's auditors.`),
      table(["when", "who", "their hospital", "document", "reason", "justification", "review"], rows)));
  }

  main.replaceChildren(...cards, recordsCard, requestsCard, grantsCard, historyCard);
}
