// The auditor: the access log with filters, the consistency check, and a CSV download.

import { topics } from "../abi.js";
import { readDirectory } from "../directory.js";
import { audit, emergencies, reviewEmergency } from "../gateway.js";
import { readPeople } from "../people.js";
import { sameAddress } from "../wallet.js";
import { el, emergencyReasonText, isAddress, isBytes32, mono, outcomeText, purposeText, table, time } from "../ui.js";

export const title = "Auditor";
export const intro = "Review the emergencies in which the hospital released records without consent, read its access log joined with what is on the blockchain, and check that the two agree.";

const columns = ["accessedAt", "requestId", "recordId", "staff", "patient", "purpose", "outcome", "reason", "chainState", "transaction", "block"];

function csvCell(value) {
  const text = value === undefined || value === null ? "" : String(value);
  // Quote everything; neutralise spreadsheet formulas (a cell starting with = + - @).
  return `"${(/^[=+\-@\t\r]/.test(text) ? "'" + text : text).replace(/"/g, '""')}"`;
}

export async function render({ info, wallet, main, notify, guarded }) {
  const record = el("input", { id: "filter-record", placeholder: "0x… record id" });
  const staff = el("input", { id: "filter-staff", placeholder: "0x… staff address" });
  const patient = el("input", { id: "filter-patient", placeholder: "0x… patient address" });
  const from = el("input", { id: "filter-from", type: "datetime-local" });
  const to = el("input", { id: "filter-to", type: "datetime-local" });
  const results = el("div", { id: "audit-results" });
  const check = el("div", { id: "audit-check" });
  // Staff by name, from each hospital's directory checked against the chain.
  const people = await readPeople(wallet, info, await readDirectory(wallet));
  let entries = [];
  let next = null; // the cursor of the page after the ones shown

  function target() {
    const query = new URLSearchParams();
    if (record.value.trim()) {
      if (!isBytes32(record.value)) throw new Error("A record id is 0x and 64 hex digits.");
      query.set("record", record.value.trim().toLowerCase());
    }
    for (const [input, name] of [[staff, "staff"], [patient, "patient"]]) {
      if (!input.value.trim()) continue;
      if (!isAddress(input.value)) throw new Error(`The ${name} address is 0x and 40 hex digits.`);
      query.set(name, input.value.trim().toLowerCase());
    }
    if (from.value) query.set("from", String(Math.floor(new Date(from.value).getTime() / 1000)));
    if (to.value) query.set("to", String(Math.floor(new Date(to.value).getTime() / 1000)));
    const text = query.toString();
    return "/v1/audit/accesses" + (text ? "?" + text : "");
  }

  // The log comes a page at a time (100 entries); "More" signs a request for the next one.
  async function load(more = false) {
    const base = target();
    const page = more && next ? base + (base.includes("?") ? "&" : "?") + "after=" + encodeURIComponent(next) : base;
    const report = await audit(info, wallet, page);
    entries = more ? entries.concat(report.entries) : report.entries;
    next = report.next || null;
    const moreButton = next
      ? el("button", { type: "button", class: "secondary", id: "audit-more", onclick: () => guarded(() => load(true), results) }, "More")
      : "";
    results.replaceChildren(el("p", { class: "muted" }, `${entries.length} entries${next ? " so far" : ""}`), table(
      ["when", "staff", "record", "patient", "purpose", "outcome", "here", "on-chain"],
      entries.map((e) => [time(e.accessedAt), people.cell(e.staff), mono(e.recordId), e.patient ? mono(e.patient) : "—", purposeText(e.purpose),
        el("span", { class: e.outcome === 1 ? "ok" : "bad" }, e.outcome === 1 ? "served" : e.outcome === 20 ? "EMERGENCY (no grant)" : outcomeText(e.outcome)),
        e.local ? `${e.local.chainState}${e.local.commitmentValid ? "" : " (row altered!)"}` : el("span", { class: "bad" }, "no row here"),
        e.onChain ? `block ${e.onChain.blockNumber}` : el("span", { class: "warn" }, "not on-chain")]),
      "No access matches."), moreButton);
  }

  function downloadCSV() {
    const lines = [columns.join(",")];
    for (const e of entries) {
      lines.push([new Date(e.accessedAt * 1000).toISOString(), e.requestId, e.recordId, e.staff, e.patient, e.purpose, e.outcome,
        e.local && e.local.reason, e.local && e.local.chainState, e.onChain && e.onChain.transactionHash, e.onChain && e.onChain.blockNumber]
        .map(csvCell).join(","));
    }
    const link = el("a", { href: URL.createObjectURL(new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" })), download: "access-log.csv" });
    document.body.append(link);
    link.click();
    link.remove();
  }

  // The hospital's entries are numbered 1, 2, 3, ... on-chain: a missing number is an entry hidden.
  function sequenceLine(sequence) {
    if (sequence.complete) {
      return el("p", { class: "ok", id: "check-sequence" }, sequence.lastOnChain
        ? `Numbered log complete: entries 1 to ${sequence.lastOnChain} are all on the blockchain.`
        : "The hospital has logged no entry on the blockchain yet.");
    }
    const runs = sequence.gaps.map((gap) => (gap.from === gap.through ? `${gap.from}` : `${gap.from}–${gap.through}`)).join(", ");
    return el("p", { class: "bad", id: "check-sequence" },
      `Numbered log incomplete: ${sequence.missingNumbers} of entries 1 to ${sequence.lastOnChain} cannot be found on the blockchain (${runs}).`);
  }

  async function runCheck() {
    const report = await audit(info, wallet, "/v1/audit/check");
    const problems = [["missing on-chain", report.missingOnChain], ["on-chain, unknown here", report.unknownHere],
      ["altered (commitment mismatch)", report.commitmentMismatch], ["refused by the contract", report.rejected]];
    // The gateway's count of on-chain entries against the chain's, read through the wallet.
    const ours = (await wallet.events([topics.Accessed])).filter((event) => sameAddress(event.custodian, info.custodian));
    const agrees = ours.length === report.onChainEntries;
    check.replaceChildren(
      el("p", { class: agrees ? "ok" : "bad", id: "chain-count" }, agrees
        ? `Read through your wallet, the chain also holds ${ours.length} entries of this hospital.`
        : `Read through your wallet, the chain holds ${ours.length} entries of this hospital, not ${report.onChainEntries}: the gateway's node and yours disagree.`),
      el("p", { class: report.consistent ? "ok" : "bad", id: "check-verdict" }, report.consistent
        ? `Consistent: the ${report.onChainEntries} entries on the blockchain and the hospital's ${report.localEntries} rows agree.`
        : "Inconsistent: the blockchain and the hospital's rows disagree."),
      sequenceLine(report.sequence),
      report.sequence.repeatedNumbers
        ? el("p", { class: "bad", id: "check-repeats" }, `${report.sequence.repeatedNumbers} numbered entries log a request a second time: `,
          ...report.sequence.repeats.map((r) => mono(`#${r.sequence} repeats #${r.repeats}`)))
        : "",
      report.counts.waiting ? el("p", { class: "muted" }, `${report.counts.waiting} entries are still on their way to the blockchain.`) : "",
      report.counts.lostInRestore
        ? el("p", { class: "bad", id: "check-restore" },
          `The hospital's database was restored from a backup on ${new Date(report.databaseRestoredAt * 1000).toLocaleString()}: `
          + `${report.counts.lostInRestore} accesses made before then are on the blockchain but no longer in the hospital's copy.`)
        : "",
      ...problems.filter(([, list]) => list.length).map(([what, list]) => el("p", {}, `${what}: `, ...list.map((id) => mono(id)))));
  }

  // Emergencies: the queue still to review first, then the reviewed ones; each review is
  // signed by the auditor's wallet, kept by the hospital and recorded on-chain.
  const queue = el("div", { id: "emergency-queue" });
  async function loadEmergencies() {
    const answer = await emergencies(info, wallet);
    const open = answer.emergencies.filter((e) => !e.review);
    const rows = answer.emergencies.map((e) => {
      let verdictCell;
      if (e.review) {
        verdictCell = el("span", { class: e.review.verdict === 1 ? "ok" : "bad" },
          `${e.review.verdictText} (by ${sameAddress(e.review.reviewer, wallet.account) ? "you" : people.name(e.review.reviewer) || `auditor ${e.review.reviewer}`}, `
          + `${e.review.transactionHash ? "on the blockchain" : "on its way to the blockchain"}): ${e.review.note}`);
      } else {
        const verdict = el("select", { "aria-label": "verdict", dataset: { emergency: e.id } },
          el("option", { value: "1" }, "justified"), el("option", { value: "2" }, "not justified"));
        const note = el("input", { "aria-label": "note", placeholder: "why (the patient and the hospital will read it)", dataset: { emergency: e.id } });
        const button = el("button", {
          type: "button", dataset: { action: "review", emergency: e.id },
          onclick: (event) => {
            if (!note.value.trim()) { notify("Write why: a review needs a note.", "error"); return; }
            event.target.disabled = true;
            guarded(async () => {
              await reviewEmergency(info, wallet, e.id, verdict.value === "1", note.value.trim());
              notify("Review signed and kept; the hospital records it on the blockchain.");
              await loadEmergencies();
            }, queue).finally(() => { event.target.disabled = false; });
          },
        }, "Sign the review");
        verdictCell = el("span", { class: "row" }, verdict, note, button);
      }
      return [time(e.firstReleasedAt), people.cell(e.staff), e.patient ? mono(e.patient) : "—", mono(e.recordId),
        emergencyReasonText(e.reason), e.justification, String(e.releases), verdictCell];
    });
    queue.replaceChildren(
      el("p", { class: open.length ? "bad" : "ok", id: "emergency-count" }, open.length
        ? `${open.length} emergenc${open.length === 1 ? "y" : "ies"} to review.`
        : "No emergency waits for review."),
      table(["first release", "who", "patient", "record", "reason", "justification", "releases", "review"], rows, "No record was released in an emergency here."));
  }

  main.replaceChildren(
    el("section", { class: "card emergency", id: "emergencies" }, el("h2", {}, "Emergencies (break-glass) to review"), queue),
    el("section", { class: "card", id: "log" }, el("h2", {}, "Access log"),
      el("div", { class: "row" },
        el("div", {}, el("label", { for: "filter-record" }, "Record"), record),
        el("div", {}, el("label", { for: "filter-staff" }, "Staff"), staff),
        el("div", {}, el("label", { for: "filter-patient" }, "Patient"), patient)),
      el("div", { class: "row" },
        el("div", {}, el("label", { for: "filter-from" }, "From"), from),
        el("div", {}, el("label", { for: "filter-to" }, "To"), to),
        el("div", {}, el("button", { type: "button", id: "audit-load", onclick: () => guarded(() => load(), results) }, "Show"), " ",
          el("button", { type: "button", class: "secondary", id: "audit-csv", onclick: () => (entries.length ? downloadCSV() : notify("Show the log first.")) }, "Download CSV"))),
      results),
    el("section", { class: "card", id: "consistency" }, el("h2", {}, "Consistency check"),
      el("button", { type: "button", id: "check-button", onclick: () => guarded(runCheck, check) }, "Check the log against the blockchain"), check));
  await guarded(() => loadEmergencies(), queue);
  await guarded(() => load(), results);
}
