import EthereumCore

/// What the custodian keeps with the access row of a release in a declared emergency: the
/// declaration's reason code and the justification's text (only its SHA-256 is on-chain).
public struct EmergencyRelease: Equatable, Sendable {
    /// The emergency's id (also the entry's token).
    public let emergency: Bytes32
    public let reason: UInt8
    public let justification: String

    package init(emergency: Bytes32, reason: UInt8, justification: String) {
        self.emergency = emergency
        self.reason = reason
        self.justification = justification
    }
}
