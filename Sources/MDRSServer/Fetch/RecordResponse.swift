import EthereumCore
import HTTPTypes
import Hummingbird
import MDRSCore
import MDRSPostgres
import MDRSProtocol

/// A released record as an HTTP response, streamed chunk by chunk.
struct RecordResponse {
    let record: StoredRecord
    let reader: RecordReader
    let requestId: Bytes32
    let partial: Bool
    /// The document's file name, if it has one; else the record id.
    var fileName: String? = nil
    let metrics: GatewayMetrics

    func response() -> Response {
        // The content type is what the uploader declared: never let a browser sniff it into
        // something executable, and make it a download rather than a page of this origin.
        var headers: HTTPFields = [
            .contentType: record.contentType,
            .contentDisposition: Self.disposition(fileName: fileName, fallback: "\(record.id.hex.dropFirst(2)).bin"),
            .xContentTypeOptions: "nosniff",
            .acceptRanges: "bytes",
            .cacheControl: "no-store",
            .mdrsRequestId: requestId.hex,
            .mdrsRecordSHA256: record.sha256.hex,
        ]
        if partial, let range = reader.range {
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(record.size)"
        }
        let reader = self.reader
        let metrics = self.metrics
        let body = ResponseBody(contentLength: Int(reader.length)) { writer in
            for try await buffer in reader {
                try await writer.write(buffer)
                metrics.bytesStreamed(buffer.readableBytes, direction: "out")
            }
            try await writer.finish(nil)
        }
        return Response(status: partial ? .partialContent : .ok, headers: headers, body: body)
    }

    /// `attachment` with the file name (RFC 6266): an ASCII `filename` for old clients, where
    /// every other character is `_`, and the exact name as `filename*` (RFC 8187, UTF-8).
    static func disposition(fileName: String?, fallback: String) -> String {
        guard let fileName else { return "attachment; filename=\"\(fallback)\"" }
        let ascii = String(fileName.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && scalar.value >= 0x20 && scalar.value != 0x7F && scalar != "\"" && scalar != "\\" ? Character(scalar) : "_"
        })
        let attrChar = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&+-.^_`|~".utf8)
        let encoded = fileName.utf8.map { attrChar.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
        return "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }
}
