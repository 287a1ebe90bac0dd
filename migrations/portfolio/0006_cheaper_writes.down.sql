ALTER TABLE portfolio.ledger_versions RESET (fillfactor);
ALTER TABLE portfolio.cash_balances RESET (fillfactor);
ALTER TABLE portfolio.ledger_positions RESET (fillfactor);
ALTER TABLE portfolio.holdings RESET (fillfactor);
CREATE INDEX IF NOT EXISTS idx_transactions_portfolio_symbol ON portfolio.transactions (portfolio_id, symbol, executed_at);
