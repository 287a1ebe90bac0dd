-- The timescale database: market data (raw ticks, OHLCV rollups, latest prices, indices, FX),
-- intraday portfolio snapshots and the event trails. Every time-series table is a native range
-- partition set managed by pg_partman 4.7 (extension in schema partman, created by the
-- bootstrap), with time in its primary key and no foreign key into it, so a TimescaleDB
-- hypertable can replace it later. Partition maintenance and retention are run by the
-- application's scheduler through the partman_maint functions below.

CREATE SCHEMA app;

-- Request context (same names as the portfolio database; docs/schema.md).
CREATE FUNCTION app.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

CREATE FUNCTION app.current_app_role() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.role', true), '') $$;

CREATE FUNCTION app.is_system() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(app.current_app_role() = 'SYSTEM', false) $$;

CREATE FUNCTION app.can_read_all() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(app.current_app_role() IN ('ADMIN', 'SUPERUSER', 'SYSTEM'), false) $$;

CREATE FUNCTION app.read_client_ids() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT CASE WHEN app.current_app_role() = 'ADVISOR'
                    THEN coalesce(nullif(current_setting('app.read_client_ids', true), '')::uuid[], '{}')
                         || coalesce(nullif(current_setting('app.manage_client_ids', true), '')::uuid[], '{}')
                    ELSE '{}'::uuid[] END
    $$;

CREATE FUNCTION app.manage_client_ids() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT CASE WHEN app.current_app_role() = 'ADVISOR'
                    THEN coalesce(nullif(current_setting('app.manage_client_ids', true), '')::uuid[], '{}')
                    ELSE '{}'::uuid[] END
    $$;

REVOKE ALL ON FUNCTION app.current_user_id(), app.current_app_role(), app.is_system(), app.can_read_all(),
    app.read_client_ids(), app.manage_client_ids() FROM PUBLIC;
GRANT USAGE ON SCHEMA app TO nexanest_market, nexanest_portfolio, nexanest_analytics, nexanest_notify;
GRANT EXECUTE ON FUNCTION app.current_user_id(), app.current_app_role(), app.is_system(), app.can_read_all(),
    app.read_client_ids(), app.manage_client_ids()
    TO nexanest_market, nexanest_portfolio, nexanest_analytics, nexanest_notify;

-- ---------------------------------------------------------------------------------------------
-- market_data: written by nexanest_market, read by portfolio, analytics and notify.
CREATE SCHEMA market_data;

