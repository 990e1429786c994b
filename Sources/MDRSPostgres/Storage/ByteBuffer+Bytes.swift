import EthereumCore
import NIOCore

// Binary columns bind and decode as bytea through ByteBuffer ([UInt8] would bind as "char"[]).

extension Bytes32 {
    package var buffer: ByteBuffer { ByteBuffer(bytes: bytes) }

    package init(buffer: ByteBuffer) throws {
        try self.init(bytes: Array(buffer: buffer))
    }
}

extension Address {
    package var buffer: ByteBuffer { ByteBuffer(bytes: bytes) }

    package init(buffer: ByteBuffer) throws {
        try self.init(bytes: Array(buffer: buffer))
    }
}
