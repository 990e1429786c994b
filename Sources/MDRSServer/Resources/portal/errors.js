// The gateway's error codes (docs/openapi.json) as sentences a person can act on. A test checks
// that every code the API can answer has one.

export const sentences = {
  bad_request: "The request was incomplete or malformed. Reload the page and try again.",
  signature_missing: "The request was not signed. Connect your wallet and try again.",
  signature_invalid: "Your wallet's signature could not be read. Try again, or use another wallet.",
  request_stale: "The request was signed too long ago, or your computer's clock is wrong. Check the clock and try again.",
  nonce_reused: "This request (or download link) was already used. Each one works once: start a new one.",
  grant_not_found: "There is no grant with this token. Ask the patient to grant you access.",
  not_grantee: "This grant was made to someone else. Only the staff member it names can use it.",
  grant_revoked: "The patient has revoked this grant. Ask the patient for access again.",
  grant_expired: "This grant has expired. Ask the patient for a new one.",
  staff_not_registered: "Your account is not registered as staff of any hospital in the consortium. Ask your hospital to register it.",
  registration_changed: "This grant was made while you were registered at another hospital (or before you were registered again). Ask the patient to grant you access again.",
  not_custodian_staff: "Only staff registered by this hospital can add records here. Ask the hospital to register your account.",
  not_auditor: "Your account is not one of this hospital's auditors.",
  not_patient: "Only the patient (or, for their history, one of this hospital's auditors; for their records, its records clerks or staff the patient granted) can read this.",
  address_invalid: "The record's address is damaged or not one of this hospital's. Copy it again from the record's anchor.",
  address_mismatch: "The address belongs to another record than the grant.",
  wrong_custodian: "This record is held by another hospital. Download it from that hospital's gateway.",
  record_not_found: "The record is not stored here.",
  record_erased: "The record was erased at the patient's or hospital's request.",
  record_conflict: "The stored record does not match its fingerprint on the chain. Nothing was released; tell the hospital.",
  record_too_large: "The file is larger than this hospital accepts.",
  content_hash_mismatch: "The file changed while it was uploaded (its fingerprint no longer matches). Nothing was stored; try again.",
  range_not_satisfiable: "The requested part of the record does not exist.",
  chain_unavailable: "The gateway cannot reach the blockchain right now, so no access can be checked. Try again in a minute.",
  chain_disagreement: "The gateway's blockchain nodes disagree, so nothing is released until they agree. Try again later; the hospital has been alerted.",
  audit_log_stalled: "The hospital's access log is behind on the blockchain, so nothing is released or stored until it catches up. Try again in a few minutes.",
  audit_log_unconfirmed: "The access could not be confirmed on the blockchain in time. Nothing was released; try again.",
  custodian_inactive: "This hospital's gateway is not (or no longer) registered in the consortium.",
  database_unavailable: "The hospital's database cannot be reached right now. Try again in a minute.",
  key_store_unavailable: "The hospital's key store cannot be reached right now. Try again in a minute.",
  rate_limited: "Too many requests from your computer. Wait a moment and try again.",
  not_found: "The gateway does not know this page.",
  method_not_allowed: "The gateway does not accept this kind of request here.",
  internal_error: "Something went wrong inside the gateway. Try again; if it persists, tell the hospital.",
  shutting_down: "The hospital's gateway is restarting. Try again in a moment.",
  emergency_not_found: "No emergency was declared with this id. Declare the emergency first.",
  not_emergency_declarant: "This emergency was declared by someone else. Only the staff member who declared it can use it.",
  emergency_expired: "The emergency's window has closed. If the emergency goes on, declare it again.",
  emergency_purpose_required: "An emergency opens a record for emergency treatment only.",
  emergency_refused_by_patient: "The patient has refused emergency access to their records (or allows it only to the staff of the hospital that holds them).",
  justification_mismatch: "The justification does not match the one you declared. Use exactly the same text.",
  emergency_already_reviewed: "This emergency has been reviewed already; a review is final.",
};

/** A sentence for an error from the gateway or the wallet; never raw JSON. */
export function explain(error) {
  if (error && error.code && sentences[error.code]) return sentences[error.code];
  if (error && error.code === "rejected") return "You declined the request in your wallet.";
  if (error && error.code === "wrong_chain") return error.message;
  if (error && error.code === "network") return "The connection to the gateway broke off. Check the network and try again.";
  if (error && error.message && !/^[\[{]/.test(error.message.trim())) return error.message;
  return "Something went wrong. Try again.";
}
