// The doctor: my grants, asking a patient for access, and downloading a granted record through
// a single-use signed URL, checked against its on-chain fingerprint before it is called good.

import { addressWord, topics } from "../abi.js";
import { readDirectory } from "../directory.js";
import { explain } from "../errors.js";
import { encryptedAddressOf, signedFetchURL, GatewayError } from "../gateway.js";
import { sha256OfBlob } from "../sha256.js";
import { el, isBytes32, mono, purposeSelect, table, time } from "../ui.js";
import { sameAddress } from "../wallet.js";

export const title = "Doctor";
export const intro = "See the grants patients gave you, ask for access, and download granted records.";

/** Records up to this size can be previewed inline; larger ones are only downloaded. */
const PREVIEW_LIMIT = 16 << 20;
/** Exactly these media types (the essence of the record's Content-Type) are shown. */
const PREVIEWABLE = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"]);

export async function render({ info, wallet, main, notify, guarded }) {
  const me = addressWord(wallet.account);
  const [directory, granted, revoked, latest] = await Promise.all([
    readDirectory(wallet),
    wallet.events([topics.Granted, null, me]),
    wallet.events([topics.Revoked, null, me]),
    wallet.request("eth_getBlockByNumber", ["latest", false]),
  ]);
  const chainNow = Number(BigInt(latest.timestamp));
  const revokedTokens = new Set(revoked.map((e) => e.token));
  const output = el("div", { id: "download-result" });
  let previewURL = null;

  /** The record's anchor, which names its hospital, fingerprint and encrypted address. */
  async function anchorOf(recordId) {
    return wallet.view("getRecord", { recordId });
  }

  async function download(grant, purpose) {
    output.replaceChildren(el("p", { class: "muted" }, "Preparing a single-use download link…"));
    const anchor = await anchorOf(grant.recordId);
    if (!sameAddress(anchor.custodian, info.custodian)) {
      throw new GatewayError(403, "wrong_custodian", "");
    }
    const url = await signedFetchURL(info, wallet, { token: grant.token, encryptedAddress: encryptedAddressOf(anchor), purpose });
    // A plain browser download streams to disk. It goes through a hidden frame: a refusal (a
    // JSON answer) loads in the frame, where this page can read it; a download does not load.
    // (The source is set before the frame is inserted: an empty frame would fire a load of
    // its own.)
    const frame = el("iframe", { hidden: true, title: "download", src: url });
    const refused = new Promise((resolve) => frame.addEventListener("load", () => resolve(frame)));
    document.body.append(frame);
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
    output.replaceChildren(
      el("p", { id: "download-status" }, "The download has started. When it has finished, choose the file to check it against the blockchain."),
      el("dl", { class: "facts" }, el("dt", {}, "record"), el("dd", { class: "mono" }, grant.recordId),
        el("dt", {}, "fingerprint (SHA-256, on-chain)"), el("dd", { class: "mono" }, anchor.contentHash)),
      el("label", { for: "verify-file" }, "The downloaded file"), verifier, verdict);
    // However long the gateway takes (strict mode waits for the chain), a refusal is shown when
    // it comes; only a parsed error replaces the page (a browser may fire load for a download).
    refused.then((loaded) => {
      let body = null;
      try { body = JSON.parse(loaded.contentDocument.body.innerText); } catch (_) { return; }
      if (!body || !body.error) return;
      output.replaceChildren(el("p", { class: "error-text", role: "alert", id: "download-status" },
        explain({ code: body.error.code, message: body.error.message })));
    });
    setTimeout(() => frame.remove(), 10 * 60 * 1000);
  }

  async function preview(grant, purpose) {
    output.replaceChildren(el("p", { class: "muted" }, "Fetching the record for a preview…"));
    const anchor = await anchorOf(grant.recordId);
    if (!sameAddress(anchor.custodian, info.custodian)) {
      throw new GatewayError(403, "wrong_custodian", "");
    }
    const url = await signedFetchURL(info, wallet, { token: grant.token, encryptedAddress: encryptedAddressOf(anchor), purpose });
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

  const rows = [];
  for (const g of granted.slice().reverse()) {
    const state = revokedTokens.has(g.token) ? "revoked" : g.expiresAt <= chainNow ? "expired" : "active";
    const purpose = purposeSelect(`purpose-${g.token}`);
    purpose.setAttribute("aria-label", "purpose of use");
    const actions = el("span", { class: "row" }, purpose,
      el("button", { type: "button", dataset: { action: "download", token: g.token }, onclick: () => guarded(() => download(g, Number(purpose.value)), output) }, "Download"),
      el("button", { type: "button", class: "secondary", dataset: { action: "preview", token: g.token }, onclick: () => guarded(() => preview(g, Number(purpose.value)), output) }, "Preview"));
    rows.push([mono(g.recordId), mono(g.patient), directory.hospitalName(g.staffCustodian), time(g.expiresAt),
      el("span", { class: state === "active" ? "ok" : "muted" }, state), actions]);
  }
  const grantsCard = el("section", { class: "card", id: "my-grants" }, el("h2", {}, "Grants to me"),
    table(["record", "patient", "granted while at", "expires", "state", ""], rows, "No patient has granted you access yet."), output);

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

  main.replaceChildren(grantsCard, requestCard);
}
