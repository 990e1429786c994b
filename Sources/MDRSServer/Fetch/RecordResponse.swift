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
    let metrics: GatewayMetrics

    func response() -> Response {
        // The content type is what the uploader declared: never let a browser sniff it into
        // something executable, and make it a download rather than a page of this origin.
        var headers: HTTPFields = [
            .contentType: record.contentType,
            .contentDisposition: "attachment; filename=\"\(record.id.hex.dropFirst(2)).bin\"",
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
}
