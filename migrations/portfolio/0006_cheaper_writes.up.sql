-- Cheaper writes of a transaction (issue 16; docs/architecture.md "The write path").
--
-- idx_transactions_portfolio_symbol (portfolio_id, symbol, executed_at) is a prefix of
-- idx_transactions_portfolio_symbol_replay (portfolio_id, symbol, executed_at, created_at, id),
-- added by 0004: every query the shorter one served, the longer one serves as well, and every
-- insert and import paid for both.
DROP INDEX IF EXISTS portfolio.idx_transactions_portfolio_symbol;

-- The rows every recorded transaction updates in place (its holding, stored position, cash
-- balance and ledger version; the price flow updates holdings too). With room left on their
-- pages, PostgreSQL writes the new row version on the same page without new index entries (a
-- HOT update: none of their indexed columns changes) and prunes the old one there. Applies to
-- pages written from now on.
ALTER TABLE portfolio.holdings SET (fillfactor = 80);
ALTER TABLE portfolio.ledger_positions SET (fillfactor = 80);
ALTER TABLE portfolio.cash_balances SET (fillfactor = 80);
ALTER TABLE portfolio.ledger_versions SET (fillfactor = 80);
