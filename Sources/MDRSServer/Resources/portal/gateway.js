// The gateway's API from the page: the same EIP-712 requests as every other client, built from
// what GET /v1/info says (domain, types), and signed by the person's wallet.

import { base64url } from "./abi.js";

export class GatewayError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A fresh 32-byte nonce, 0x-hex. */
export function randomNonce() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function readInfo() {
  const response = await fetch("/v1/info", { cache: "no-store" });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

/** The typed data of a request, exactly as the gateway rebuilds it to check the signature. */
export function typedData(info, primaryType, message) {
  return {
    types: { EIP712Domain: info.typedData.types.EIP712Domain, [primaryType]: info.typedData.types[primaryType] },
    primaryType,
    domain: info.typedData.domain,
    message,
  };
}

function now() {
  return Math.floor(Date.now() / 1000);
}

/** The error a failed answer carries, as {status, code, message}. */
export async function errorOf(response) {
  try {
    const body = await response.json();
    if (body && body.error) return new GatewayError(response.status, body.error.code, body.error.message);
  } catch (_) {
    // not JSON: fall through
  }
  return new GatewayError(response.status, "http_" + response.status, `The gateway answered HTTP ${response.status}.`);
}

/** The MDRS-Document header of a JSON text: base64url of its UTF-8 bytes, no padding. */
function documentHeader(text) {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Stores `file` for `patient`: its SHA-256 (computed beforehand, incrementally) is signed into
 * the StoreRequest, and the file streams from disk as the body. `document` says what it is
 * ({title, type, serviceDate, author, fileName}; null for nothing): its JSON text is signed as it
 * is sent. `onProgress(sent, total)`.
 */
export function storeRecord(info, wallet, file, patient, sha256, onProgress, document = null) {
  return (async () => {
    const contentType = file.type || "application/octet-stream";
    const nonce = randomNonce();
    const issuedAt = now();
    const documentText = document ? JSON.stringify(document) : "";
    const signature = await wallet.signTypedData(typedData(info, "StoreRequest", {
      patient, contentType, contentSha256: sha256, document: documentText, nonce, issuedAt: String(issuedAt), custodian: info.custodian,
    }));
    return new Promise((resolve, reject) => {
      // XMLHttpRequest, not fetch: only it reports upload progress, and it streams a File.
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/v1/records");
      xhr.setRequestHeader("Content-Type", contentType);
      xhr.setRequestHeader("MDRS-Patient", patient);
      xhr.setRequestHeader("MDRS-Content-SHA256", sha256);
      if (documentText) xhr.setRequestHeader("MDRS-Document", documentHeader(documentText));
      xhr.setRequestHeader("MDRS-Nonce", nonce);
      xhr.setRequestHeader("MDRS-Issued-At", String(issuedAt));
      xhr.setRequestHeader("MDRS-Signature", signature);
      xhr.upload.onprogress = (event) => onProgress(event.loaded, event.total || file.size);
      xhr.onerror = () => reject(new GatewayError(0, "network", "The upload broke off."));
      xhr.onload = () => {
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (_) { /* handled below */ }
        if (xhr.status === 201 && body) resolve(body);
        else if (body && body.error) reject(new GatewayError(xhr.status, body.error.code, body.error.message));
        else reject(new GatewayError(xhr.status, "http_" + xhr.status, `The gateway answered HTTP ${xhr.status}.`));
      };
      xhr.send(file);
    });
  })();
}

export async function anchorStatus(recordId) {
  const response = await fetch(`/v1/records/${recordId}/anchor`, { cache: "no-store" });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

/**
 * A single-use signed URL for a fetch: a FetchLinkRequest (the FetchRequest's fields, under a
 * type of its own) as query parameters, so a plain browser download (which cannot add headers)
 * streams the record to disk. It is good once, only as a URL, and only within the gateway's
 * signed-URL window of the time it was signed.
 */
export async function signedFetchURL(info, wallet, { token, encryptedAddress, purpose, justification = null }) {
  const nonce = randomNonce();
  const issuedAt = now();
  const signature = await wallet.signTypedData(typedData(info, "FetchLinkRequest", {
    token, encryptedAddress, purpose, nonce, issuedAt: String(issuedAt), custodian: info.custodian,
  }));
  const query = new URLSearchParams({ token, purpose: String(purpose), nonce, issuedAt: String(issuedAt), signature });
  // Break-glass: the token is a declared emergency's id, and the justification's text (whose
  // SHA-256 the declaration put on-chain) travels with the link.
  if (justification) query.set("justification", justification);
  // URLSearchParams writes a space as "+", which the gateway reads as a "+": spell it %20 (a
  // literal "+" is already %2B).
  return `/v1/access/${encryptedAddress}?${query.toString().replace(/\+/g, "%20")}`;
}

/** A patient's history at the gateway at `base` ("" for this one): one page, newest last. */
export async function patientHistory(base, remote, wallet, patient) {
  const target = `/v1/patients/${patient}/accesses?limit=100`;
  return signedJSON(base, remote, wallet, target, "PatientRequest", { patient, query: target });
}

/** The emergencies released here, for an auditor; `reviewed` false: the queue still to review. */
export async function emergencies(info, wallet, reviewed = null) {
  return audit(info, wallet, "/v1/emergencies" + (reviewed === null ? "" : `?reviewed=${reviewed}`));
}

/** An auditor's signed verdict on an emergency: `justified` true or false, and why. */
export async function reviewEmergency(info, wallet, emergency, justified, note) {
  const nonce = randomNonce();
  const issuedAt = now();
  const verdict = justified ? 1 : 2;
  const signature = await wallet.signTypedData(typedData(info, "EmergencyReview", {
    emergency, verdict, note, nonce, issuedAt: String(issuedAt), custodian: info.custodian,
  }));
  const response = await fetch(`/v1/emergencies/${emergency}/review`, {
    method: "POST",
    cache: "no-store",
    headers: { "Content-Type": "application/json", "MDRS-Nonce": nonce, "MDRS-Issued-At": String(issuedAt), "MDRS-Signature": signature },
    body: JSON.stringify({ verdict: justified ? "justified" : "not_justified", note }),
  });
  if (response.status !== 201) throw await errorOf(response);
  return response.json();
}

/** The encrypted address a record's anchor carries, in the form the fetch path takes. */
export function encryptedAddressOf(anchor) {
  return base64url(anchor.encryptedAddress);
}

/**
 * What records are, from the gateway at `base` ("" for this one), whose `/v1/info` is `remote`:
 * the patient's own list (a PatientRequest), or one record (a DocumentRequest, with the
 * grantee's token when given).
 */
export async function patientDocuments(base, remote, wallet, patient) {
  const target = `/v1/patients/${patient}/documents`;
  return signedJSON(base, remote, wallet, target, "PatientRequest", { patient, query: target });
}

export async function recordDocument(base, remote, wallet, recordId, token = null) {
  const zero = "0x" + "0".repeat(64);
  const headers = token ? { "MDRS-Token": token } : {};
  return signedJSON(base, remote, wallet, `/v1/records/${recordId}/document`, "DocumentRequest", { recordId, token: token || zero }, headers);
}

async function signedJSON(base, remote, wallet, target, primaryType, fields, extraHeaders = {}) {
  const nonce = randomNonce();
  const issuedAt = now();
  const signature = await wallet.signTypedData(typedData(remote, primaryType, {
    ...fields, nonce, issuedAt: String(issuedAt), custodian: remote.custodian,
  }));
  const response = await fetch(base + target, {
    cache: "no-store",
    headers: { ...extraHeaders, "MDRS-Nonce": nonce, "MDRS-Issued-At": String(issuedAt), "MDRS-Signature": signature },
  });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

/** The `/v1/info` of the gateway at `base` (another hospital's, over CORS). */
export async function readRemoteInfo(base) {
  const response = await fetch(base + "/v1/info", { cache: "no-store" });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

/** A signed audit query (`/v1/audit/...`), answered as JSON. */
export async function audit(info, wallet, target) {
  const nonce = randomNonce();
  const issuedAt = now();
  const signature = await wallet.signTypedData(typedData(info, "AuditRequest", {
    query: target, nonce, issuedAt: String(issuedAt), custodian: info.custodian,
  }));
  const response = await fetch(target, {
    cache: "no-store",
    headers: { "MDRS-Nonce": nonce, "MDRS-Issued-At": String(issuedAt), "MDRS-Signature": signature },
  });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}
