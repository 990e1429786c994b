-- Every number of the custodian's on-chain log that the audit index has read, with the request
-- it names. chain_accesses holds one row per request id; the contract does not forbid logging
-- one id twice (it keeps no slot per request), so the completeness check counts numbers here:
-- a request id logged twice is then reported as a repeat, not as a gap. `repeats` is the
-- earlier number of the same request id, set when the later one is read.
CREATE TABLE chain_access_numbers (
    sequence      bigint PRIMARY KEY CHECK (sequence > 0),
    request_id    bytea NOT NULL CHECK (octet_length(request_id) = 32),
    block_number  bigint NOT NULL,
    repeats       bigint CHECK (repeats > 0 AND repeats < sequence)
);
CREATE INDEX chain_access_numbers_request ON chain_access_numbers (request_id, sequence);
CREATE INDEX chain_access_numbers_block ON chain_access_numbers (block_number);
CREATE INDEX chain_access_numbers_repeats ON chain_access_numbers (sequence) WHERE repeats IS NOT NULL;
DROP INDEX chain_accesses_sequence;

-- The index read so far kept one number per request id: read it again, with every number.
DELETE FROM chain_accesses;
DELETE FROM chain_index_state;
DELETE FROM chain_index_blocks;
DELETE FROM audit_findings;
