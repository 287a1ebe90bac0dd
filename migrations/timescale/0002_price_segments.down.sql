-- Back to one row per tick: the tables of 0001 again, the segments' ticks moved into them, and
-- ohlcv_1m written again for every minute (the segments' minute bars folded into it).
DROP VIEW market_data.stock_prices, market_data.market_indices, market_data.bars_1m;
DROP FUNCTION partman_maint.compact_segments(text, interval);
CREATE OR REPLACE FUNCTION partman_maint.set_retention(p_parent_table text, p_retention interval) RETURNS void
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

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['market_data.stock_price_segments', 'market_data.market_index_segments'] LOOP
        EXECUTE format($q$
            SELECT CASE WHEN count(*) > 0
                THEN partman_maint.ensure_partitions('market_data.ohlcv_1m', min(bucket), max(bucket) + interval '1 minute') END
            FROM %s$q$, t);
        EXECUTE format($q$
            INSERT INTO market_data.ohlcv_1m AS b
                (symbol, bucket, open, high, low, close, volume, tick_count, open_time, close_time)
            SELECT symbol, bucket, (array_agg(open ORDER BY first_time))[1], max(high), min(low),
                (array_agg(close ORDER BY last_time DESC))[1], sum(volume), sum(tick_count),
                min(first_time), max(last_time)
            FROM %s GROUP BY 1, 2
            ON CONFLICT (symbol, bucket) DO UPDATE SET
                open = CASE WHEN EXCLUDED.open_time < b.open_time THEN EXCLUDED.open ELSE b.open END,
                open_time = LEAST(b.open_time, EXCLUDED.open_time),
                high = GREATEST(b.high, EXCLUDED.high), low = LEAST(b.low, EXCLUDED.low),
                close = CASE WHEN EXCLUDED.close_time > b.close_time THEN EXCLUDED.close ELSE b.close END,
                close_time = GREATEST(b.close_time, EXCLUDED.close_time),
                volume = b.volume + EXCLUDED.volume, tick_count = b.tick_count + EXCLUDED.tick_count$q$, t);
    END LOOP;
END
$$;

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
CREATE INDEX idx_stock_prices_time ON market_data.stock_prices USING brin (time);

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

SELECT partman.create_parent('market_data.stock_prices', 'time', 'native', 'daily', p_premake := 7, p_jobmon := false);
SELECT partman.create_parent('market_data.market_indices', 'time', 'native', 'monthly', p_premake := 3, p_jobmon := false);
UPDATE partman.part_config n
SET infinite_time_partitions = true,
    retention_keep_table = false,
    retention_keep_index = false,
    ignore_default_data = true,
    jobmon = false,
    retention = CASE n.parent_table WHEN 'market_data.stock_prices' THEN '90 days' END
WHERE n.parent_table IN ('market_data.stock_prices', 'market_data.market_indices');

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM (VALUES
            ('market_data.stock_prices', 'market_data.stock_price_segments'),
            ('market_data.market_indices', 'market_data.market_index_segments')) v(old, new) LOOP
        EXECUTE format($q$
            SELECT CASE WHEN count(*) > 0
                THEN partman_maint.ensure_partitions(%L, min(first_time), max(last_time) + interval '1 minute') END
            FROM %s$q$, r.old, r.new);
        EXECUTE format($q$
            INSERT INTO %s (time, symbol, open, high, low, close, volume)
            SELECT t.time, s.symbol, t.open, t.high, t.low, t.close, t.volume
            FROM %s s CROSS JOIN LATERAL unnest(s.times, s.opens, s.highs, s.lows, s.closes, s.volumes)
                AS t(time, open, high, low, close, volume)$q$, r.old, r.new);
    END LOOP;
END
$$;

DROP TABLE market_data.stock_price_segments, market_data.market_index_segments;
DELETE FROM partman.part_config
WHERE parent_table IN ('market_data.stock_price_segments', 'market_data.market_index_segments');
DROP TABLE partman.template_market_data_stock_price_segments, partman.template_market_data_market_index_segments;

GRANT SELECT, INSERT, UPDATE, DELETE ON market_data.stock_prices, market_data.market_indices TO nexanest_market;
GRANT SELECT ON market_data.stock_prices, market_data.market_indices
    TO nexanest_portfolio, nexanest_analytics, nexanest_notify;
