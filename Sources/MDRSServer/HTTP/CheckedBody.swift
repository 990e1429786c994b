import MDRSCore
import NIOCore

/// A request body that ends only where its `Content-Length` says: a body cut short by the
/// client (a closed connection, a broken upload) is the client's error, reported as
/// ``GatewayError/Code/bodyIncomplete``, not a failure of the gateway.
struct CheckedBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    /// The declared length, if any (a chunked body has none; its end is the transfer's own).
    let expectedLength: Int64?
    let onPiece: @Sendable (Int) -> Void

    func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), expectedLength: expectedLength, onPiece: onPiece)
    }

    struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let expectedLength: Int64?
        let onPiece: @Sendable (Int) -> Void
        var received: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            let piece: ByteBuffer?
            do {
                piece = try await base.next()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw GatewayError(.bodyIncomplete, "the request body broke off after \(received) bytes\(expectedText)")
            }
            guard let piece else {
                if let expectedLength, received != expectedLength {
                    throw GatewayError(.bodyIncomplete, "the request body ended after \(received) bytes\(expectedText)")
                }
                return nil
            }
            received += Int64(piece.readableBytes)
            onPiece(piece.readableBytes)
            return piece
        }

        var expectedText: String { expectedLength.map { " of the \($0) its Content-Length declares" } ?? "" }
    }
}
