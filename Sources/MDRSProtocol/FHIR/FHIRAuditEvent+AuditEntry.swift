extension FHIRAuditEvent {
    /// The AuditEvent of one access as the audit log holds it (the chain's entry joined with the
    /// custodian's row), shaped as IHE BALP's PatientRead (`IHE.BasicAudit.PatientRead`) for a
    /// served read. `chainId` names the identifier systems; `custodian` is the gateway's
    /// hospital, the source and the server agent; `serverAddress` is where the gateway is on the
    /// network (its public URL, or host and port). `showClientAddress` false leaves the
    /// requester's IP address out (masked), for readers other than auditors.
    /// `staffName` is how people read the staff member ("Dr. Ana Silva, physician, Cardiology"),
    /// when the hospital's directory names them; `hospital` is the custodian's name on-chain.
    ///
    /// A release in a declared emergency (break-glass) is a security alert: type DICOM 110113
    /// "Security Alert", subtype 110127 "Emergency Override Started" beside the read, purpose
    /// ETREAT, and an entity naming the declaration.
    public init(
        _ entry: AuditEntry, chainId: String, custodian: String, serverAddress: String, showClientAddress: Bool, staffName: String? = nil,
        hospital: String? = nil
    ) {
        let emergency = entry.outcome == Int(AccessOutcome.servedEmergency.rawValue)
        let served = entry.outcome == Int(AccessOutcome.served.rawValue) || emergency
        let purpose = UInt8(exactly: entry.purpose).flatMap(PurposeOfUse.init(rawValue:))
        let purposeOfUse = purpose.map { FHIRCodeableConcept(coding: [FHIRCoding(system: System.purposeOfUse, code: $0.code, display: $0.words)]) }
            ?? FHIRCodeableConcept(text: "purpose \(entry.purpose) (not an HL7 code this gateway knows)")
        let staff = FHIRReference(identifier: .account(entry.staff, chainId: chainId), display: staffName)
        let server = FHIRReference(identifier: .account(custodian, chainId: chainId), display: "MDRS gateway of \(hospital.map { $0.isEmpty ? "custodian \(custodian)" : $0 } ?? "custodian \(custodian)")")
        let clientNetwork: Agent.Network =
            if let address = entry.local?.clientAddress { showClientAddress ? Agent.Network(address: address, type: "2") : Agent.Network(absent: "masked") }
            else { Agent.Network(absent: "unknown") }
        let serverNetwork = Agent.Network(address: serverAddress, type: serverAddress.contains("://") ? "5" : "1")

        var entities = [Entity]()
        if let patient = entry.patient {
            entities.append(Entity(
                what: FHIRReference(type: "Patient", identifier: .account(patient, chainId: chainId)),
                type: FHIRCoding(system: System.entityType, code: "1", display: "Person"),
                role: FHIRCoding(system: System.objectRole, code: "1", display: "Patient")))
        }
        var recordDetail = [Entity.Detail]()
        if let start = entry.local?.rangeStart, let end = entry.local?.rangeEnd {
            recordDetail.append(Entity.Detail(type: "range", valueString: "bytes=\(start)-\(end)"))
        }
        // BALP's one entity[data]: the record read.
        entities.append(Entity(
            what: FHIRReference(identifier: .record(entry.recordId, chainId: chainId)),
            type: FHIRCoding(system: System.entityType, code: "2", display: "System Object"),
            role: FHIRCoding(system: System.objectRole, code: "4", display: "Domain Resource"),
            description: "the medical record read", detail: recordDetail))
        // BALP's entity[transaction]: the request (its MDRS-Request-Id), with where the chain
        // logged it.
        var transactionDetail = [Entity.Detail]()
        if let onChain = entry.onChain {
            transactionDetail = [
                Entity.Detail(type: "transactionHash", valueString: onChain.transactionHash),
                Entity.Detail(type: "blockNumber", valueString: String(onChain.blockNumber)),
                Entity.Detail(type: "logIndex", valueString: String(onChain.logIndex)),
                Entity.Detail(type: "commitment", valueString: onChain.commitment),
            ]
        }
        entities.append(Entity(
            what: FHIRReference(identifier: .request(entry.requestId, chainId: chainId)),
            type: FHIRCoding(system: System.basicAuditEntityType, code: "XrequestId", display: "X-Request-Id"),
            role: nil,
            description: entry.onChain == nil ? "the request (not yet on the consortium chain)" : "the request, and its entry in the consortium chain's log",
            detail: transactionDetail))

        if emergency {
            entities.append(Entity(
                what: FHIRReference(identifier: .emergency(entry.token, chainId: chainId)),
                type: FHIRCoding(system: System.entityType, code: "4", display: "Other"),
                role: FHIRCoding(system: System.objectRole, code: "13", display: "Security Resource"),
                description: "the emergency declared on the consortium chain (break-glass) that opened the record without a grant"))
        }
        let read = FHIRCoding(system: System.restfulInteraction, code: "read", display: "read")
        self.init(
            id: String(entry.requestId.dropFirst(entry.requestId.hasPrefix("0x") ? 2 : 0)),
            type: emergency
                ? FHIRCoding(system: System.dicom, code: "110113", display: "Security Alert")
                : FHIRCoding(system: System.auditEventType, code: "rest", display: "RESTful Operation"),
            subtype: emergency ? [FHIRCoding(system: System.dicom, code: "110127", display: "Emergency Override Started"), read] : [read],
            action: "R",
            recorded: FHIRDateTime.instant(entry.accessedAt),
            outcome: served ? "0" : Self.failureSeverity(entry),
            outcomeDesc: served ? nil : Self.failureDescription(entry),
            agent: [
                // BALP's agent[user]: the staff member who receives the record.
                Agent(
                    type: FHIRCodeableConcept(coding: [
                        FHIRCoding(system: System.participationType, code: "IRCP", display: "information recipient"),
                        FHIRCoding(system: System.securityRoleType, code: "humanuser", display: "human user"),
                    ]),
                    who: staff, requestor: true, purposeOfUse: [purposeOfUse]),
                // agent[client]: the staff member's application, where the data went.
                Agent(
                    type: FHIRCodeableConcept(coding: [FHIRCoding(system: System.dicom, code: "110152", display: "Destination Role ID")]),
                    who: staff, requestor: false, network: clientNetwork),
                // agent[server]: this gateway, where the data came from.
                Agent(
                    type: FHIRCodeableConcept(coding: [FHIRCoding(system: System.dicom, code: "110153", display: "Source Role ID")]),
                    who: server, requestor: false, network: serverNetwork),
            ],
            source: Source(
                site: custodian, observer: server,
                type: [FHIRCoding(system: System.securitySourceType, code: "4", display: "Application Server")]),
            entity: entities)
    }

    /// A refusal's severity: 8 (serious) when the gateway found the stored record at odds with
    /// its anchor, served without a grant, failed itself, or cannot name the reason; 4 (minor)
    /// for the everyday refusals of what the requester presented or lacked, a bad range among
    /// them.
    static func failureSeverity(_ entry: AuditEntry) -> String {
        switch UInt8(exactly: entry.outcome).flatMap(AccessOutcome.init(rawValue:)) {
        case .recordConflict, .servedWithoutGrant, nil: "8"
        case .refused: entry.local.map { $0.reason == "internal_error" ? "8" : "4" } ?? "8"
        default: "4"
        }
    }

    /// What went wrong. A served access the chain holds no grant for was not refused: the
    /// record left, which is the serious failure.
    static func failureDescription(_ entry: AuditEntry) -> String {
        if entry.outcome == Int(AccessOutcome.servedWithoutGrant.rawValue) {
            return "served without a grant the chain holds (incident)"
        }
        return "refused: \(entry.local?.reason ?? outcomeName(entry.outcome))"
    }

    /// The outcome's name when the custodian's row (with its reason) is not here.
    static func outcomeName(_ outcome: Int) -> String {
        UInt8(exactly: outcome).flatMap(AccessOutcome.init(rawValue:)).map { "\($0)" } ?? "outcome \(outcome)"
    }
}
