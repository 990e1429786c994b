import EthereumCore
import MDRSProtocol
import NIOCore
import PostgresNIO

extension OutboxStore {
    /// Where a stored record's anchor stands; nil if no record has this id here.
    package func anchorStatus(_ recordId: Bytes32) async throws -> AnchorStatus? {
        let rows = try await client.query(
            "SELECT chain_state, tx_hash, block_number, chain_error FROM record_anchors WHERE record_id = \(recordId.buffer)",
            logger: logger)
        for try await (state, tx, block, error) in rows.decode((LogState, ByteBuffer?, Int64?, String?).self) {
            return AnchorStatus(
                recordId: recordId.hex, status: state, transactionHash: tx.map { Hex.encode(Array(buffer: $0)) },
                blockNumber: block, error: error)
        }
        return nil
    }
}
