-- The hospital's staff as people read them: display name, role and department, kept here, off the
-- chain (the chain holds addresses only). `mdrs staff set` edits it; `mdrs staff publish` writes
-- the directory document below and its SHA-256 on-chain, which is what binds the names to this
-- custodian: clients accept a directory only if it hashes to what the custodian published.
CREATE TABLE staff_directory (
    staff         bytea PRIMARY KEY CHECK (octet_length(staff) = 20),
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 128),
    role          text NOT NULL CHECK (role IN ('physician', 'nurse', 'records_clerk', 'auditor', 'pharmacist', 'technician', 'other')),
    department    text CHECK (length(department) BETWEEN 1 AND 128),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Every directory document published, byte for byte; the gateway serves the newest at /v1/staff.
CREATE TABLE staff_directory_documents (
    sha256        bytea PRIMARY KEY CHECK (octet_length(sha256) = 32),
    body          bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_directory_documents_created ON staff_directory_documents (created_at);
