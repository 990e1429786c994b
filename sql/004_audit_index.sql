-- The audit log at hospital scale: the gateway's own index of this custodian's on-chain
-- `Accessed` events, keyset-paged reads of both sides, and the incremental consistency check.

-- This custodian's `Accessed` events as the chain holds them, filled by the indexer from the
-- audit node (a witness when there is one). A reorganised block's rows are deleted and read
-- again; `block_hash` is the block's hash when its row was read.
CREATE TABLE chain_accesses (
    request_id    bytea PRIMARY KEY CHECK (octet_length(request_id) = 32),
    token         bytea NOT NULL CHECK (octet_length(token) = 32),
    record_id     bytea NOT NULL CHECK (octet_length(record_id) = 32),
    staff         bytea NOT NULL CHECK (octet_length(staff) = 20),
    patient       bytea CHECK (octet_length(patient) = 20),   -- NULL: the contract named none
    purpose       smallint NOT NULL,
    outcome       smallint NOT NULL,
    accessed_at   bigint NOT NULL,
    commitment    bytea NOT NULL CHECK (octet_length(commitment) = 32),
    block_number  bigint NOT NULL,
    block_hash    bytea NOT NULL CHECK (octet_length(block_hash) = 32),
    log_index     integer NOT NULL,
    tx_hash       bytea NOT NULL CHECK (octet_length(tx_hash) = 32)
);
-- Every audit page is ordered by (accessed_at, request_id) after a filter's equality: one
-- index per filter that leads, so a page at any depth is an index range scan.
CREATE INDEX chain_accesses_time ON chain_accesses (accessed_at, request_id);
CREATE INDEX chain_accesses_staff ON chain_accesses (staff, accessed_at, request_id);
CREATE INDEX chain_accesses_patient ON chain_accesses (patient, accessed_at, request_id);
CREATE INDEX chain_accesses_record ON chain_accesses (record_id, accessed_at, request_id);
CREATE INDEX chain_accesses_block ON chain_accesses (block_number, log_index);

-- How far the index and the check have got, for one contract and custodian (another
-- configuration starts the index afresh). -1: nothing yet.
CREATE TABLE chain_index_state (
    singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    contract         bytea NOT NULL CHECK (octet_length(contract) = 20),
    custodian        bytea NOT NULL CHECK (octet_length(custodian) = 20),
    from_block       bigint NOT NULL,
    indexed_through  bigint NOT NULL,
    checked_through  bigint NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- The hashes of recently indexed blocks (the end of each read window), to find where a
-- reorganisation forked; older ones are pruned.
CREATE TABLE chain_index_blocks (
    number  bigint PRIMARY KEY,
    hash    bytea NOT NULL CHECK (octet_length(hash) = 32)
);

-- What the incremental check found, kept until a rescan or a reorganisation below it.
CREATE TABLE audit_findings (
    request_id    bytea NOT NULL CHECK (octet_length(request_id) = 32),
    kind          text NOT NULL CHECK (kind IN ('missing_on_chain', 'unknown_here', 'commitment_mismatch')),
    block_number  bigint NOT NULL,
    found_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, kind)
);
CREATE INDEX audit_findings_block ON audit_findings (block_number);

-- The custodian's rows, paged the same way.
DROP INDEX access_log_record;
DROP INDEX access_log_staff;
DROP INDEX access_log_patient;
DROP INDEX access_log_time;
CREATE INDEX access_log_time ON access_log (accessed_at, request_id);
CREATE INDEX access_log_staff ON access_log (staff, accessed_at, request_id);
CREATE INDEX access_log_patient ON access_log (patient, accessed_at, request_id);
CREATE INDEX access_log_record ON access_log (record_id, accessed_at, request_id);
-- The check reads confirmed rows by block; waiting and rejected rows by state.
CREATE INDEX access_log_confirmed_block ON access_log (block_number) WHERE chain_state = 'confirmed';
CREATE INDEX access_log_rejected ON access_log (request_id) WHERE chain_state = 'rejected';
