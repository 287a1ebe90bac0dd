-- The stored states from 0009 on name pages (and checkpoints a format) the code before it does not
-- read: every stored state goes, so the next write of each symbol re-derives it from its first
-- transaction (they are caches of the transactions). Read checkpoints hold the same encoding.
DELETE FROM portfolio.ledger_positions;
DELETE FROM portfolio.ledger_checkpoints;
DELETE FROM portfolio.read_checkpoints;
UPDATE portfolio.ledger_versions SET version = version + 1;
DROP TABLE IF EXISTS portfolio.ledger_lot_pages;
