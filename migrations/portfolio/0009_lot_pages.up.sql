-- A stored position's open FIFO lots kept apart from its state, in pages (issue 16; docs/portfolio.md
-- "Lots stored apart").
--
-- `ledger_positions.state` held every open lot of its symbol and was rewritten whole at every
-- append: a savings plan (every purchase an open lot) took 5.6 ms to record a purchase at 10 000
-- lots and 78 ms at 100 000. Lots are numbered in the order they open; a position of more than P
-- open lots (P in the state, 64) has them here, page n holding those numbered n * P to before
-- (n + 1) * P, as text (ledger_state.cpp); a smaller one keeps them in its state. An append
-- reads the first and last page with the position and writes the pages it changes: the last one
-- (a new lot) and the first one (a sale closing into it), deleting pages a sale emptied. A state
-- from before this migration holds its lots inline and is read as before; its next write moves
-- them here. Like ledger_positions, a cache of what the transactions determine.
CREATE TABLE portfolio.ledger_lot_pages (
    portfolio_id uuid NOT NULL,
    user_id      uuid NOT NULL,
    symbol       text NOT NULL CHECK (length(symbol) BETWEEN 1 AND 32),
    page         bigint NOT NULL CHECK (page >= 0),
    lots         text NOT NULL,
    PRIMARY KEY (portfolio_id, symbol, page),
    FOREIGN KEY (portfolio_id, user_id) REFERENCES portfolio.portfolios (id, user_id) ON DELETE CASCADE
);

GRANT SELECT, INSERT, UPDATE, DELETE ON portfolio.ledger_lot_pages TO nexanest_portfolio;

-- The policies of the other ledger tables (0004's read policy, 0007's per-row write rules).
ALTER TABLE portfolio.ledger_lot_pages ENABLE ROW LEVEL SECURITY;
ALTER TABLE portfolio.ledger_lot_pages FORCE ROW LEVEL SECURITY;
CREATE POLICY ledger_lot_pages_read ON portfolio.ledger_lot_pages FOR SELECT TO nexanest_portfolio
    USING (user_id = (SELECT app.current_user_id())
           OR user_id = ANY ((SELECT app.read_client_ids())::uuid[])
           OR (SELECT app.can_read_all()));
CREATE POLICY ledger_lot_pages_insert ON portfolio.ledger_lot_pages FOR INSERT TO nexanest_portfolio
    WITH CHECK (app.may_write(user_id));
CREATE POLICY ledger_lot_pages_update ON portfolio.ledger_lot_pages FOR UPDATE TO nexanest_portfolio
    USING (app.may_write(user_id)) WITH CHECK (app.may_write(user_id));
CREATE POLICY ledger_lot_pages_delete ON portfolio.ledger_lot_pages FOR DELETE TO nexanest_portfolio
    USING (app.may_write(user_id));
