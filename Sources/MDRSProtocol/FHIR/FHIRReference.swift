/// A FHIR R4 `Reference` by business identifier: the gateway has no FHIR server of patients,
/// practitioners or devices to point at, only their accounts on the chain.
public struct FHIRReference: Codable, Sendable, Equatable {
    /// The type of resource the reference is to, when the reference has only an identifier
    /// ("Patient" for the patient entity, as IHE BALP's PatientRead asks).
    public var type: String?
    public var identifier: FHIRIdentifier?
    public var display: String?

    public init(type: String? = nil, identifier: FHIRIdentifier?, display: String? = nil) {
        self.type = type
        self.identifier = identifier
        self.display = display
    }
}

/// A FHIR R4 `Identifier`. The systems the gateway uses are URNs under `urn:mdrs:eip155:<chain
/// id>:` (see ``FHIRIdentifier/account(_:chainId:)`` and the others; docs/decisions.md §19).
public struct FHIRIdentifier: Codable, Sendable, Equatable {
    public var system: String?
    public var value: String?

    public init(system: String?, value: String?) {
        self.system = system
        self.value = value
    }

    /// An account (staff member, patient, custodian): its checksummed address.
    public static func account(_ address: String, chainId: String) -> FHIRIdentifier {
        FHIRIdentifier(system: "urn:mdrs:eip155:\(chainId):account", value: address)
    }

    /// A record held by a custodian: its 32-byte id as anchored on the chain.
    public static func record(_ id: String, chainId: String) -> FHIRIdentifier {
        FHIRIdentifier(system: "urn:mdrs:eip155:\(chainId):record", value: id)
    }

    /// A declared emergency (break-glass): its id on the chain.
    public static func emergency(_ id: String, chainId: String) -> FHIRIdentifier {
        FHIRIdentifier(system: "urn:mdrs:eip155:\(chainId):emergency", value: id)
    }

    /// A request to the gateway: its id, as answered in `MDRS-Request-Id` and logged on-chain.
    public static func request(_ id: String, chainId: String) -> FHIRIdentifier {
        FHIRIdentifier(system: "urn:mdrs:eip155:\(chainId):request", value: id)
    }

    /// The transaction that logged an access on the chain.
    public static func transaction(_ hash: String, chainId: String) -> FHIRIdentifier {
        FHIRIdentifier(system: "urn:mdrs:eip155:\(chainId):transaction", value: hash)
    }
}
