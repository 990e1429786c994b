-- The PostgreSQL clusters and timelines this database has run on. A point-in-time recovery ends
-- on a new timeline, a dump restored elsewhere is another cluster, and a promoted standby also
-- begins a timeline: each shows up as a row not held yet. The first row is the original
-- database; a later one marks a restore (or a promotion), with the chain's head when a gateway
-- first saw it. Entries of this custodian's on-chain log that have no row here and were logged
-- in that block or before were lost with the restore (the chain still holds them), not written
-- by someone else.
CREATE TABLE database_incarnations (
    system_identifier text        NOT NULL,
    timeline          integer     NOT NULL,
    first_seen        timestamptz NOT NULL,
    chain_head        bigint      NOT NULL CHECK (chain_head >= 0),
    original          boolean     NOT NULL,
    PRIMARY KEY (system_identifier, timeline)
);

ALTER TABLE audit_findings DROP CONSTRAINT audit_findings_kind_check;
ALTER TABLE audit_findings ADD CONSTRAINT audit_findings_kind_check CHECK (kind IN (
    'missing_on_chain', 'unknown_here', 'commitment_mismatch', 'lost_in_restore',
    'served_after_revocation', 'served_after_expiry', 'served_after_registration_change'));
