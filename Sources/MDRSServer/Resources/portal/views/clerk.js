// The records clerk: choose a file and the patient, see its SHA-256 computed here (slice by
// slice, so a file of any size is never held whole), upload it with progress, and see the
// record id, its encrypted address and the anchor's confirmation on the blockchain.

import { anchorStatus, storeRecord } from "../gateway.js";
import { sha256OfBlob } from "../sha256.js";
import { documentTypes, documentTypeText, el, isAddress } from "../ui.js";
import { sameAddress } from "../wallet.js";

export const title = "Records clerk";
export const intro = "Add a patient's record: it is encrypted by the hospital's gateway and anchored on the blockchain.";

export async function render({ info, wallet, main, notify, guarded }) {
  const file = el("input", { type: "file", id: "record-file" });
  const patient = el("input", { id: "record-patient", placeholder: "0x… the patient's address" });
  const docTitle = el("input", { id: "record-title", placeholder: "e.g. Discharge summary, cardiology", maxlength: "200" });
  const docType = el("select", { id: "record-type" }, documentTypes.map(([code, words]) => el("option", { value: code }, words)));
  const serviceDate = el("input", { id: "record-date", type: "date" });
  const author = el("input", { id: "record-author", placeholder: "e.g. Dr. Ana Silva", maxlength: "200" });
  const hashLine = el("p", { id: "record-sha256", class: "mono" });
  const hashProgress = el("progress", { id: "hash-progress", max: "1", value: "0", hidden: true });
  const uploadProgress = el("progress", { id: "upload-progress", max: "1", value: "0", hidden: true });
  const result = el("div", { id: "store-result" });
  const upload = el("button", { type: "button", id: "upload-button", disabled: true }, "Upload");
  let sha256 = null;

  file.addEventListener("change", () => guarded(async () => {
    sha256 = null;
    upload.disabled = true;
    const chosen = file.files[0];
    if (!chosen) return;
    hashProgress.hidden = false;
    hashLine.textContent = "Computing SHA-256…";
    sha256 = await sha256OfBlob(chosen, (done, total) => { hashProgress.value = total ? done / total : 1; });
    hashLine.textContent = `SHA-256 ${sha256} (${chosen.size} bytes)`;
    upload.disabled = false;
  }, result));

  upload.addEventListener("click", () => guarded(async () => {
    const chosen = file.files[0];
    if (!chosen || !sha256) return;
    if (!isAddress(patient.value)) {
      notify("Enter the patient's address: 0x and 40 hex digits.", "error");
      return;
    }
    const title = docTitle.value.trim();
    if (!title) {
      notify("Give the record a title: what it is, as the patient and doctors will read it.", "error");
      return;
    }
    const document = { title, type: docType.value, fileName: chosen.name };
    if (serviceDate.value) document.serviceDate = serviceDate.value;
    if (author.value.trim()) document.author = author.value.trim();
    upload.disabled = true;
    uploadProgress.hidden = false;
    result.replaceChildren(el("p", { class: "muted" }, "Sign the upload in your wallet…"));
    try {
      const stored = await storeRecord(info, wallet, chosen, patient.value.trim().toLowerCase(), sha256, (sent, total) => {
        uploadProgress.value = total ? sent / total : 1;
      }, document);
      const anchorLine = el("dd", { id: "anchor-state" }, "waiting for the blockchain…");
      result.replaceChildren(el("p", { class: "ok" }, `Stored and encrypted: ${title}.`), el("dl", { class: "facts" },
        el("dt", {}, "document"), el("dd", { id: "stored-title" }, `${title} (${documentTypeText(docType.value)}${document.serviceDate ? ", " + document.serviceDate : ""})`),
        el("dt", {}, "record id"), el("dd", { class: "mono", id: "stored-record" }, stored.recordId),
        el("dt", {}, "encrypted address"), el("dd", { class: "mono", id: "stored-address" }, stored.encryptedAddress),
        el("dt", {}, "SHA-256"), el("dd", { class: "mono" }, stored.sha256),
        el("dt", {}, "size"), el("dd", {}, `${stored.size} bytes`),
        el("dt", {}, "anchor"), anchorLine));
      for (let attempt = 0; attempt < 240; attempt++) {
        const anchor = await anchorStatus(stored.recordId);
        if (anchor.status === "confirmed") {
          // The gateway says so; the chain, read through the wallet, must say the same.
          const onChain = await wallet.view("getRecord", { recordId: stored.recordId });
          const matches = onChain.contentHash.toLowerCase() === sha256.toLowerCase() && sameAddress(onChain.patient, patient.value.trim())
            && sameAddress(onChain.custodian, info.custodian);
          anchorLine.replaceChildren(matches
            ? el("span", { class: "ok" }, `confirmed in block ${anchor.blockNumber}: the chain holds this file's SHA-256 for this patient`)
            : el("span", { class: "bad" }, "the record on the chain does not match this file and patient; tell the hospital's IT"), " ",
            el("span", { class: "mono" }, anchor.transactionHash || ""));
          return;
        }
        if (anchor.status === "rejected") {
          anchorLine.replaceChildren(el("span", { class: "bad" }, "the blockchain refused the anchor; tell the hospital's IT"));
          return;
        }
        anchorLine.textContent = `${anchor.status}…`;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      upload.disabled = false;
    }
  }, result));

  main.replaceChildren(el("section", { class: "card", id: "store" }, el("h2", {}, "Add a record"),
    el("label", { for: "record-file" }, "File"), file, hashProgress, hashLine,
    el("label", { for: "record-patient" }, "Patient"), patient,
    el("div", { class: "row" },
      el("div", {}, el("label", { for: "record-title" }, "Title"), docTitle),
      el("div", {}, el("label", { for: "record-type" }, "Type"), docType),
      el("div", {}, el("label", { for: "record-date" }, "Date of service"), serviceDate),
      el("div", {}, el("label", { for: "record-author" }, "Author"), author)),
    el("p", {}, upload), uploadProgress, result));
}
