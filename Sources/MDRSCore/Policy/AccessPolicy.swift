import EthereumCore
import MDRSProtocol

/// The rules of a fetch, free of I/O: given what the chain, the record store and the clock say,
/// the decision or the refusal. The gateway reads in an order that keeps strangers cheap (the
/// signer's registration first, from memory; the grant and the record only for registered
/// staff), and asks the policy at each step; the checks run in the order documented in
/// `docs/decisions.md`, so that a request with several faults is refused for the first.
package struct AccessPolicy: Sendable {
    /// The custodian deciding: this gateway's.
    package let custodian: Address

    package init(custodian: Address) {
        self.custodian = custodian
    }

    /// The signer must be registered staff of some custodian (any hospital's doctor may hold a
    /// grant to a record held here).
    package func registeredStaff(_ registration: StaffRegistration?) throws -> StaffRegistration {
        guard let registration, registration.isRegistered else {
            throw APIError(.staffNotRegistered, "the signer is not registered staff of any custodian")
        }
        return registration
    }

    /// The grant must exist: the first thing known about it.
    package func existingGrant(_ grant: GrantState?) throws -> GrantState {
        guard let grant else { throw APIError(.grantNotFound, "no grant has this token") }
        return grant
    }

    /// The grant must name the signer, be neither revoked nor expired at `now` (the chain's
    /// time), have been made under the signer's current registration, and be for a record this
    /// custodian holds.
    package func checkGrant(_ grant: GrantState, signer: Address, registration: StaffRegistration, now: UInt64) throws {
        try checkGrantee(grant, signer: signer)
        try checkValidity(grant, registration: registration, now: now)
    }

    /// The first half of ``checkGrant(_:signer:registration:now:)``, which needs no clock: the
    /// grant names the signer and is not revoked.
    package func checkGrantee(_ grant: GrantState, signer: Address) throws {
        guard grant.staff == signer else {
            throw APIError(.notGrantee, "the request is not signed by the staff member the grant names")
        }
        guard !grant.revoked else { throw APIError(.grantRevoked, "the patient revoked this grant") }
    }

    /// The second half: not expired at `now`, made under the current registration, for a record
    /// held here.
    package func checkValidity(_ grant: GrantState, registration: StaffRegistration, now: UInt64) throws {
        guard now < grant.expiresAt else {
            throw APIError(.grantExpired, "the grant expired at \(grant.expiresAt)")
        }
        guard grant.staffCustodian == registration.custodian, grant.staffEpoch == registration.epoch else {
            throw APIError(
                .registrationChanged,
                "the grant was made while the staff member was registered under another hospital or an earlier registration; the patient must grant again")
        }
        guard grant.custodian == custodian else {
            throw APIError(.wrongCustodian, "the grant is for a record held by another custodian")
        }
    }

    /// The encrypted address must open to the granted record.
    package func checkAddress(_ address: RecordAddress, grant: GrantState) throws {
        try checkAddress(address, recordId: grant.recordId, of: "the grant")
    }

    /// The encrypted address must open to `recordId`, the one `authority` (a grant, an
    /// emergency) is for.
    package func checkAddress(_ address: RecordAddress, recordId: Bytes32, of authority: String) throws {
        guard address.recordId == recordId else {
            throw APIError(.addressMismatch, "the encrypted address names another record than \(authority)")
        }
    }

    /// The stored record must be what its on-chain anchor says: the same content and patient.
    package func checkAnchor(_ anchor: AnchoredRecord?, record: StoredRecord) throws {
        guard let anchor, anchor.contentHash == record.sha256, anchor.patient == record.patient else {
            throw APIError(.recordConflict, "the stored record does not match its on-chain anchor")
        }
    }

    /// A store must be signed by staff this custodian registered.
    package func checkStoreSigner(_ registration: StaffRegistration?) throws {
        guard let registration, registration.custodian == custodian else {
            throw APIError(.notCustodianStaff, "the request is not signed by registered staff of this custodian")
        }
    }
}
