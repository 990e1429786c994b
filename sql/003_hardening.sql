-- Served accesses before denials in the outbox, the backlog by kind, and the retention of rows
-- kept only here.

-- The writer takes pending served rows first, oldest first, then denials.
DROP INDEX access_log_pending;
CREATE INDEX access_log_pending ON access_log ((outcome <> 1), created_at, request_id) WHERE chain_state = 'pending';

-- The stall bound reads the oldest waiting served row; readiness the oldest of each kind.
CREATE INDEX access_log_waiting ON access_log (outcome, created_at) WHERE chain_state IN ('pending', 'submitted');

-- The janitor deletes stale and replayed requests' rows after access.local_retention_days.
CREATE INDEX access_log_local ON access_log (created_at)
    WHERE chain_state = 'local_only' AND reason IN ('request_stale', 'nonce_reused');

-- Refusals of registered staff beyond their budget are counted here instead of getting a row:
-- by signer, minute and code (the janitor adds its in-memory tallies every minute).
CREATE TABLE refusal_tallies (
    signer  bytea NOT NULL CHECK (octet_length(signer) = 20),
    minute  timestamptz NOT NULL,
    reason  text NOT NULL,
    count   integer NOT NULL CHECK (count > 0),
    PRIMARY KEY (signer, minute, reason)
);

-- A served access the contract refused to log is an incident: fetches stop until an operator
-- has reviewed it (`mdrs outbox review`), which is recorded here.
ALTER TABLE access_log ADD COLUMN reviewed_at timestamptz, ADD COLUMN review_note text;
CREATE INDEX access_log_unreviewed ON access_log (created_at) WHERE chain_state = 'rejected' AND outcome = 1 AND reviewed_at IS NULL;
