-- The requester's network address as the gateway's TCP connection saw it (behind a reverse proxy,
-- the proxy's), for the audit trail's client agent (IHE BALP's agent.network). Kept here only,
-- shown to auditors, never written on-chain and never part of the commitment.
ALTER TABLE access_log ADD COLUMN client_address text;
