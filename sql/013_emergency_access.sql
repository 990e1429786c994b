-- Break-glass: a record released in a declared emergency, without a grant (outcome 20). Its
-- row's token is the emergency's id; the custodian keeps the declaration's reason code and the
-- justification's text with it (only the text's SHA-256 is on-chain). Like the rest of the
-- access log, sensitive: the text may describe the patient's condition.
CREATE TABLE emergency_accesses (
    request_id    bytea PRIMARY KEY REFERENCES access_log (request_id),
    emergency     bytea NOT NULL CHECK (octet_length(emergency) = 32),
    reason        smallint NOT NULL CHECK (reason BETWEEN 1 AND 255),
    justification text NOT NULL CHECK (octet_length(justification) BETWEEN 1 AND 2000)
);
CREATE INDEX emergency_accesses_emergency ON emergency_accesses (emergency);

-- A release is outcome 1 or 20 wherever the outbox and the incident review ask for served rows.
DROP INDEX access_log_pending;
CREATE INDEX access_log_pending ON access_log ((outcome NOT IN (1, 20)), created_at, request_id) WHERE chain_state = 'pending';
DROP INDEX access_log_unreviewed;
CREATE INDEX access_log_unreviewed ON access_log (created_at)
    WHERE chain_state = 'rejected' AND outcome IN (1, 20) AND reviewed_at IS NULL;
