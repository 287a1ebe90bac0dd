-- The stored states from 0009 on name pages (and checkpoints a format) the code before it does not
-- read: every stored state goes, so the next write of each symbol re-derives it from its first
-- transaction (they are caches of the transactions). Read checkpoints hold the same encoding.
-- As the tables' owner, FORCE ROW LEVEL SECURITY leaves this migration no policy: TRUNCATE is not
-- subject to row security, and the versions are updated with the owner's exemption restored for
-- the statement's length (a DELETE here once saw no rows and removed nothing).
TRUNCATE portfolio.ledger_positions, portfolio.ledger_checkpoints, portfolio.read_checkpoints;
ALTER TABLE portfolio.ledger_versions NO FORCE ROW LEVEL SECURITY;
UPDATE portfolio.ledger_versions SET version = version + 1;
ALTER TABLE portfolio.ledger_versions FORCE ROW LEVEL SECURITY;
DROP TABLE IF EXISTS portfolio.ledger_lot_pages;
