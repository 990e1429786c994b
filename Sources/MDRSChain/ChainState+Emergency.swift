import EthereumCore
import MDRSCore

extension ChainState {
    /// The declared emergency `id` at the current head, read from every node (the witnesses
    /// must agree); nil if there is none. Not cached: emergencies are rare, and each release
    /// in one should see the chain as it is.
    public func emergency(_ id: Bytes32) async throws -> EmergencyState? {
        let head = try freshHead().number
        let emergency = try await agreedRead("getEmergency", at: head) { try await $0.emergency(id, at: $1) }
        if emergency == nil, let newer = await catchUp(from: head) {
            // Declared in a block the watcher had not reached: the doctor fetches right after.
            return try await agreedRead("getEmergency", at: newer) { try await $0.emergency(id, at: $1) }
        }
        return emergency
    }

    /// `patient`'s stance on emergency access at the current head (a patient may refuse it
    /// after a declaration, within its window).
    public func emergencyPolicy(of patient: Address) async throws -> EmergencyPolicy {
        let head = try freshHead().number
        return try await agreedRead("emergencyPolicy", at: head) { try await $0.emergencyPolicy(of: patient, at: $1) }
    }
}
