-- Which gateway process writes the on-chain log, when several share this database (replicas, or
-- a restarted process beside one that still runs). One row.
--   holder      the writing process (host, pid, start time), NULL when none does
--   term        +1 each time a process takes the writing over; every write of the log writer
--               checks, in its own transaction, that its term is still the row's (a fence: a
--               process that lost the lease, however it lost it, cannot write another row)
--   expires_at  the holder renews it while it writes; another process takes over once it has
--               passed, or at once if it holds the writer's advisory lock (the holder's session
--               is then gone: a crash of the process or of the database)
CREATE TABLE outbox_writer_lease (
    id          smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    holder      text,
    term        bigint NOT NULL DEFAULT 0,
    expires_at  timestamptz NOT NULL DEFAULT '-infinity',
    acquired_at timestamptz
);
INSERT INTO outbox_writer_lease (id) VALUES (1);

-- The term under which each batch was created: batches in creation order never go back to an
-- earlier term (what the tests check of two processes through database restarts).
ALTER TABLE outbox_batches ADD COLUMN writer_term bigint;
