DROP TABLE IF EXISTS portfolio.read_checkpoints;
DROP TABLE IF EXISTS portfolio.ledger_versions;
