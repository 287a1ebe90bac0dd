-- The incremental ledger (docs/portfolio.md "Incremental ledger", issue 16). A symbol's holding
-- depends only on that symbol's transactions in replay order (executed_at, created_at, id), so
-- its derivation state is kept per symbol:
--   ledger_positions    the state after the symbol's last transaction (an append applies the
--                       new transaction to it);
--   ledger_checkpoints  the state after every 256th transaction of the symbol (a back-dated
--                       insert, edit or delete re-derives from the nearest one before it).
-- `state` is the encoded Holding (portfolio/ledger_state.hpp): quantity, both cost books with
-- the open FIFO lots, realized P&L, income, fees. Both tables are caches of what the
-- transactions determine: deleting a symbol's rows makes the next write re-derive it from its
-- first transaction.
CREATE TABLE portfolio.ledger_positions (
    portfolio_id        uuid NOT NULL,
    user_id             uuid NOT NULL,
    symbol              text NOT NULL CHECK (length(symbol) BETWEEN 1 AND 32),
    last_executed_at    timestamptz NOT NULL,
    last_created_at     timestamptz NOT NULL,
    last_transaction_id uuid NOT NULL,
    transaction_count   bigint NOT NULL CHECK (transaction_count > 0),
    state               text NOT NULL,
    PRIMARY KEY (portfolio_id, symbol),
    FOREIGN KEY (portfolio_id, user_id) REFERENCES portfolio.portfolios (id, user_id) ON DELETE CASCADE
);

CREATE TABLE portfolio.ledger_checkpoints (
    portfolio_id      uuid NOT NULL,
    user_id           uuid NOT NULL,
    symbol            text NOT NULL CHECK (length(symbol) BETWEEN 1 AND 32),
    executed_at       timestamptz NOT NULL,
    created_at        timestamptz NOT NULL,
    transaction_id    uuid NOT NULL,
    transaction_count bigint NOT NULL CHECK (transaction_count > 0),
    state             text NOT NULL,
    PRIMARY KEY (portfolio_id, symbol, executed_at, created_at, transaction_id),
    FOREIGN KEY (portfolio_id, user_id) REFERENCES portfolio.portfolios (id, user_id) ON DELETE CASCADE
);

-- The tail of a symbol after a checkpoint, in replay order.
CREATE INDEX idx_transactions_portfolio_symbol_replay
    ON portfolio.transactions (portfolio_id, symbol, executed_at, created_at, id);

GRANT SELECT, INSERT, UPDATE, DELETE ON portfolio.ledger_positions, portfolio.ledger_checkpoints
    TO nexanest_portfolio;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['ledger_positions', 'ledger_checkpoints']
    LOOP
        EXECUTE format('ALTER TABLE portfolio.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE portfolio.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY %I ON portfolio.%I FOR SELECT TO nexanest_portfolio
            USING (user_id = (SELECT app.current_user_id())
                   OR user_id = ANY ((SELECT app.read_client_ids())::uuid[])
                   OR (SELECT app.can_read_all()))$p$, t || '_read', t);
        EXECUTE format($p$CREATE POLICY %I ON portfolio.%I FOR ALL TO nexanest_portfolio
            USING (user_id = (SELECT app.current_user_id())
                   OR user_id = ANY ((SELECT app.manage_client_ids())::uuid[])
                   OR (SELECT app.is_system()))
            WITH CHECK (user_id = (SELECT app.current_user_id())
                   OR user_id = ANY ((SELECT app.manage_client_ids())::uuid[])
                   OR (SELECT app.is_system()))$p$, t || '_write', t);
    END LOOP;
END
$$;

-- The CSV import stages its rows in a temporary table (binary COPY, then one INSERT: COPY FROM
-- does not run under row-level security); the bootstrap revokes TEMPORARY from PUBLIC.
DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO nexanest_portfolio', current_database()); END $$;
