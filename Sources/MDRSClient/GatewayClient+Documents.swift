import EthereumCore
import Foundation
import MDRSProtocol

extension GatewayClient {
    /// The records of `patient` (nil: the signer) held by this gateway's custodian, by title,
    /// type and date; for the patient, or a records clerk of the custodian.
    public func documents(of patient: Address? = nil) async throws -> PatientDocuments {
        let patient = patient ?? key.address
        let target = "/v1/patients/\(patient.checksummed)/documents"
        let body = try await signedGET(target) { nonce, issuedAt in
            SignedRequest.patient(patient, query: target, nonce: nonce, issuedAt: issuedAt, domain: domain)
        }
        return try JSONDecoder().decode(PatientDocuments.self, from: body)
    }

    /// What record `recordId` is: as the patient or a records clerk (`token` nil), or as the
    /// grantee of `token`.
    public func document(recordId: Bytes32, token: Bytes32? = nil) async throws -> DocumentSummary {
        try JSONDecoder().decode(DocumentSummary.self, from: try await documentBody("/v1/records/\(recordId.hex)/document", recordId: recordId, token: token))
    }

    /// The record as FHIR R4 `DocumentReference` JSON (signed as ``document(recordId:token:)``).
    public func fhirDocumentReference(recordId: Bytes32, token: Bytes32? = nil) async throws -> Data {
        try await documentBody("/fhir/DocumentReference/\(recordId.hex.dropFirst(2))", recordId: recordId, token: token)
    }

    /// The patient's records as a FHIR searchset Bundle of `DocumentReference`s.
    public func fhirDocumentReferences(of patient: Address? = nil) async throws -> Data {
        let patient = patient ?? key.address
        let target = "/fhir/DocumentReference?patient=\(patient.checksummed)"
        return try await signedGET(target) { nonce, issuedAt in
            SignedRequest.patient(patient, query: target, nonce: nonce, issuedAt: issuedAt, domain: domain)
        }
    }

    private func documentBody(_ target: String, recordId: Bytes32, token: Bytes32?) async throws -> Data {
        try await signedGET(target, extraHeaders: token.map { [SignedRequest.Header.token: $0.hex] } ?? [:]) { nonce, issuedAt in
            SignedRequest.document(recordId: recordId, token: token ?? .zero, nonce: nonce, issuedAt: issuedAt, domain: domain)
        }
    }
}
