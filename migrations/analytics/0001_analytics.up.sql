-- The analytics database: stored statements (monthly/annual reports per portfolio), benchmark
-- statistics, the outbox and job leases. Inputs (transactions, snapshots, prices) are read from
-- the other databases through the services; only results are kept here.

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
GRANT USAGE ON SCHEMA app TO nexanest_analytics;
GRANT EXECUTE ON FUNCTION app.current_user_id(), app.current_app_role(), app.is_system(), app.can_read_all(),
    app.read_client_ids(), app.manage_client_ids() TO nexanest_analytics;

CREATE SCHEMA analytics;
GRANT USAGE ON SCHEMA analytics TO nexanest_analytics;

-- A generated statement. content is the JSON document; csv_content the CSV rendering.
CREATE TABLE analytics.reports (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL,
    portfolio_id uuid NOT NULL,
    report_type  text NOT NULL CHECK (report_type IN ('MONTHLY', 'ANNUAL', 'CUSTOM')),
    period_start date NOT NULL,
    period_end   date NOT NULL,
    currency     char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status       text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'READY', 'FAILED')),
    content      jsonb,
    csv_content  text,
    error        text,
    requested_by uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    generated_at timestamptz,
    CHECK (period_end >= period_start),
    CHECK (status <> 'READY' OR content IS NOT NULL)
);
CREATE UNIQUE INDEX idx_reports_portfolio_period ON analytics.reports (portfolio_id, report_type, period_start, period_end);
CREATE INDEX idx_reports_user_id ON analytics.reports (user_id, created_at DESC);

-- Statistics of a benchmark (a market index) over a standard range, as of a date. Ratios and
-- statistics are double precision (DESIGN.md §2); they are public market facts (no RLS).
CREATE TABLE analytics.benchmark_statistics (
    symbol              text NOT NULL CHECK (length(symbol) BETWEEN 1 AND 32),
    as_of               date NOT NULL,
    range               text NOT NULL CHECK (range IN ('1M', '3M', 'YTD', '1Y', '3Y', '5Y', 'MAX')),
    start_date          date NOT NULL,
    total_return        double precision,
    annualized_return   double precision,
    volatility          double precision,
    downside_deviation  double precision,
    max_drawdown        double precision,
    max_drawdown_peak   date,
    max_drawdown_trough date,
    sharpe_ratio        double precision,
    sortino_ratio       double precision,
    var_95              double precision,
    observations        integer NOT NULL CHECK (observations >= 0),
    computed_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (symbol, as_of, range)
);

CREATE TABLE analytics.outbox (
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
CREATE INDEX idx_analytics_outbox_unpublished ON analytics.outbox (id) WHERE published_at IS NULL;
CREATE INDEX idx_analytics_outbox_published_at ON analytics.outbox (published_at) WHERE published_at IS NOT NULL;

CREATE TABLE public.job_leases (
    job_name   text PRIMARY KEY CHECK (length(job_name) <= 128),
    owner      text NOT NULL CHECK (length(owner) <= 256),
    expires_at timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON analytics.reports, analytics.benchmark_statistics, analytics.outbox,
    public.job_leases TO nexanest_analytics;

-- Reports: read by the owner, granted advisors and admins; written by the owner, MANAGE
-- advisors and SYSTEM (scheduled statements).
ALTER TABLE analytics.reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics.reports FORCE ROW LEVEL SECURITY;
CREATE POLICY reports_read ON analytics.reports FOR SELECT TO nexanest_analytics
    USING (user_id = (SELECT app.current_user_id())
           OR user_id = ANY ((SELECT app.read_client_ids())::uuid[])
           OR (SELECT app.can_read_all()));
CREATE POLICY reports_write ON analytics.reports FOR ALL TO nexanest_analytics
    USING (user_id = (SELECT app.current_user_id())
           OR user_id = ANY ((SELECT app.manage_client_ids())::uuid[])
           OR (SELECT app.is_system()))
    WITH CHECK (user_id = (SELECT app.current_user_id())
           OR user_id = ANY ((SELECT app.manage_client_ids())::uuid[])
           OR (SELECT app.is_system()));

ALTER TABLE analytics.outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics.outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY outbox_insert ON analytics.outbox FOR INSERT TO nexanest_analytics
    WITH CHECK (actor_id IS NOT DISTINCT FROM (SELECT app.current_user_id()) OR (SELECT app.is_system()));
CREATE POLICY outbox_relay ON analytics.outbox FOR ALL TO nexanest_analytics
    USING ((SELECT app.is_system())) WITH CHECK ((SELECT app.is_system()));
