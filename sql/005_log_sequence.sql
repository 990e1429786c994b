-- The on-chain access log is numbered per custodian (1, 2, 3, ... without gaps): the contract
-- keeps only the last number, refuses a batch that does not follow it, and so needs no storage
-- slot per entry. The outbox numbers a batch's rows when it records the batch's first signed
-- transaction (createBatch), in the same database transaction: a crash after that sends the
-- same numbers again, and a batch that certainly did not land gives its numbers back.
ALTER TABLE access_log ADD COLUMN sequence bigint CHECK (sequence > 0);
-- One gateway database logs for one custodian key: a number is used once.
CREATE UNIQUE INDEX access_log_sequence ON access_log (sequence) WHERE sequence IS NOT NULL;

-- The highest number known to be taken on-chain by this custodian, when it is higher than any
-- row's here: entries the custodian's key logged that this gateway did not write (an alert).
-- The next batch is numbered after both.
CREATE TABLE log_sequence (
    signer  bytea PRIMARY KEY CHECK (octet_length(signer) = 20),
    last    bigint NOT NULL CHECK (last >= 0)
);

-- A batch open when the gateway stopped was built for the contract before this one (other
-- calldata, other events): its rows go back to the queue, to be numbered and sent to the new one.
UPDATE outbox_batches SET state = 'dropped', finished_at = now() WHERE state IN ('sent', 'mined');
UPDATE access_log SET chain_state = 'pending', batch_id = NULL WHERE chain_state = 'submitted';
UPDATE record_anchors SET chain_state = 'pending', batch_id = NULL WHERE chain_state = 'submitted';

-- The audit index keeps each entry's number, so the check can prove the log has no gap.
ALTER TABLE chain_accesses ADD COLUMN sequence bigint;
CREATE INDEX chain_accesses_sequence ON chain_accesses (sequence);
-- The index of an earlier contract has no numbers: read it again.
DELETE FROM chain_accesses;
DELETE FROM chain_index_state;
DELETE FROM chain_index_blocks;
DELETE FROM audit_findings;
