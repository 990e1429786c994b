-- The statements a served fetch of a one-chunk record makes, for pgbench (deploy/dev bench):
-- the record lookup, the nonce claimed with the access row (one statement), the chunk read. As
-- the gateway sends them (Sources/MDRSPostgres: RecordQuery, InsertAccessClaimingNonce,
-- ChunkQuery), except that the rows are local_only, so that the outbox writer leaves them alone.
-- Variables: record (hex, no 0x), staff (hex, no 0x).
SELECT r.patient, r.content_type, r.state, r.size, r.sha256, r.chunk_size, r.chunk_count,
       r.key_id, r.wrapped_key, r.created_at,
       (SELECT count(*) FROM record_chunks c WHERE c.record_id = r.id),
       (SELECT max(chunk_index) FROM record_chunks c WHERE c.record_id = r.id)
FROM records r WHERE r.id = decode(:record, 'hex');
WITH claimed AS (
    INSERT INTO request_nonces (signer, nonce, expires_at)
    VALUES (decode(:staff, 'hex'), sha256(random()::text::bytea), now() + interval '301 seconds')
    ON CONFLICT DO NOTHING RETURNING 1
)
INSERT INTO access_log (request_id, token, record_id, staff, patient, purpose, outcome, reason, accessed_at,
    range_start, range_end, signature_hash, commitment, chain_state, created_at)
SELECT sha256(random()::text::bytea), sha256('token'), decode(:record, 'hex'), decode(:staff, 'hex'), decode(:staff, 'hex'),
    1, 0, 'served', extract(epoch FROM now())::bigint, NULL, NULL, sha256(random()::text::bytea),
    sha256(random()::text::bytea), 'local_only', now() FROM claimed
RETURNING 1;
SELECT ciphertext FROM record_chunks WHERE record_id = decode(:record, 'hex') AND chunk_index = 0;
