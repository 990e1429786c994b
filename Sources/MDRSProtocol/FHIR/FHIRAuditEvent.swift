/// A FHIR R4 `AuditEvent`, shaped after IHE Basic Audit Log Patterns' RESTful read
/// (`IHE.BasicAudit.Read`): one access to a record, served or refused. Only the elements the
/// gateway fills are modelled; every one of them is R4's.
public struct FHIRAuditEvent: Codable, Sendable, Equatable {
    public struct Agent: Codable, Sendable, Equatable {
        /// `agent.network`: where the agent was on the network, as the gateway's connection saw
        /// it. When the address is not known (or not shown to the reader), a data-absent-reason
        /// extension says why instead.
        public struct Network: Codable, Sendable, Equatable {
            public var `extension`: [FHIRExtension]?
            public var address: String?
            /// FHIR network-type: 1 machine name, 2 IP address, 5 URI.
            public var type: String?

            public init(address: String, type: String) {
                self.address = address
                self.type = type
            }

            /// No address: `reason` is a data-absent-reason code (`unknown`, `masked`).
            public init(absent reason: String) {
                self.extension = [FHIRExtension(url: FHIRExtension.dataAbsentReason, valueCode: reason)]
            }
        }

        public var type: FHIRCodeableConcept?
        public var who: FHIRReference?
        public var requestor: Bool
        public var network: Network?
        public var purposeOfUse: [FHIRCodeableConcept]?

        public init(
            type: FHIRCodeableConcept?, who: FHIRReference?, requestor: Bool, network: Network? = nil, purposeOfUse: [FHIRCodeableConcept]? = nil
        ) {
            self.type = type
            self.who = who
            self.requestor = requestor
            self.network = network
            self.purposeOfUse = purposeOfUse
        }
    }

    public struct Source: Codable, Sendable, Equatable {
        public var site: String?
        public var observer: FHIRReference
        public var type: [FHIRCoding]?

        public init(site: String?, observer: FHIRReference, type: [FHIRCoding]?) {
            self.site = site
            self.observer = observer
            self.type = type
        }
    }

    public struct Entity: Codable, Sendable, Equatable {
        public struct Detail: Codable, Sendable, Equatable {
            public var type: String
            public var valueString: String

            public init(type: String, valueString: String) {
                self.type = type
                self.valueString = valueString
            }
        }

        public var what: FHIRReference?
        public var type: FHIRCoding?
        public var role: FHIRCoding?
        public var description: String?
        public var detail: [Detail]?

        public init(what: FHIRReference?, type: FHIRCoding?, role: FHIRCoding?, description: String? = nil, detail: [Detail]? = nil) {
            self.what = what
            self.type = type
            self.role = role
            self.description = description
            self.detail = detail?.isEmpty == true ? nil : detail
        }
    }

    public var resourceType = "AuditEvent"
    /// The request id without `0x` (64 hex digits: a valid FHIR id).
    public var id: String?
    public var type: FHIRCoding
    public var subtype: [FHIRCoding]?
    /// C, R, U, D or E: always R (a read).
    public var action: String?
    /// FHIR `instant`, UTC.
    public var recorded: String
    /// 0 success, 4 minor failure, 8 serious failure (docs/decisions.md §19).
    public var outcome: String?
    public var outcomeDesc: String?
    public var agent: [Agent]
    public var source: Source
    public var entity: [Entity]?

    public init(
        id: String?, type: FHIRCoding, subtype: [FHIRCoding]?, action: String?, recorded: String, outcome: String?, outcomeDesc: String?,
        agent: [Agent], source: Source, entity: [Entity]?
    ) {
        self.id = id
        self.type = type
        self.subtype = subtype
        self.action = action
        self.recorded = recorded
        self.outcome = outcome
        self.outcomeDesc = outcomeDesc
        self.agent = agent
        self.source = source
        self.entity = entity
    }
}

extension FHIRAuditEvent {
    /// The code systems BALP's RESTful read uses.
    public enum System {
        public static let auditEventType = "http://terminology.hl7.org/CodeSystem/audit-event-type"
        public static let restfulInteraction = "http://hl7.org/fhir/restful-interaction"
        public static let dicom = "http://dicom.nema.org/resources/ontology/DCM"
        public static let securityRoleType = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
        public static let participationType = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
        /// IHE BALP's own entity types (`XrequestId` for the transaction entity).
        public static let basicAuditEntityType = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"
        public static let securitySourceType = "http://terminology.hl7.org/CodeSystem/security-source-type"
        public static let entityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
        public static let objectRole = "http://terminology.hl7.org/CodeSystem/object-role"
        /// HL7 v3 PurposeOfUse: its codes (TREAT, ETREAT, HPAYMT, ...) live in ActReason.
        public static let purposeOfUse = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
    }
}

/// A FHIR R4 extension with a code value (the gateway uses only data-absent-reason).
public struct FHIRExtension: Codable, Sendable, Equatable {
    public static let dataAbsentReason = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"

    public var url: String
    public var valueCode: String?

    public init(url: String, valueCode: String?) {
        self.url = url
        self.valueCode = valueCode
    }
}
