-- The gateway's durable state besides the records: request nonces (replay protection), the
-- access log and record anchors (the outbox to the chain), and the transactions that carry them.

-- A nonce is kept until the request's time window has passed; after that the time check alone
-- refuses a replay.
CREATE TABLE request_nonces (
    signer     bytea NOT NULL CHECK (octet_length(signer) = 20),
    nonce      bytea NOT NULL CHECK (octet_length(nonce) = 32),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (signer, nonce)
);
CREATE INDEX request_nonces_expiry ON request_nonces (expires_at);

-- One batch = one on-chain transaction (publish or logAccess) at one account nonce. Its signed
-- versions (the first and each fee-bumped replacement) are in outbox_transactions, written
-- before they are sent, so a restart can always find out which of them was mined.
CREATE TABLE outbox_batches (
    id           bigserial PRIMARY KEY,
    signer       bytea NOT NULL CHECK (octet_length(signer) = 20),
    account_nonce bigint NOT NULL,
    state        text NOT NULL CHECK (state IN ('sent', 'mined', 'confirmed', 'dropped')),
    tx_hash      bytea,      -- the version that was mined
    block_number bigint,
    block_hash   bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_sent_at timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE UNIQUE INDEX outbox_batches_open ON outbox_batches (signer) WHERE state IN ('sent', 'mined');

CREATE TABLE outbox_transactions (
    tx_hash    bytea PRIMARY KEY CHECK (octet_length(tx_hash) = 32),
    batch_id   bigint NOT NULL REFERENCES outbox_batches (id),
    raw        bytea NOT NULL,
    fee_cap    numeric NOT NULL,   -- gasPrice or maxFeePerGas, in wei
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_transactions_batch ON outbox_transactions (batch_id);

-- Every fetch decision, served or refused, before the first byte leaves. chain_state:
--   pending     waits for the writer      submitted  in an open batch
--   confirmed   on-chain (tx_hash, block_number, log_index)
--   local_only  kept here only (unauthenticated refusals, or on-chain denial logging off)
--   rejected    the contract refused it (reason in chain_error); kept for the auditor
CREATE TABLE access_log (
    request_id    bytea PRIMARY KEY CHECK (octet_length(request_id) = 32),
    token         bytea NOT NULL CHECK (octet_length(token) = 32),
    record_id     bytea NOT NULL CHECK (octet_length(record_id) = 32),
    staff         bytea NOT NULL CHECK (octet_length(staff) = 20),
    patient       bytea CHECK (octet_length(patient) = 20),
    purpose       smallint NOT NULL,
    outcome       smallint NOT NULL,
    reason        text NOT NULL,
    accessed_at   bigint NOT NULL,       -- Unix seconds, as logged on-chain
    range_start   bigint,
    range_end     bigint,
    signature_hash bytea NOT NULL CHECK (octet_length(signature_hash) = 32),
    commitment    bytea NOT NULL CHECK (octet_length(commitment) = 32),
    chain_state   text NOT NULL CHECK (chain_state IN ('pending', 'submitted', 'confirmed', 'local_only', 'rejected')),
    chain_error   text,
    batch_id      bigint REFERENCES outbox_batches (id),
    tx_hash       bytea,
    block_number  bigint,
    log_index     integer,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_log_pending ON access_log (created_at) WHERE chain_state = 'pending';
CREATE INDEX access_log_batch ON access_log (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX access_log_record ON access_log (record_id, accessed_at);
CREATE INDEX access_log_staff ON access_log (staff, accessed_at);
CREATE INDEX access_log_patient ON access_log (patient, accessed_at);
CREATE INDEX access_log_time ON access_log (accessed_at);

-- A stored record's on-chain anchor, through the same outbox.
CREATE TABLE record_anchors (
    record_id         bytea PRIMARY KEY REFERENCES records (id),
    patient           bytea NOT NULL CHECK (octet_length(patient) = 20),
    content_hash      bytea NOT NULL CHECK (octet_length(content_hash) = 32),
    encrypted_address bytea NOT NULL,
    chain_state       text NOT NULL CHECK (chain_state IN ('pending', 'submitted', 'confirmed', 'rejected')),
    chain_error       text,
    batch_id          bigint REFERENCES outbox_batches (id),
    tx_hash           bytea,
    block_number      bigint,
    log_index         integer,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX record_anchors_pending ON record_anchors (created_at) WHERE chain_state = 'pending';
CREATE INDEX record_anchors_batch ON record_anchors (batch_id) WHERE batch_id IS NOT NULL;
