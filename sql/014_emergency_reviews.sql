-- An auditor's review of an emergency released here: the verdict (1 justified, 2 not justified)
-- and the note, with the auditor's EIP-712 signature over them (EmergencyReview), so the review
-- stands on its own. The outbox records it on-chain (reviewEmergency: the verdict, the reviewer
-- and the note's SHA-256) like an access entry: pending, submitted in a batch, confirmed.
CREATE TABLE emergency_reviews (
    emergency    bytea PRIMARY KEY CHECK (octet_length(emergency) = 32),
    reviewer     bytea NOT NULL CHECK (octet_length(reviewer) = 20),
    verdict      smallint NOT NULL CHECK (verdict IN (1, 2)),
    note         text NOT NULL CHECK (octet_length(note) BETWEEN 1 AND 4000),
    note_hash    bytea NOT NULL CHECK (octet_length(note_hash) = 32),
    nonce        bytea NOT NULL CHECK (octet_length(nonce) = 32),
    issued_at    bigint NOT NULL,
    signature    bytea NOT NULL CHECK (octet_length(signature) = 65),
    reviewed_at  timestamptz NOT NULL,
    chain_state  text NOT NULL DEFAULT 'pending' CHECK (chain_state IN ('pending', 'submitted', 'confirmed', 'rejected')),
    batch_id     bigint REFERENCES outbox_batches (id),
    tx_hash      bytea,
    block_number bigint,
    chain_error  text
);
CREATE INDEX emergency_reviews_waiting ON emergency_reviews (reviewed_at) WHERE chain_state = 'pending';
CREATE INDEX emergency_reviews_batch ON emergency_reviews (batch_id) WHERE batch_id IS NOT NULL;
