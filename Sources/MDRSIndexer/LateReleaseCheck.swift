import EthereumCore
import EthereumRPC
import MDRSChain
import MDRSCore
import MDRSProtocol

/// Finds served entries that left after their grant had ended on the chain: revoked (by more than
/// `tolerance` before the release: the revocation bound, within which a gateway may rightly not
/// have seen it yet), expired, or made under a staff registration that had changed. The contract
/// cannot tell (it logs an access after the fact, blocks later); an honest gateway never does it;
/// a gateway whose only node hid the revocation or froze its head does. The grant's state is read
/// from the audit node at the block the index has read through; the time of the change is that
/// block's timestamp.
package struct LateReleaseCheck: Sendable {
    let contract: MedicalAccessContract
    let tolerance: UInt64

    package init(reader: AccessLogReader, tolerance: Duration) {
        self.contract = reader.audited
        self.tolerance = UInt64(max(0, tolerance.components.seconds))
    }

    /// The findings among `entries` (served ones only), read at block `at`.
    package func findings(_ entries: [LoggedAccess], at block: UInt64) async throws -> [AuditFinding] {
        let served = entries.filter { $0.entry.outcome == AccessOutcome.served.rawValue }
        guard !served.isEmpty else { return [] }
        var grants = [Bytes32: GrantState?]()
        var registrations = [Address: StaffRegistration]()
        var changedAt = [Address: UInt64?]()
        var timestamps = [UInt64: UInt64]()
        func timestamp(_ number: UInt64) async throws -> UInt64? {
            if let known = timestamps[number] { return known }
            guard let found = try await contract.client.block(.number(number))?.timestamp else { return nil }
            timestamps[number] = found
            return found
        }
        var findings = [AuditFinding]()
        for logged in served {
            let entry = logged.entry
            if grants[entry.token] == nil { grants[entry.token] = .some(try await contract.grant(entry.token, at: .number(block))) }
            // No grant at all: the contract logged it as served without a grant, counted apart.
            guard let grant = grants[entry.token] ?? nil, grant.staff == entry.staff else { continue }
            if entry.accessedAt >= grant.expiresAt {
                findings.append(AuditFinding(requestId: entry.requestId, kind: .servedAfterExpiry, blockNumber: logged.blockNumber))
                continue
            }
            if grant.revoked, let revokedAt = try await timestamp(grant.updatedAt), entry.accessedAt > revokedAt + tolerance {
                findings.append(AuditFinding(requestId: entry.requestId, kind: .servedAfterRevocation, blockNumber: logged.blockNumber))
                continue
            }
            if registrations[entry.staff] == nil { registrations[entry.staff] = try await contract.staff(entry.staff, at: .number(block)) }
            guard let registration = registrations[entry.staff],
                registration.custodian != grant.staffCustodian || registration.epoch != grant.staffEpoch
            else { continue }
            if changedAt[entry.staff] == nil {
                changedAt[entry.staff] = .some(try await firstRegistrationChange(of: entry.staff, after: grant.grantedAt, through: block))
            }
            if let change = changedAt[entry.staff] ?? nil, let when = try await timestamp(change), entry.accessedAt > when + tolerance {
                findings.append(
                    AuditFinding(requestId: entry.requestId, kind: .servedAfterRegistrationChange, blockNumber: logged.blockNumber))
            }
        }
        return findings
    }

    /// The first block after `after` in which `staff` was deregistered or registered again.
    private func firstRegistrationChange(of staff: Address, after: UInt64, through: UInt64) async throws -> UInt64? {
        let topic = try Bytes32(bytes: [UInt8](repeating: 0, count: 12) + staff.bytes)
        var from = after + 1
        while from <= through {
            let to = min(from + AccessLogReader.logWindow - 1, through)
            let logs = try await contract.client.logs(LogFilter(
                fromBlock: .number(from), toBlock: .number(to), addresses: [contract.address],
                topics: [[MedicalAccessABI.staffDeregistered.topic, MedicalAccessABI.staffRegistered.topic], [topic]]))
            if let first = logs.filter({ !$0.removed }).map(\.blockNumber).min() { return first }
            from = to + 1
        }
        return nil
    }
}
