import EthereumCore
import MDRSCore
import MDRSPostgres
import MDRSProtocol

/// What a fetch resolved to, so far: filled in as the checks pass, logged whatever happens.
struct FetchAttempt: Sendable {
    var requestId = Bytes32.random()
    var token = Bytes32.zero
    var recordId = Bytes32.zero
    var staff = Address.zero
    var patient: Address?
    var purpose: UInt8 = 0
    var signatureHash = Bytes32.zero
    /// The signer is registered staff of some custodian (at the head): only then is a refusal
    /// worth a row. Before that it is anyone's junk, and only counted.
    var registration: StaffRegistration?
    /// The request passed the time window and its nonce was claimed: only such refusals can be
    /// decisions worth the chain (a replayed or stale request is anyone's).
    var fresh = false
    /// The request passed the time window; its nonce is not claimed yet. A served fetch claims it
    /// with its access row (one statement); a refusal claims it before it is logged.
    var nonce: NonceClaim?
    /// The grant names a record this custodian holds.
    var recordHeldHere = false
    var range: ClosedRange<Int64>?
    /// The served row is written (strict mode may still refuse afterwards).
    var servedRowWritten = false
    /// The requester's IP address as the connection showed it (kept with the row, never on-chain).
    var clientAddress: String?
    /// A release in a declared emergency: what is kept with its row.
    var emergency: EmergencyRelease?

    /// Settles the claim of ``nonce`` (by the served row's statement or by a refusal's): claimed,
    /// the request is fresh; found used, the fetch is a replay and is refused as one.
    mutating func settleNonce(claimed: Bool) throws {
        nonce = nil
        guard claimed else { throw RequestAuthenticator.nonceReused }
        fresh = true
    }

    /// The access row for this attempt.
    func record(custodian: Address, outcome: AccessOutcome, reason: String, accessedAt: UInt64) -> AccessRecord {
        AccessRecord(
            requestId: requestId, token: token, recordId: recordId, staff: staff, patient: patient, custodian: custodian,
            purpose: purpose, outcome: outcome, reason: reason, accessedAt: accessedAt, rangeStart: range?.lowerBound,
            rangeEnd: range?.upperBound, signatureHash: signatureHash)
    }
}
