-- A partial close removes cost x part / whole rounded half-even to 10 places once; before, the
-- fraction part / whole was rounded to 18 places first, which moved the cost removed (and the
-- realized P&L) by up to 10^-6 on a cost of 10^12, and the wrong way on a half-way product at
-- the 11th place (docs/portfolio.md "Holdings"). The stored states, checkpoints and read
-- checkpoints were derived that way: they are caches of the transactions, so they go, and each
-- symbol's next write derives its state again from its first transaction; every ledger version
-- moves on, so that no history built from them is reused.
--
-- The migration runs as the tables' owner, whom FORCE ROW LEVEL SECURITY gives no policy (a
-- DELETE would see no rows): TRUNCATE is not subject to row security, and the versions are
-- updated with the owner's exemption restored for the statement's length.
TRUNCATE portfolio.ledger_lot_pages, portfolio.ledger_positions, portfolio.ledger_checkpoints,
    portfolio.read_checkpoints;
ALTER TABLE portfolio.ledger_versions NO FORCE ROW LEVEL SECURITY;
UPDATE portfolio.ledger_versions SET version = version + 1;
ALTER TABLE portfolio.ledger_versions FORCE ROW LEVEL SECURITY;
