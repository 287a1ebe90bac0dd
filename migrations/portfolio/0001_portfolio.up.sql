-- The portfolio database: portfolios, holdings, transactions, cash, daily snapshots, watchlists,
-- allocation rules, benchmarks, goals, idempotency keys, the outbox and job leases.
-- user_id refers to auth.users in another database: the service checks it, no foreign key can.
-- Every user-owned row carries user_id (a composite foreign key keeps it equal to its
-- portfolio's), so each row-level security policy is a plain comparison on the row.

CREATE SCHEMA app;

-- Request context, set per transaction with set_config(..., true) (docs/schema.md):
--   app.user_id            acting user (uuid)
--   app.role               USER | ADVISOR | ADMIN | SUPERUSER | SYSTEM
--   app.read_client_ids    ADVISOR only: '{uuid,...}' clients granted READ or MANAGE
--   app.manage_client_ids  ADVISOR only: '{uuid,...}' clients granted MANAGE
CREATE FUNCTION app.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

CREATE FUNCTION app.current_app_role() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.role', true), '') $$;

CREATE FUNCTION app.is_system() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(app.current_app_role() = 'SYSTEM', false) $$;

-- ADMIN and SUPERUSER read every user's data (support); SYSTEM is the scheduler's context.
CREATE FUNCTION app.can_read_all() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(app.current_app_role() IN ('ADMIN', 'SUPERUSER', 'SYSTEM'), false) $$;

-- Client ids an ADVISOR may read (READ or MANAGE grants); empty for every other role.
CREATE FUNCTION app.read_client_ids() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT CASE WHEN app.current_app_role() = 'ADVISOR'
                    THEN coalesce(nullif(current_setting('app.read_client_ids', true), '')::uuid[], '{}')
                         || coalesce(nullif(current_setting('app.manage_client_ids', true), '')::uuid[], '{}')
                    ELSE '{}'::uuid[] END
    $$;

-- Client ids an ADVISOR may change (MANAGE grants); empty for every other role.
CREATE FUNCTION app.manage_client_ids() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT CASE WHEN app.current_app_role() = 'ADVISOR'
                    THEN coalesce(nullif(current_setting('app.manage_client_ids', true), '')::uuid[], '{}')
                    ELSE '{}'::uuid[] END
    $$;

REVOKE ALL ON FUNCTION app.current_user_id(), app.current_app_role(), app.is_system(), app.can_read_all(),
    app.read_client_ids(), app.manage_client_ids() FROM PUBLIC;
GRANT USAGE ON SCHEMA app TO nexanest_portfolio;
GRANT EXECUTE ON FUNCTION app.current_user_id(), app.current_app_role(), app.is_system(), app.can_read_all(),
    app.read_client_ids(), app.manage_client_ids() TO nexanest_portfolio;

CREATE SCHEMA portfolio;
GRANT USAGE ON SCHEMA portfolio TO nexanest_portfolio;

CREATE TABLE portfolio.portfolios (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id           uuid NOT NULL,
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description       text CHECK (length(description) <= 2000),
    portfolio_type    text NOT NULL DEFAULT 'INVESTMENT'
                      CHECK (portfolio_type IN ('INVESTMENT', 'RETIREMENT', 'SAVINGS', 'TRADING', 'EDUCATION', 'OTHER')),
    currency          char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    cost_basis_method text NOT NULL DEFAULT 'AVERAGE' CHECK (cost_basis_method IN ('AVERAGE', 'FIFO')),
    allow_short       boolean NOT NULL DEFAULT false,
    min_trade_amount  numeric(28, 10) NOT NULL DEFAULT 0 CHECK (min_trade_amount >= 0),
    is_active         boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deactivated_at    timestamptz,
    UNIQUE (id, user_id)
);
CREATE INDEX idx_portfolios_user_id ON portfolio.portfolios (user_id);

-- Derived from transactions (the service re-derives them deterministically); market_value is
-- exactly quantity x current_price (trim_scale keeps the exact value with its shortest scale).
CREATE TABLE portfolio.holdings (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    portfolio_id     uuid NOT NULL,
    user_id          uuid NOT NULL,
    symbol           text NOT NULL CHECK (length(symbol) BETWEEN 1 AND 32),
    currency         char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    quantity         numeric(28, 10) NOT NULL DEFAULT 0,
    average_cost     numeric(28, 10) NOT NULL DEFAULT 0,
    cost_basis       numeric(28, 10) NOT NULL DEFAULT 0,
    cost_basis_base  numeric(28, 10),
    realized_pnl     numeric(28, 10) NOT NULL DEFAULT 0,
    income           numeric(28, 10) NOT NULL DEFAULT 0,
    fees             numeric(28, 10) NOT NULL DEFAULT 0,
    current_price    numeric(28, 10),
    previous_close   numeric(28, 10),
    market_value     numeric GENERATED ALWAYS AS (trim_scale(quantity * current_price)) STORED,
    first_trade_at   timestamptz,
    last_updated     timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (portfolio_id, user_id) REFERENCES portfolio.portfolios (id, user_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX idx_holdings_portfolio_symbol ON portfolio.holdings (portfolio_id, symbol);
-- The price flow updates every holding of a symbol.
CREATE INDEX idx_holdings_symbol ON portfolio.holdings (symbol);

CREATE TABLE portfolio.transactions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    portfolio_id    uuid NOT NULL,
    user_id         uuid NOT NULL,
    type            text NOT NULL CHECK (type IN ('BUY', 'SELL', 'DIVIDEND', 'INTEREST', 'FEE', 'DEPOSIT', 'WITHDRAWAL',
                                                  'SPLIT', 'TRANSFER_IN', 'TRANSFER_OUT')),
    symbol          text CHECK (length(symbol) BETWEEN 1 AND 32),
    quantity        numeric(28, 10) CHECK (quantity > 0),
    price           numeric(28, 10) CHECK (price >= 0),
    amount          numeric(28, 10) CHECK (amount > 0),
    fee             numeric(28, 10) NOT NULL DEFAULT 0 CHECK (fee >= 0),
    currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- units of portfolio currency per unit of `currency` on the trade date (NULL: same currency)
    fx_rate         numeric(24, 12) CHECK (fx_rate > 0),
    -- SPLIT: new shares per old share (2 for 2:1, 0.1 for 1:10)
    split_ratio     numeric(20, 10) CHECK (split_ratio > 0),
    executed_at     timestamptz NOT NULL,
    notes           text CHECK (length(notes) <= 2000),
    idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (portfolio_id, user_id) REFERENCES portfolio.portfolios (id, user_id) ON DELETE CASCADE,
    CHECK (CASE type
        WHEN 'BUY' THEN symbol IS NOT NULL AND quantity IS NOT NULL AND price IS NOT NULL
        WHEN 'SELL' THEN symbol IS NOT NULL AND quantity IS NOT NULL AND price IS NOT NULL
        WHEN 'SPLIT' THEN symbol IS NOT NULL AND split_ratio IS NOT NULL
        WHEN 'DIVIDEND' THEN symbol IS NOT NULL AND amount IS NOT NULL
        WHEN 'INTEREST' THEN amount IS NOT NULL
        WHEN 'FEE' THEN amount IS NOT NULL OR fee > 0
        WHEN 'DEPOSIT' THEN symbol IS NULL AND amount IS NOT NULL
        WHEN 'WITHDRAWAL' THEN symbol IS NULL AND amount IS NOT NULL
        ELSE (symbol IS NOT NULL AND quantity IS NOT NULL) OR (symbol IS NULL AND amount IS NOT NULL)
    END)
);
CREATE INDEX idx_transactions_portfolio_executed ON portfolio.transactions (portfolio_id, executed_at DESC, id DESC);
CREATE INDEX idx_transactions_portfolio_symbol ON portfolio.transactions (portfolio_id, symbol, executed_at);
CREATE UNIQUE INDEX idx_transactions_idempotency_key ON portfolio.transactions (portfolio_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE TABLE portfolio.cash_balances (
    portfolio_id uuid NOT NULL,
    user_id      uuid NOT NULL,
    currency     char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    balance      numeric(28, 10) NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (portfolio_id, currency),
    FOREIGN KEY (portfolio_id, user_id) REFERENCES portfolio.portfolios (id, user_id) ON DELETE CASCADE
);

-- One row per portfolio and calendar day (the daily job); intraday points live in
-- analytics_ts.portfolio_snapshots in the timescale database.
CREATE TABLE portfolio.portfolio_snapshots (
    portfolio_id         uuid NOT NULL,
    user_id              uuid NOT NULL,
    snapshot_date        date NOT NULL,
    currency             char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    total_value          numeric(28, 10) NOT NULL,
    cash_value           numeric(28, 10) NOT NULL DEFAULT 0,
    holdings_value       numeric(28, 10) NOT NULL DEFAULT 0,
    invested_capital     numeric(28, 10) NOT NULL DEFAULT 0,
    net_flows            numeric(28, 10) NOT NULL DEFAULT 0,
    day_change           numeric(28, 10),
    day_change_percent   numeric(18, 8),
    total_return         numeric(28, 10),
    total_return_percent numeric(18, 8),
    created_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (portfolio_id, snapshot_date),
    FOREIGN KEY (portfolio_id, user_id) REFERENCES portfolio.portfolios (id, user_id) ON DELETE CASCADE
);

CREATE TABLE portfolio.watchlists (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description text CHECK (length(description) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, user_id)
);
CREATE INDEX idx_watchlists_user_id ON portfolio.watchlists (user_id);

-- Alert conditions and their re-arm state: a condition fires when it becomes true and is armed,
-- then disarms; it re-arms when the condition is false again (docs/schema.md).
CREATE TABLE portfolio.watchlist_items (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    watchlist_id        uuid NOT NULL,
    user_id             uuid NOT NULL,
    symbol              text NOT NULL CHECK (length(symbol) BETWEEN 1 AND 32),
    alert_above         numeric(28, 10) CHECK (alert_above > 0),
    alert_below         numeric(28, 10) CHECK (alert_below > 0),
    alert_change_pct    numeric(9, 4) CHECK (alert_change_pct > 0),
    above_armed         boolean NOT NULL DEFAULT true,
    below_armed         boolean NOT NULL DEFAULT true,
    change_armed        boolean NOT NULL DEFAULT true,
    last_price          numeric(28, 10),
    last_evaluated_at   timestamptz,
    last_triggered_at   timestamptz,
    notes               text CHECK (length(notes) <= 2000),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (watchlist_id, user_id) REFERENCES portfolio.watchlists (id, user_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX idx_watchlist_items_watchlist_symbol ON portfolio.watchlist_items (watchlist_id, symbol);
-- Alert evaluation looks up every item with a condition on a symbol.
CREATE INDEX idx_watchlist_items_alert_symbol ON portfolio.watchlist_items (symbol)
    WHERE alert_above IS NOT NULL OR alert_below IS NOT NULL OR alert_change_pct IS NOT NULL;

-- Target weights (fractions of the portfolio value) by symbol, asset class, sector, currency or
-- country, with a drift tolerance (absolute fraction).
CREATE TABLE portfolio.allocation_rules (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    portfolio_id      uuid NOT NULL,
    user_id           uuid NOT NULL,
    dimension         text NOT NULL CHECK (dimension IN ('SYMBOL', 'ASSET_CLASS', 'SECTOR', 'CURRENCY', 'COUNTRY')),
    key               text NOT NULL CHECK (length(key) BETWEEN 1 AND 64),
    target_weight     numeric(9, 6) NOT NULL CHECK (target_weight >= 0 AND target_weight <= 1),
    tolerance         numeric(9, 6) NOT NULL DEFAULT 0.05 CHECK (tolerance >= 0 AND tolerance <= 1),
    drift_alert_armed boolean NOT NULL DEFAULT true,
    last_drift_alert_at timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (portfolio_id, user_id) REFERENCES portfolio.portfolios (id, user_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX idx_allocation_rules_portfolio_dimension_key ON portfolio.allocation_rules (portfolio_id, dimension, key);

-- Benchmarks are market indices (market_data.instruments with asset_class INDEX) by symbol.
CREATE TABLE portfolio.portfolio_benchmarks (
    portfolio_id uuid NOT NULL,
    user_id      uuid NOT NULL,
    symbol       text NOT NULL CHECK (length(symbol) BETWEEN 1 AND 32),
    weight       numeric(9, 6) NOT NULL DEFAULT 1 CHECK (weight > 0 AND weight <= 1),
    is_primary   boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (portfolio_id, symbol),
    FOREIGN KEY (portfolio_id, user_id) REFERENCES portfolio.portfolios (id, user_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX idx_portfolio_benchmarks_primary ON portfolio.portfolio_benchmarks (portfolio_id) WHERE is_primary;

CREATE TABLE portfolio.goals (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id              uuid NOT NULL,
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    target_amount        numeric(28, 10) NOT NULL CHECK (target_amount > 0),
    currency             char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    target_date          date NOT NULL,
    monthly_contribution numeric(28, 10) NOT NULL DEFAULT 0 CHECK (monthly_contribution >= 0),
    notes                text CHECK (length(notes) <= 2000),
    -- highest milestone (percent of target) already notified, so each fires once
    last_milestone_pct   smallint NOT NULL DEFAULT 0 CHECK (last_milestone_pct BETWEEN 0 AND 100),
    achieved_at          timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, user_id)
);
CREATE INDEX idx_goals_user_id ON portfolio.goals (user_id);

CREATE TABLE portfolio.goal_portfolios (
    goal_id      uuid NOT NULL,
    portfolio_id uuid NOT NULL,
    user_id      uuid NOT NULL,
    PRIMARY KEY (goal_id, portfolio_id),
    FOREIGN KEY (goal_id, user_id) REFERENCES portfolio.goals (id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (portfolio_id, user_id) REFERENCES portfolio.portfolios (id, user_id) ON DELETE CASCADE
);
CREATE INDEX idx_goal_portfolios_portfolio_id ON portfolio.goal_portfolios (portfolio_id);

-- Idempotency-Key of creating POSTs: status IN_FLIGHT while the first request runs (a second
-- one answers 409), then DONE with the stored response (same body: replay; other body: 422).
CREATE TABLE portfolio.idempotency_keys (
    user_id         uuid NOT NULL,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_method  text NOT NULL CHECK (length(request_method) <= 16),
    request_path    text NOT NULL CHECK (length(request_path) <= 512),
    request_hash    bytea NOT NULL,
    status          text NOT NULL DEFAULT 'IN_FLIGHT' CHECK (status IN ('IN_FLIGHT', 'DONE')),
    response_status integer,
    response_body   jsonb,
    resource_id     uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idx_idempotency_keys_expires_at ON portfolio.idempotency_keys (expires_at);

-- Consumers of price-update streams and relayed events record what they applied.
CREATE TABLE portfolio.processed_events (
    consumer     text NOT NULL CHECK (length(consumer) <= 128),
    event_id     text NOT NULL CHECK (length(event_id) <= 128),
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX idx_portfolio_processed_events_processed_at ON portfolio.processed_events (processed_at);

CREATE TABLE portfolio.outbox (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id       uuid,
    user_id        uuid,
    aggregate_type text NOT NULL CHECK (length(aggregate_type) <= 64),
    aggregate_id   text NOT NULL CHECK (length(aggregate_id) <= 128),
    event_type     text NOT NULL CHECK (length(event_type) <= 64),
    payload        jsonb NOT NULL DEFAULT '{}',
    request_id     text CHECK (length(request_id) <= 128),
    ip             inet,
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz,
    attempts       integer NOT NULL DEFAULT 0,
    last_error     text
);
CREATE INDEX idx_portfolio_outbox_unpublished ON portfolio.outbox (id) WHERE published_at IS NULL;
CREATE INDEX idx_portfolio_outbox_published_at ON portfolio.outbox (published_at) WHERE published_at IS NOT NULL;

CREATE TABLE public.job_leases (
    job_name   text PRIMARY KEY CHECK (length(job_name) <= 128),
    owner      text NOT NULL CHECK (length(owner) <= 256),
    expires_at timestamptz NOT NULL
);

-- Privileges: DML only, nothing to PUBLIC.
GRANT SELECT, INSERT, UPDATE, DELETE ON portfolio.portfolios, portfolio.holdings, portfolio.transactions,
    portfolio.cash_balances, portfolio.portfolio_snapshots, portfolio.watchlists, portfolio.watchlist_items,
    portfolio.allocation_rules, portfolio.portfolio_benchmarks, portfolio.goals, portfolio.goal_portfolios,
    portfolio.idempotency_keys, portfolio.outbox TO nexanest_portfolio;
GRANT SELECT, INSERT, DELETE ON portfolio.processed_events TO nexanest_portfolio;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.job_leases TO nexanest_portfolio;

-- Row-level security on every table holding a user's data, one shape for all of them:
--   read:  own rows, an advisor's granted clients (READ or MANAGE), ADMIN/SUPERUSER/SYSTEM
--   write: own rows, an advisor's MANAGE clients, SYSTEM
-- Each context value is read through a scalar sub-select: one InitPlan per statement.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['portfolios', 'holdings', 'transactions', 'cash_balances', 'portfolio_snapshots',
                             'watchlists', 'watchlist_items', 'allocation_rules', 'portfolio_benchmarks', 'goals',
                             'goal_portfolios', 'idempotency_keys']
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

-- The outbox: a transaction may enqueue events it is the actor of; only the relay reads them.
ALTER TABLE portfolio.outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE portfolio.outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY outbox_insert ON portfolio.outbox FOR INSERT TO nexanest_portfolio
    WITH CHECK (actor_id IS NOT DISTINCT FROM (SELECT app.current_user_id()) OR (SELECT app.is_system()));
CREATE POLICY outbox_relay ON portfolio.outbox FOR ALL TO nexanest_portfolio
    USING ((SELECT app.is_system())) WITH CHECK ((SELECT app.is_system()));
