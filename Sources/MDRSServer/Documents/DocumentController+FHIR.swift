import EthereumCore
import Foundation
import Hummingbird
import MDRSCore
import MDRSProtocol

extension DocumentController {
    /// `GET /fhir/DocumentReference?patient=`: a searchset Bundle of the patient's records held
    /// here, for the patient (or a records clerk) signing a `PatientRequest` over the target.
    func fhirDocumentReferences(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let allowed: Set<String> = ["patient", "_format"]
        for (name, _) in query where !allowed.contains(String(name)) {
            throw APIError(.badRequest, "unknown search parameter \(name); use patient (and _format)")
        }
        try Self.checkFormat(query.getAll("_format"))
        let patients = query.getAll("patient")
        guard patients.count == 1, let text = patients.first else {
            throw APIError(.badRequest, "search by patient: patient=<the patient's address>, once")
        }
        let id = text.hasPrefix("Patient/") ? String(text.dropFirst("Patient/".count)) : text
        guard let patient = try? Address(id), patient != .zero else { throw APIError(.badRequest, "patient must be a patient's address") }
        let found = try await documents(of: patient, request)
        let hospital = found.documents.isEmpty ? nil : await hospitalName()
        let entries = found.documents.map { summary in
            let address = (try? Bytes32(summary.recordId)).flatMap { try? vault.sealer.seal(recordId: $0) }
            return FHIRBundle.Entry(resource: FHIRDocumentReference(summary, chainId: chainId, hospital: hospital, encryptedAddress: address))
        }
        let bundle = FHIRBundle<FHIRDocumentReference>(
            timestamp: FHIRDateTime.instant(UInt64(max(0, Date().timeIntervalSince1970))),
            link: [.init(relation: "self", url: request.uri.description)], entry: entries)
        return try Response.fhir(bundle)
    }

    /// `GET /fhir/DocumentReference/{id}`: one record (its id, 64 hex digits), for a
    /// `DocumentRequest` as `GET /v1/records/{recordId}/document` takes.
    func fhirDocumentReference(_ request: Request, id: String) async throws -> Response {
        try Self.checkFormat(request.uri.queryParameters.getAll("_format"))
        guard id.utf8.count == 64, let recordId = try? Bytes32("0x" + id) else {
            throw APIError(.badRequest, "a DocumentReference id is the record id: 64 hex digits")
        }
        let (summary, address) = try await document(request, recordId: recordId)
        return try Response.fhir(FHIRDocumentReference(summary, chainId: chainId, hospital: await hospitalName(), encryptedAddress: address))
    }

    static func checkFormat(_ values: [String]) throws {
        guard values.count <= 1 else { throw APIError(.badRequest, "_format may be given once") }
        if let format = values.first, !["json", "application/json", "application/fhir+json"].contains(format) {
            throw APIError(.badRequest, "_format: this server answers FHIR JSON only (json, application/fhir+json)")
        }
    }
}
