-- The code before 0010 derives a partial close its own way: the caches go again, so that its
-- writes do not continue from states derived by the exact share (see the up migration).
TRUNCATE portfolio.ledger_lot_pages, portfolio.ledger_positions, portfolio.ledger_checkpoints,
    portfolio.read_checkpoints;
ALTER TABLE portfolio.ledger_versions NO FORCE ROW LEVEL SECURITY;
UPDATE portfolio.ledger_versions SET version = version + 1;
ALTER TABLE portfolio.ledger_versions FORCE ROW LEVEL SECURITY;
