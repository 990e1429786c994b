-- Records and their encrypted chunks.
--
-- A record row is written first in state 'writing', its chunks follow one statement each, and
-- the final chunk and the switch to 'complete' commit together: readers only ever see complete
-- records, and an interrupted upload leaves a 'writing' row that the janitor removes.

CREATE TABLE records (
    id               bytea PRIMARY KEY CHECK (octet_length(id) = 32),
    patient          bytea NOT NULL CHECK (octet_length(patient) = 20),
    content_type     text NOT NULL CHECK (content_type <> ''),
    state            text NOT NULL CHECK (state IN ('writing', 'complete', 'shredded')),
    chunk_size       integer NOT NULL CHECK (chunk_size > 0),
    chunk_count      integer CHECK (chunk_count > 0),
    size             bigint CHECK (size >= 0),
    sha256           bytea CHECK (octet_length(sha256) = 32),
    -- The data key, AES-256-GCM-wrapped by the master key named by key_id. NULL once shredded.
    key_id           text NOT NULL,
    wrapped_key      bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    shredded_at      timestamptz,
    CHECK (state <> 'complete' OR (chunk_count IS NOT NULL AND size IS NOT NULL AND sha256 IS NOT NULL
                                   AND wrapped_key IS NOT NULL)),
    CHECK (state <> 'shredded' OR wrapped_key IS NULL)
);

CREATE INDEX records_abandoned ON records (last_activity_at) WHERE state = 'writing';
CREATE INDEX records_by_key ON records (key_id) WHERE wrapped_key IS NOT NULL;
CREATE INDEX records_by_patient ON records (patient);

CREATE TABLE record_chunks (
    record_id   bytea NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    chunk_index integer NOT NULL CHECK (chunk_index >= 0),
    ciphertext  bytea NOT NULL,
    PRIMARY KEY (record_id, chunk_index)
);

-- Ciphertext does not compress: store it out of line without trying.
ALTER TABLE record_chunks ALTER COLUMN ciphertext SET STORAGE EXTERNAL;