-- Reference data (equities, ETFs, funds, indices, ...). exchange_timezone defines the trading
-- date of the daily bar; the CHECK rejects names PostgreSQL does not know.
CREATE TABLE market_data.instruments (
    symbol            text PRIMARY KEY CHECK (symbol ~ '^[A-Za-z0-9^.=_:-]{1,32}$'),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    asset_class       text NOT NULL CHECK (asset_class IN ('EQUITY', 'ETF', 'FUND', 'BOND', 'CRYPTO', 'COMMODITY',
                                                           'CASH', 'INDEX', 'OTHER')),
    sector            text CHECK (length(sector) <= 64),
    industry          text CHECK (length(industry) <= 64),
    country           char(2) CHECK (country ~ '^[A-Z]{2}$'),
    currency          char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    exchange          text CHECK (length(exchange) <= 32),
    exchange_timezone text NOT NULL DEFAULT 'UTC'
                      CHECK ((timestamptz '2000-01-01 00:00+00' AT TIME ZONE exchange_timezone) IS NOT NULL),
    -- false: quantities are whole units (rebalancing proposes whole shares)
    fractional        boolean NOT NULL DEFAULT false,
    is_active         boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_instruments_asset_class ON market_data.instruments (asset_class);
CREATE INDEX idx_instruments_name ON market_data.instruments (lower(name) text_pattern_ops);

-- Raw ticks/bars. The primary key (symbol, time) is the spec's idx_stock_prices_symbol_time: a
-- B-tree scans both ways, so a second (symbol, time DESC) index would only double ingest cost.
CREATE TABLE market_data.stock_prices (
    time   timestamptz NOT NULL,
    symbol text NOT NULL,
    open   numeric(28, 10),
    high   numeric(28, 10),
    low    numeric(28, 10),
    close  numeric(28, 10) NOT NULL,
    volume bigint,
    CONSTRAINT idx_stock_prices_symbol_time PRIMARY KEY (symbol, time),
    CONSTRAINT stock_prices_values_check CHECK (
        close > 0 AND close < 'Infinity'
        AND (open IS NULL OR (open > 0 AND open < 'Infinity'))
        AND (high IS NULL OR (high > 0 AND high < 'Infinity'))
        AND (low IS NULL OR (low > 0 AND low < 'Infinity'))
        AND (high IS NULL OR low IS NULL OR high >= low)
        AND (volume IS NULL OR volume >= 0))
) PARTITION BY RANGE (time);
-- "Latest prices of the last hour across symbols" (the spec's market data query) scans by time.
CREATE INDEX idx_stock_prices_time ON market_data.stock_prices USING brin (time);

-- Index values, same shape and rules as stock_prices.
CREATE TABLE market_data.market_indices (
    time   timestamptz NOT NULL,
    symbol text NOT NULL,
    open   numeric(28, 10),
    high   numeric(28, 10),
    low    numeric(28, 10),
    close  numeric(28, 10) NOT NULL,
    volume bigint,
    CONSTRAINT market_indices_pkey PRIMARY KEY (symbol, time),
    CONSTRAINT market_indices_values_check CHECK (
        close > 0 AND close < 'Infinity'
        AND (open IS NULL OR (open > 0 AND open < 'Infinity'))
        AND (high IS NULL OR (high > 0 AND high < 'Infinity'))
        AND (low IS NULL OR (low > 0 AND low < 'Infinity'))
        AND (high IS NULL OR low IS NULL OR high >= low)
        AND (volume IS NULL OR volume >= 0))
) PARTITION BY RANGE (time);

-- rate = units of quote per unit of base at time.
CREATE TABLE market_data.exchange_rates (
    time  timestamptz NOT NULL,
    base  char(3) NOT NULL CHECK (base ~ '^[A-Z]{3}$'),
    quote char(3) NOT NULL CHECK (quote ~ '^[A-Z]{3}$'),
    rate  numeric(24, 12) NOT NULL CHECK (rate > 0 AND rate < 'Infinity'),
    CONSTRAINT exchange_rates_pkey PRIMARY KEY (base, quote, time),
    CHECK (base <> quote)
) PARTITION BY RANGE (time);

-- Rollups merged on ingest (INSERT ... ON CONFLICT (symbol, bucket) DO UPDATE), for stock and
-- index symbols alike. open_time/close_time let late ticks merge correctly; tick_count counts
-- raw rows. ohlcv_1d is keyed by the exchange-local trading date (instruments.exchange_timezone).
CREATE TABLE market_data.ohlcv_1m (
    symbol     text NOT NULL,
    bucket     timestamptz NOT NULL,
    open       numeric(28, 10) NOT NULL,
    high       numeric(28, 10) NOT NULL,
    low        numeric(28, 10) NOT NULL,
    close      numeric(28, 10) NOT NULL,
    volume     bigint NOT NULL DEFAULT 0,
    tick_count integer NOT NULL,
    open_time  timestamptz NOT NULL,
    close_time timestamptz NOT NULL,
    CONSTRAINT ohlcv_1m_pkey PRIMARY KEY (symbol, bucket)
) PARTITION BY RANGE (bucket);

CREATE TABLE market_data.ohlcv_1h (
    symbol     text NOT NULL,
    bucket     timestamptz NOT NULL,
    open       numeric(28, 10) NOT NULL,
    high       numeric(28, 10) NOT NULL,
    low        numeric(28, 10) NOT NULL,
    close      numeric(28, 10) NOT NULL,
    volume     bigint NOT NULL DEFAULT 0,
    tick_count integer NOT NULL,
    open_time  timestamptz NOT NULL,
    close_time timestamptz NOT NULL,
    CONSTRAINT ohlcv_1h_pkey PRIMARY KEY (symbol, bucket)
) PARTITION BY RANGE (bucket);

CREATE TABLE market_data.ohlcv_1d (
    symbol       text NOT NULL,
    trading_date date NOT NULL,
    open         numeric(28, 10) NOT NULL,
    high         numeric(28, 10) NOT NULL,
    low          numeric(28, 10) NOT NULL,
    close        numeric(28, 10) NOT NULL,
    volume       bigint NOT NULL DEFAULT 0,
    tick_count   integer NOT NULL,
    open_time    timestamptz NOT NULL,
    close_time   timestamptz NOT NULL,
    CONSTRAINT ohlcv_1d_pkey PRIMARY KEY (symbol, trading_date)
) PARTITION BY RANGE (trading_date);

-- Last price per symbol (stocks and indices), upserted in the ingest statement with
-- WHERE EXCLUDED.time > latest_prices.time so a late tick never overwrites a newer one.
-- prev_close is the close of the previous trading date (day change, change alerts).
CREATE TABLE market_data.latest_prices (
    symbol          text PRIMARY KEY,
    time            timestamptz NOT NULL,
    close           numeric(28, 10) NOT NULL CHECK (close > 0 AND close < 'Infinity'),
    volume          bigint,
    prev_close      numeric(28, 10) CHECK (prev_close > 0 AND prev_close < 'Infinity'),
    prev_close_date date,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE market_data.latest_exchange_rates (
    base       char(3) NOT NULL CHECK (base ~ '^[A-Z]{3}$'),
    quote      char(3) NOT NULL CHECK (quote ~ '^[A-Z]{3}$'),
    time       timestamptz NOT NULL,
    rate       numeric(24, 12) NOT NULL CHECK (rate > 0 AND rate < 'Infinity'),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (base, quote)
);

-- Price-update events kept when Redis is down, relayed later.
CREATE TABLE market_data.outbox (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    aggregate_type text NOT NULL CHECK (length(aggregate_type) <= 64),
    aggregate_id   text NOT NULL CHECK (length(aggregate_id) <= 128),
    event_type     text NOT NULL CHECK (length(event_type) <= 64),
    payload        jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz,
    attempts       integer NOT NULL DEFAULT 0,
    last_error     text
);
CREATE INDEX idx_market_outbox_unpublished ON market_data.outbox (id) WHERE published_at IS NULL;
CREATE INDEX idx_market_outbox_published_at ON market_data.outbox (published_at) WHERE published_at IS NOT NULL;

-- ---------------------------------------------------------------------------------------------
-- analytics_ts: intraday portfolio values written by the portfolio service's price consumer
-- (at most once per portfolio per interval), read by portfolio and analytics.
CREATE SCHEMA analytics_ts;

CREATE TABLE analytics_ts.portfolio_snapshots (
    time                 timestamptz NOT NULL,
    portfolio_id         uuid NOT NULL,
    user_id              uuid NOT NULL,
    currency             char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    total_value          numeric(28, 10) NOT NULL,
    cash_value           numeric(28, 10) NOT NULL DEFAULT 0,
    holdings_value       numeric(28, 10) NOT NULL DEFAULT 0,
    invested_capital     numeric(28, 10),
    net_flows            numeric(28, 10),
    day_change           numeric(28, 10),
    day_change_percent   numeric(18, 8),
    total_return         numeric(28, 10),
    total_return_percent numeric(18, 8),
    CONSTRAINT portfolio_snapshots_pkey PRIMARY KEY (portfolio_id, time)
) PARTITION BY RANGE (time);

-- ---------------------------------------------------------------------------------------------
-- events: the audit trail and trading events, written by the outbox relays (through the
-- nexanest_notify role, in SYSTEM context) and never updated. (source, source_event_id) is the
-- outbox row that produced the event, so a replayed relay batch inserts nothing twice
-- (ON CONFLICT DO NOTHING; time is the outbox row's created_at).
CREATE SCHEMA events;

CREATE TABLE events.system_events (
    time            timestamptz NOT NULL,
    source          text NOT NULL CHECK (source IN ('auth', 'portfolio', 'market', 'analytics', 'notifications')),
    source_event_id bigint NOT NULL,
    actor_id        uuid,
    user_id         uuid,
    entity_type     text NOT NULL CHECK (length(entity_type) <= 64),
    entity_id       text NOT NULL CHECK (length(entity_id) <= 128),
    action          text NOT NULL CHECK (length(action) <= 64),
    before          jsonb,
    after           jsonb,
    request_id      text CHECK (length(request_id) <= 128),
    ip              inet,
    CONSTRAINT system_events_pkey PRIMARY KEY (source, source_event_id, time)
) PARTITION BY RANGE (time);
CREATE INDEX idx_system_events_time ON events.system_events (time DESC);
CREATE INDEX idx_system_events_user_id ON events.system_events (user_id, time DESC) WHERE user_id IS NOT NULL;
CREATE INDEX idx_system_events_actor_id ON events.system_events (actor_id, time DESC) WHERE actor_id IS NOT NULL;
CREATE INDEX idx_system_events_entity ON events.system_events (entity_type, entity_id, time DESC);

CREATE TABLE events.trading_events (
    time            timestamptz NOT NULL,
    portfolio_id    uuid NOT NULL,
    source_event_id bigint NOT NULL,
    user_id         uuid NOT NULL,
    actor_id        uuid,
    transaction_id  uuid,
    event_type      text NOT NULL CHECK (event_type IN ('BUY', 'SELL', 'DIVIDEND', 'INTEREST', 'FEE', 'DEPOSIT',
                                                        'WITHDRAWAL', 'SPLIT', 'TRANSFER_IN', 'TRANSFER_OUT')),
    action          text NOT NULL DEFAULT 'CREATED' CHECK (action IN ('CREATED', 'UPDATED', 'DELETED')),
    symbol          text,
    quantity        numeric(28, 10),
    price           numeric(28, 10),
    amount          numeric(28, 10),
    fee             numeric(28, 10),
    currency        char(3) CHECK (currency ~ '^[A-Z]{3}$'),
    details         jsonb,
    CONSTRAINT trading_events_pkey PRIMARY KEY (portfolio_id, time, source_event_id)
) PARTITION BY RANGE (time);
CREATE INDEX idx_trading_events_user_id ON events.trading_events (user_id, time DESC);

-- ---------------------------------------------------------------------------------------------
-- Job leases of the schedulers that work on this database.
CREATE TABLE public.job_leases (
    job_name   text PRIMARY KEY CHECK (length(job_name) <= 128),
    owner      text NOT NULL CHECK (length(owner) <= 256),
    expires_at timestamptz NOT NULL
);

-- ---------------------------------------------------------------------------------------------
-- Partition sets. create_parent makes `premake` partitions on each side of now plus a default
-- partition. Then, per table: infinite_time_partitions (keep making partitions even when no data
-- arrives), retention dropping (not detaching) expired partitions, and ignore_default_data so a
-- stray far-future row in the default partition cannot make maintenance jump ahead and stop
-- creating the partitions current data needs (the default partition is watched instead:
-- partman_maint.default_partition_rows()).
SELECT partman.create_parent('market_data.stock_prices', 'time', 'native', 'daily', p_premake := 7, p_jobmon := false);
SELECT partman.create_parent('market_data.market_indices', 'time', 'native', 'monthly', p_premake := 3, p_jobmon := false);
SELECT partman.create_parent('market_data.exchange_rates', 'time', 'native', 'monthly', p_premake := 3, p_jobmon := false);
SELECT partman.create_parent('market_data.ohlcv_1m', 'bucket', 'native', 'daily', p_premake := 7, p_jobmon := false);
SELECT partman.create_parent('market_data.ohlcv_1h', 'bucket', 'native', 'monthly', p_premake := 3, p_jobmon := false);
SELECT partman.create_parent('market_data.ohlcv_1d', 'trading_date', 'native', 'yearly', p_premake := 2, p_jobmon := false);
SELECT partman.create_parent('analytics_ts.portfolio_snapshots', 'time', 'native', 'monthly', p_premake := 3, p_jobmon := false);
SELECT partman.create_parent('events.system_events', 'time', 'native', 'monthly', p_premake := 3, p_jobmon := false);
SELECT partman.create_parent('events.trading_events', 'time', 'native', 'monthly', p_premake := 3, p_jobmon := false);

UPDATE partman.part_config
SET infinite_time_partitions = true,
    retention_keep_table = false,
    retention_keep_index = false,
    ignore_default_data = true,
    jobmon = false,
    retention = CASE parent_table
        WHEN 'market_data.stock_prices' THEN '90 days'
        WHEN 'market_data.ohlcv_1m' THEN '90 days'
        WHEN 'analytics_ts.portfolio_snapshots' THEN '400 days'
        END
WHERE parent_table IN ('market_data.stock_prices', 'market_data.market_indices', 'market_data.exchange_rates',
                       'market_data.ohlcv_1m', 'market_data.ohlcv_1h', 'market_data.ohlcv_1d',
                       'analytics_ts.portfolio_snapshots', 'events.system_events', 'events.trading_events');

-- ---------------------------------------------------------------------------------------------
-- Maintenance entry points for the application's scheduler. SECURITY DEFINER (the owner owns
-- the tables and partman's configuration), fixed search_path, and restricted to the partition
-- sets above, so a service role can keep partitions current without owning anything.
CREATE SCHEMA partman_maint;

-- The partition sets this schema manages, with their settings.
CREATE FUNCTION partman_maint.managed_tables()
    RETURNS TABLE (parent_table text, control text, partition_interval text, premake integer, retention text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT c.parent_table, c.control, c.partition_interval, c.premake, c.retention
        FROM partman.part_config c
        WHERE split_part(c.parent_table, '.', 1) IN ('market_data', 'analytics_ts', 'events')
        ORDER BY c.parent_table
    $$;

CREATE FUNCTION partman_maint.check_managed(p_parent_table text) RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM partman_maint.managed_tables() m WHERE m.parent_table = p_parent_table) THEN
            RAISE EXCEPTION 'not a managed partition set: %', p_parent_table USING ERRCODE = '22023';
        END IF;
    END
    $$;

-- Creates the partitions `premake` intervals ahead and drops those past retention, for one
-- partition set or (NULL) all of them. Run it per table to keep each transaction short; a
-- concurrent run returns at once (pg_partman's advisory lock). lock_timeout bounds the wait for
-- the parent's lock so ingest is never stalled for long; the scheduler retries later.
CREATE FUNCTION partman_maint.run_maintenance(p_parent_table text DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET lock_timeout = '5s'
    AS $$
    DECLARE
        t text;
    BEGIN
        IF p_parent_table IS NOT NULL THEN
            PERFORM partman_maint.check_managed(p_parent_table);
        END IF;
        FOR t IN SELECT m.parent_table FROM partman_maint.managed_tables() m
                 WHERE p_parent_table IS NULL OR m.parent_table = p_parent_table
        LOOP
            PERFORM partman.run_maintenance(t, p_analyze := false, p_jobmon := false);
        END LOOP;
    END
    $$;

-- The watched default partitions: rows that fell outside every partition, per partition set
-- (zero rows included, so the caller can export a gauge for each). A non-zero count means data
-- arrived for a range without a partition: call ensure_partitions for that range.
CREATE FUNCTION partman_maint.default_partition_rows()
    RETURNS TABLE (parent_table text, default_table text, row_count bigint, oldest timestamptz, newest timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    DECLARE
        m record;
        d text;
    BEGIN
        FOR m IN SELECT * FROM partman_maint.managed_tables() LOOP
            SELECT format('%I.%I', n.nspname, c.relname) INTO d
            FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE i.inhparent = m.parent_table::regclass AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT';
            IF d IS NULL THEN
                CONTINUE;
            END IF;
            parent_table := m.parent_table;
            default_table := d;
            EXECUTE format('SELECT count(*), min(%1$I)::timestamptz, max(%1$I)::timestamptz FROM ONLY %2$s', m.control, d)
                INTO row_count, oldest, newest;
            RETURN NEXT;
        END LOOP;
    END
    $$;

-- Sets how long a partition set keeps data (NULL: forever). Expired partitions are dropped by
-- the next run_maintenance.
CREATE FUNCTION partman_maint.set_retention(p_parent_table text, p_retention interval) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    BEGIN
        PERFORM partman_maint.check_managed(p_parent_table);
        IF p_retention IS NOT NULL AND p_retention <= interval '0' THEN
            RAISE EXCEPTION 'retention must be positive' USING ERRCODE = '22023';
        END IF;
        UPDATE partman.part_config
        SET retention = p_retention::text, retention_keep_table = false, retention_keep_index = false
        WHERE parent_table = p_parent_table;
    END
    $$;

-- Makes sure partitions cover [p_from, p_to) (history imports, backfills), moving rows of that
-- range out of the default partition into them. Returns the number of partitions created.
-- At most 1000 partitions per call.
CREATE FUNCTION partman_maint.ensure_partitions(p_parent_table text, p_from timestamptz, p_to timestamptz)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET lock_timeout = '5s'
    AS $$
    DECLARE
        v_control text;
        v_interval interval;
        v_start timestamptz;
        v_times timestamptz[] := '{}';
        v_default text;
        v_before bigint;
        v_after bigint;
        t timestamptz;
    BEGIN
        PERFORM partman_maint.check_managed(p_parent_table);
        IF p_from IS NULL OR p_to IS NULL OR p_to <= p_from THEN
            RAISE EXCEPTION 'empty or invalid range' USING ERRCODE = '22023';
        END IF;
        SELECT c.control, c.partition_interval::interval INTO v_control, v_interval
        FROM partman.part_config c WHERE c.parent_table = p_parent_table;
        -- pg_partman names and bounds time partitions by the interval truncated in UTC
        v_start := CASE
            WHEN v_interval >= interval '1 year' THEN date_trunc('year', p_from, 'UTC')
            WHEN v_interval >= interval '1 month' THEN date_trunc('month', p_from, 'UTC')
            WHEN v_interval >= interval '1 day' THEN date_trunc('day', p_from, 'UTC')
            ELSE date_trunc('hour', p_from, 'UTC') END;
        t := v_start;
        WHILE t < p_to LOOP
            v_times := v_times || t;
            IF cardinality(v_times) > 1000 THEN
                RAISE EXCEPTION 'range needs more than 1000 partitions' USING ERRCODE = '22023';
            END IF;
            t := t + v_interval;
        END LOOP;

        SELECT format('%I.%I', n.nspname, c.relname) INTO v_default
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE i.inhparent = p_parent_table::regclass AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT';

        SELECT count(*) INTO v_before FROM pg_inherits i WHERE i.inhparent = p_parent_table::regclass;
        -- rows of the range must leave the default partition before a partition for it can be attached
        EXECUTE format('CREATE TEMP TABLE nn_moved_rows ON COMMIT DROP AS
                        WITH d AS (DELETE FROM ONLY %s WHERE %I >= $1 AND %I < $2 RETURNING *) SELECT * FROM d',
                       v_default, v_control, v_control)
            USING v_start, t;
        PERFORM partman.create_partition_time(p_parent_table, v_times, false);
        EXECUTE format('INSERT INTO %s SELECT * FROM nn_moved_rows', p_parent_table);
        DROP TABLE nn_moved_rows;
        SELECT count(*) INTO v_after FROM pg_inherits i WHERE i.inhparent = p_parent_table::regclass;
        RETURN v_after - v_before;
    END
    $$;

REVOKE ALL ON FUNCTION partman_maint.managed_tables(), partman_maint.check_managed(text),
    partman_maint.run_maintenance(text), partman_maint.default_partition_rows(),
    partman_maint.set_retention(text, interval), partman_maint.ensure_partitions(text, timestamptz, timestamptz)
    FROM PUBLIC;
GRANT USAGE ON SCHEMA partman_maint TO nexanest_market, nexanest_portfolio, nexanest_analytics, nexanest_notify;
GRANT EXECUTE ON FUNCTION partman_maint.managed_tables(), partman_maint.run_maintenance(text),
    partman_maint.default_partition_rows()
    TO nexanest_market, nexanest_portfolio, nexanest_analytics, nexanest_notify;
GRANT EXECUTE ON FUNCTION partman_maint.set_retention(text, interval) TO nexanest_market;
GRANT EXECUTE ON FUNCTION partman_maint.ensure_partitions(text, timestamptz, timestamptz)
    TO nexanest_market, nexanest_portfolio;

-- ---------------------------------------------------------------------------------------------
-- Privileges (on the parents: partitions are reached through them and carry no grants).
GRANT USAGE ON SCHEMA market_data TO nexanest_market, nexanest_portfolio, nexanest_analytics, nexanest_notify;
GRANT SELECT, INSERT, UPDATE, DELETE ON market_data.instruments, market_data.stock_prices,
    market_data.market_indices, market_data.exchange_rates, market_data.ohlcv_1m, market_data.ohlcv_1h,
    market_data.ohlcv_1d, market_data.latest_prices, market_data.latest_exchange_rates, market_data.outbox
    TO nexanest_market;
GRANT SELECT ON market_data.instruments, market_data.stock_prices, market_data.market_indices,
    market_data.exchange_rates, market_data.ohlcv_1m, market_data.ohlcv_1h, market_data.ohlcv_1d,
    market_data.latest_prices, market_data.latest_exchange_rates
    TO nexanest_portfolio, nexanest_analytics, nexanest_notify;

-- Ingest stages each batch in a TEMP table (binary COPY, then INSERT ... ON CONFLICT); the
-- bootstrap revokes TEMPORARY from PUBLIC, so the market role gets it here.
DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO nexanest_market', current_database()); END $$;

GRANT USAGE ON SCHEMA analytics_ts TO nexanest_portfolio, nexanest_analytics;
GRANT SELECT, INSERT, UPDATE, DELETE ON analytics_ts.portfolio_snapshots TO nexanest_portfolio;
GRANT SELECT ON analytics_ts.portfolio_snapshots TO nexanest_analytics;

GRANT USAGE ON SCHEMA events TO nexanest_portfolio, nexanest_analytics, nexanest_notify;
GRANT SELECT, INSERT ON events.system_events, events.trading_events TO nexanest_notify;
GRANT SELECT ON events.trading_events TO nexanest_portfolio, nexanest_analytics;

GRANT SELECT, INSERT, UPDATE, DELETE ON public.job_leases
    TO nexanest_market, nexanest_portfolio, nexanest_analytics, nexanest_notify;

-- ---------------------------------------------------------------------------------------------
-- Row-level security on the user data (market data is public reference data).
-- Partitions inherit no policies, but no service role holds a privilege on a partition.
ALTER TABLE analytics_ts.portfolio_snapshots ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics_ts.portfolio_snapshots FORCE ROW LEVEL SECURITY;
CREATE POLICY portfolio_snapshots_read ON analytics_ts.portfolio_snapshots FOR SELECT
    TO nexanest_portfolio, nexanest_analytics
    USING (user_id = (SELECT app.current_user_id())
           OR user_id = ANY ((SELECT app.read_client_ids())::uuid[])
           OR (SELECT app.can_read_all()));
CREATE POLICY portfolio_snapshots_write ON analytics_ts.portfolio_snapshots FOR ALL TO nexanest_portfolio
    USING (user_id = (SELECT app.current_user_id())
           OR user_id = ANY ((SELECT app.manage_client_ids())::uuid[])
           OR (SELECT app.is_system()))
    WITH CHECK (user_id = (SELECT app.current_user_id())
           OR user_id = ANY ((SELECT app.manage_client_ids())::uuid[])
           OR (SELECT app.is_system()));

ALTER TABLE events.trading_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events.trading_events FORCE ROW LEVEL SECURITY;
CREATE POLICY trading_events_read ON events.trading_events FOR SELECT
    TO nexanest_portfolio, nexanest_analytics, nexanest_notify
    USING (user_id = (SELECT app.current_user_id())
           OR user_id = ANY ((SELECT app.read_client_ids())::uuid[])
           OR (SELECT app.can_read_all()));
CREATE POLICY trading_events_relay ON events.trading_events FOR INSERT TO nexanest_notify
    WITH CHECK ((SELECT app.is_system()));

-- The audit trail: a user sees the events about their own account and data; admins see all.
ALTER TABLE events.system_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events.system_events FORCE ROW LEVEL SECURITY;
CREATE POLICY system_events_read ON events.system_events FOR SELECT TO nexanest_notify
    USING (user_id = (SELECT app.current_user_id()) OR (SELECT app.can_read_all()));
CREATE POLICY system_events_relay ON events.system_events FOR INSERT TO nexanest_notify
    WITH CHECK ((SELECT app.is_system()));

-- ensure_partitions re-inserts rows it moved out of a default partition through the parent as
-- the owner; with FORCE the owner needs this INSERT-only policy (it still reads nothing).
CREATE POLICY portfolio_snapshots_owner_move ON analytics_ts.portfolio_snapshots FOR INSERT TO nexanest_owner
    WITH CHECK (true);
CREATE POLICY trading_events_owner_move ON events.trading_events FOR INSERT TO nexanest_owner WITH CHECK (true);
CREATE POLICY system_events_owner_move ON events.system_events FOR INSERT TO nexanest_owner WITH CHECK (true);
