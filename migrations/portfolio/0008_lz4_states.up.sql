-- Stored ledger states compressed with lz4 instead of pglz (issue 16; docs/architecture.md "The
-- write path").
--
-- A stored position holds every open FIFO lot as text (ledger_state.cpp): 68 kB with 1 400 lots,
-- rewritten at every append to the symbol and read back at the next. PostgreSQL compresses such a
-- value before moving it out of line (TOAST), with pglz by default. Upserting a 68 kB state cost
-- 0.82-0.87 ms of PostgreSQL CPU with pglz, 0.67-0.68 ms uncompressed and 0.48 ms with lz4 (pgbench,
-- one connection, alternated), whose output was 7.6 kB against pglz's 6.1 kB. Checkpoints and read
-- checkpoints hold the same kind of text. Applies to values written from now on (nothing is
-- rewritten; both methods are read). A server built without lz4 keeps pglz: the migration then
-- changes nothing and says so.
DO $$
BEGIN
    ALTER TABLE portfolio.ledger_positions ALTER COLUMN state SET COMPRESSION lz4;
    ALTER TABLE portfolio.ledger_checkpoints ALTER COLUMN state SET COMPRESSION lz4;
    ALTER TABLE portfolio.read_checkpoints ALTER COLUMN state SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no lz4: stored ledger states stay compressed with pglz';
END
$$;
