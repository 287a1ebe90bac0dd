-- Back to the default compression method for values written from now on.
ALTER TABLE portfolio.read_checkpoints ALTER COLUMN state SET COMPRESSION default;
ALTER TABLE portfolio.ledger_checkpoints ALTER COLUMN state SET COMPRESSION default;
ALTER TABLE portfolio.ledger_positions ALTER COLUMN state SET COMPRESSION default;
