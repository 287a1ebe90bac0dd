DROP POLICY IF EXISTS outbox_relay_delete ON portfolio.outbox;
DROP POLICY IF EXISTS outbox_relay_update ON portfolio.outbox;
DROP POLICY IF EXISTS outbox_relay ON portfolio.outbox;
DROP POLICY IF EXISTS outbox_insert ON portfolio.outbox;
CREATE POLICY outbox_insert ON portfolio.outbox FOR INSERT TO nexanest_portfolio
    WITH CHECK (actor_id IS NOT DISTINCT FROM (SELECT app.current_user_id()) OR (SELECT app.is_system()));
CREATE POLICY outbox_relay ON portfolio.outbox FOR ALL TO nexanest_portfolio
    USING ((SELECT app.is_system())) WITH CHECK ((SELECT app.is_system()));

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['portfolios', 'holdings', 'transactions', 'cash_balances', 'portfolio_snapshots',
                             'watchlists', 'watchlist_items', 'allocation_rules', 'portfolio_benchmarks', 'goals',
                             'goal_portfolios', 'idempotency_keys', 'ledger_positions', 'ledger_checkpoints',
                             'ledger_versions', 'read_checkpoints']
    LOOP
        EXECUTE format('DROP POLICY IF EXISTS %I ON portfolio.%I', t || '_insert', t);
        EXECUTE format('DROP POLICY IF EXISTS %I ON portfolio.%I', t || '_update', t);
        EXECUTE format('DROP POLICY IF EXISTS %I ON portfolio.%I', t || '_delete', t);
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

DROP FUNCTION IF EXISTS app.may_write(uuid);
