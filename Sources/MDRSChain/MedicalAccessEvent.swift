import EthereumCore
import EthereumRPC
import MDRSCore

/// A log of the contract, decoded once against its ABI into what the gateway reads from it.
/// Field names appear only here; everything else switches over the cases.
public enum MedicalAccessEvent: Equatable, Sendable {
    /// One `Accessed` entry of the on-chain access log.
    public struct Accessed: Equatable, Sendable {
        public let entry: AccessEntry
        /// Zero when the contract names no patient (a denial about another hospital's record).
        public let patient: Address
        public let custodian: Address
        /// The entry's number in the custodian's log (1, 2, 3, ... without gaps).
        public let sequence: UInt64
    }

    case custodianRegistered(custodian: Address)
    case custodianDeregistered(custodian: Address)
    case custodianGatewayChanged(custodian: Address, gateway: String)
    case custodianDirectoryChanged(custodian: Address, sha256: Bytes32)
    case staffRegistered(staff: Address, custodian: Address, epoch: UInt64)
    case staffDeregistered(staff: Address, custodian: Address)
    case recordAnchored(recordId: Bytes32, patient: Address, custodian: Address, contentHash: Bytes32)
    case accessRequested(recordId: Bytes32, staff: Address, patient: Address, purpose: UInt8)
    case granted(token: Bytes32, staff: Address, patient: Address, recordId: Bytes32)
    case revoked(token: Bytes32, staff: Address, patient: Address, recordId: Bytes32)
    case accessed(Accessed)

    /// Decodes `event`, a log of this contract; nil for an event the gateway does not know or a
    /// log that does not decode.
    init?(_ event: DecodedEvent) {
        do {
            switch event.name {
            case MedicalAccessABI.custodianRegistered.name:
                self = .custodianRegistered(custodian: try event.value("custodian").asAddress())
            case MedicalAccessABI.custodianDeregistered.name:
                self = .custodianDeregistered(custodian: try event.value("custodian").asAddress())
            case MedicalAccessABI.custodianGatewayChanged.name:
                self = .custodianGatewayChanged(custodian: try event.value("custodian").asAddress(), gateway: try event.value("gateway").asString())
            case MedicalAccessABI.custodianDirectoryChanged.name:
                self = .custodianDirectoryChanged(custodian: try event.value("custodian").asAddress(), sha256: try event.value("digest").asBytes32())
            case MedicalAccessABI.staffRegistered.name:
                self = .staffRegistered(
                    staff: try event.value("staff").asAddress(), custodian: try event.value("custodian").asAddress(),
                    epoch: try event.value("epoch").asUInt64())
            case MedicalAccessABI.staffDeregistered.name:
                self = .staffDeregistered(staff: try event.value("staff").asAddress(), custodian: try event.value("custodian").asAddress())
            case MedicalAccessABI.recordAnchored.name:
                self = .recordAnchored(
                    recordId: try event.value("recordId").asBytes32(), patient: try event.value("patient").asAddress(),
                    custodian: try event.value("custodian").asAddress(), contentHash: try event.value("contentHash").asBytes32())
            case MedicalAccessABI.accessRequested.name:
                self = .accessRequested(
                    recordId: try event.value("recordId").asBytes32(), staff: try event.value("staff").asAddress(),
                    patient: try event.value("patient").asAddress(), purpose: UInt8(try event.value("purpose").asUInt64()))
            case MedicalAccessABI.granted.name, MedicalAccessABI.revoked.name:
                let token = try event.value("token").asBytes32(), staff = try event.value("staff").asAddress()
                let patient = try event.value("patient").asAddress(), recordId = try event.value("recordId").asBytes32()
                self = event.name == MedicalAccessABI.granted.name
                    ? .granted(token: token, staff: staff, patient: patient, recordId: recordId)
                    : .revoked(token: token, staff: staff, patient: patient, recordId: recordId)
            case MedicalAccessABI.accessed.name:
                let entry = AccessEntry(
                    requestId: try event.value("requestId").asBytes32(), token: try event.value("token").asBytes32(),
                    recordId: try event.value("recordId").asBytes32(), staff: try event.value("staff").asAddress(),
                    purpose: UInt8(try event.value("purpose").asUInt64()), outcome: UInt8(try event.value("outcome").asUInt64()),
                    accessedAt: try event.value("accessedAt").asUInt64(), commitment: try event.value("commitment").asBytes32())
                self = .accessed(Accessed(
                    entry: entry, patient: try event.value("patient").asAddress(), custodian: try event.value("custodian").asAddress(),
                    sequence: try event.value("sequence").asUInt64()))
            default:
                return nil
            }
        } catch {
            return nil
        }
    }
}

extension MedicalAccessContract {
    /// The typed event a log of this contract carries; nil for other contracts' logs and events
    /// the gateway does not read.
    public func event(_ log: Log) -> MedicalAccessEvent? {
        decode(log).flatMap(MedicalAccessEvent.init)
    }
}
