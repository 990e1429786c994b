-- What each record is (title, document type, date of service, author, file name): PHI, so
-- sealed under the record's own data key (AES-256-GCM, its own nonce and additional data) and
-- never in clear. NULL for a record stored without it, and once the record is shredded.
ALTER TABLE records ADD COLUMN document bytea;
ALTER TABLE records ADD CONSTRAINT records_shredded_document CHECK (state <> 'shredded' OR document IS NULL);
