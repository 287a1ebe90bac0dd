-- Raw ticks stored as segments: one row per (symbol, UTC minute, ingest batch) holding the
-- minute's ticks of that batch as parallel arrays in time order, the layout TimescaleDB's
-- compression uses (segmentby symbol, orderby time) without its codecs. A 50 000-tick batch of
-- 500 symbols at one tick a second writes ~1 000 rows and ~1 000 index entries instead of
-- 50 000 of each; the per-row tuple header and the (symbol, time) B-tree were most of the cost
-- of a raw write (docs/market.md "Benchmark").
--
-- (symbol, time) stays unique, but by the ingest protocol instead of a unique index: every
-- writer of a symbol's raw data holds that symbol's market_data.instruments row lock
-- (FOR NO KEY UPDATE) from its duplicate check to its commit, and a batch whose segment
-- overlaps a stored segment of the same symbol and minute is redone with the stored ticks
-- removed (src/market/pg_repository.cpp). Values are validated by the pipeline; the CHECKs
-- below keep the arrays well-formed and the prices positive and finite.
--
-- market_data.stock_prices and market_data.market_indices become views with the old columns,
-- so the spec's query shapes still read them.

CREATE TABLE market_data.stock_price_segments (
    symbol     text NOT NULL,
    bucket     timestamptz NOT NULL,   -- the UTC minute of every tick of the segment
    first_time timestamptz NOT NULL,   -- times[1]
    last_time  timestamptz NOT NULL,   -- times[n]
    -- the segment's minute bar (the fold the rollups use): open = coalesce(open, close) of the
    -- first tick, high/low = max/min of coalesce(high/low, close), close of the last tick,
    -- volume = sum of coalesce(volume, 0); market_data.bars_1m folds these per minute
    open       numeric(28, 10) NOT NULL,
    high       numeric(28, 10) NOT NULL,
    low        numeric(28, 10) NOT NULL,
    close      numeric(28, 10) NOT NULL,
    volume     bigint NOT NULL,
    tick_count integer NOT NULL,
    times      timestamptz[] NOT NULL, -- strictly increasing
    opens      numeric(28, 10)[],      -- NULL when no tick of the segment has one
    highs      numeric(28, 10)[],
    lows       numeric(28, 10)[],
    closes     numeric(28, 10)[] NOT NULL,
    volumes    bigint[],
    -- the writing transaction (64-bit, never reused, unlike xmin after wraparound): the repeat
    -- check tells this transaction's segments from everyone else's by it
    writer     xid8 NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT stock_price_segments_shape_check CHECK (
        cardinality(times) >= 1 AND array_ndims(times) = 1 AND array_lower(times, 1) = 1
        AND array_position(times, NULL) IS NULL AND array_position(closes, NULL) IS NULL
        AND first_time = times[1] AND last_time = times[cardinality(times)]
        AND first_time <= last_time
        AND bucket = date_bin('1 minute', first_time, timestamptz '2000-01-03 00:00+00')
        AND bucket = date_bin('1 minute', last_time, timestamptz '2000-01-03 00:00+00')
        AND tick_count = cardinality(times)
        AND cardinality(closes) = cardinality(times)
        AND (opens IS NULL OR cardinality(opens) = cardinality(times))
        AND (highs IS NULL OR cardinality(highs) = cardinality(times))
        AND (lows IS NULL OR cardinality(lows) = cardinality(times))
        AND (volumes IS NULL OR cardinality(volumes) = cardinality(times))),
    CONSTRAINT stock_price_segments_values_check CHECK (
        open > 0 AND open < 'Infinity' AND close > 0 AND close < 'Infinity'
        AND low > 0 AND high >= low AND high < 'Infinity' AND volume >= 0
        AND 0 < ALL (closes) AND 'Infinity' > ALL (closes)
        AND (opens IS NULL OR (0 < ALL (opens) AND 'Infinity' > ALL (opens)))
        AND (highs IS NULL OR (0 < ALL (highs) AND 'Infinity' > ALL (highs)))
        AND (lows IS NULL OR (0 < ALL (lows) AND 'Infinity' > ALL (lows)))
        AND (volumes IS NULL OR 0 <= ALL (volumes)))
) PARTITION BY RANGE (bucket);
-- Per-symbol history and the duplicate check; a few entries per symbol-minute.
CREATE INDEX idx_stock_price_segments_symbol_bucket ON market_data.stock_price_segments (symbol, bucket);

CREATE TABLE market_data.market_index_segments (LIKE market_data.stock_price_segments INCLUDING CONSTRAINTS INCLUDING DEFAULTS)
    PARTITION BY RANGE (bucket);
ALTER TABLE market_data.market_index_segments
    RENAME CONSTRAINT stock_price_segments_shape_check TO market_index_segments_shape_check;
ALTER TABLE market_data.market_index_segments
    RENAME CONSTRAINT stock_price_segments_values_check TO market_index_segments_values_check;
CREATE INDEX idx_market_index_segments_symbol_bucket ON market_data.market_index_segments (symbol, bucket);

SELECT partman.create_parent('market_data.stock_price_segments', 'bucket', 'native', 'daily', p_premake := 7, p_jobmon := false);
SELECT partman.create_parent('market_data.market_index_segments', 'bucket', 'native', 'monthly', p_premake := 3, p_jobmon := false);
UPDATE partman.part_config n
SET infinite_time_partitions = true,
    retention_keep_table = false,
    retention_keep_index = false,
    ignore_default_data = true,
    jobmon = false,
    retention = NULL  -- expired segments are compacted into ohlcv_1m, then dropped: compact_segments
WHERE n.parent_table IN ('market_data.stock_price_segments', 'market_data.market_index_segments');

-- Existing rows move into segments (one per symbol-minute), under partitions made for them.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM (VALUES
            ('market_data.stock_prices', 'market_data.stock_price_segments'),
            ('market_data.market_indices', 'market_data.market_index_segments')) v(old, new) LOOP
        EXECUTE format($q$
            SELECT CASE WHEN count(*) > 0
                THEN partman_maint.ensure_partitions(%L, min(time), max(time) + interval '1 minute') END
            FROM %s$q$, r.new, r.old);
        EXECUTE format($q$
            INSERT INTO %s (symbol, bucket, first_time, last_time, open, high, low, close, volume, tick_count,
                            times, opens, highs, lows, closes, volumes)
            SELECT symbol, date_bin('1 minute', time, timestamptz '2000-01-03 00:00+00'), min(time), max(time),
                (array_agg(coalesce(open, close) ORDER BY time))[1], max(coalesce(high, close)),
                min(coalesce(low, close)), (array_agg(close ORDER BY time DESC))[1],
                coalesce(sum(volume), 0), count(*),
                array_agg(time ORDER BY time),
                CASE WHEN bool_or(open IS NOT NULL) THEN array_agg(open ORDER BY time) END,
                CASE WHEN bool_or(high IS NOT NULL) THEN array_agg(high ORDER BY time) END,
                CASE WHEN bool_or(low IS NOT NULL) THEN array_agg(low ORDER BY time) END,
                array_agg(close ORDER BY time),
                CASE WHEN bool_or(volume IS NOT NULL) THEN array_agg(volume ORDER BY time) END
            FROM %s GROUP BY 1, 2$q$, r.new, r.old);
    END LOOP;
END
$$;

-- ohlcv_1m now holds only the minutes whose raw segments are gone (compact_segments);
-- market_data.bars_1m folds it with the segments' minute bars. Rows of minutes that have
-- segments leave it, so no tick counts twice.
DELETE FROM market_data.ohlcv_1m m
WHERE EXISTS (SELECT 1 FROM market_data.stock_prices s
              WHERE s.symbol = m.symbol AND s.time >= m.bucket AND s.time < m.bucket + interval '1 minute')
   OR EXISTS (SELECT 1 FROM market_data.market_indices s
              WHERE s.symbol = m.symbol AND s.time >= m.bucket AND s.time < m.bucket + interval '1 minute');

DROP TABLE market_data.stock_prices, market_data.market_indices;
DELETE FROM partman.part_config WHERE parent_table IN ('market_data.stock_prices', 'market_data.market_indices');
DROP TABLE partman.template_market_data_stock_prices, partman.template_market_data_market_indices;

-- The row-shaped reading of the segments: the spec's stock_prices columns, then the segment's
-- bucket. A filter on time alone cannot prune partitions (the time comes out of the arrays); a
-- reader adds `bucket >= date_bin('1 minute', from, ...) AND bucket < to`, which reaches the
-- segment scan, its partitions and the (symbol, bucket) index.
CREATE VIEW market_data.stock_prices AS
SELECT t.time, s.symbol, t.open, t.high, t.low, t.close, t.volume, s.bucket
FROM market_data.stock_price_segments s
CROSS JOIN LATERAL unnest(s.times, s.opens, s.highs, s.lows, s.closes, s.volumes)
    AS t(time, open, high, low, close, volume);
CREATE VIEW market_data.market_indices AS
SELECT t.time, s.symbol, t.open, t.high, t.low, t.close, t.volume, s.bucket
FROM market_data.market_index_segments s
CROSS JOIN LATERAL unnest(s.times, s.opens, s.highs, s.lows, s.closes, s.volumes)
    AS t(time, open, high, low, close, volume);

-- One-minute bars: the compacted minutes of ohlcv_1m and the segments' minute bars, folded per
-- (symbol, minute) (open from the earliest, close from the latest, sums of volume and ticks).
-- A filter on symbol and bucket reaches every branch's index.
CREATE VIEW market_data.bars_1m AS
SELECT symbol, bucket,
       (array_agg(open ORDER BY open_time))[1] AS open, max(high) AS high, min(low) AS low,
       (array_agg(close ORDER BY close_time DESC))[1] AS close, sum(volume)::bigint AS volume,
       sum(tick_count)::integer AS tick_count, min(open_time) AS open_time, max(close_time) AS close_time
FROM (
    SELECT symbol, bucket, open, high, low, close, volume, tick_count, open_time, close_time
    FROM market_data.ohlcv_1m
    UNION ALL
    SELECT symbol, bucket, open, high, low, close, volume, tick_count, first_time, last_time
    FROM market_data.stock_price_segments
    UNION ALL
    SELECT symbol, bucket, open, high, low, close, volume, tick_count, first_time, last_time
    FROM market_data.market_index_segments
) m
GROUP BY symbol, bucket;

-- Raw retention for the segment sets: every partition wholly older than now() - p_older_than is
-- folded into ohlcv_1m (minutes that ohlcv_1m's own retention still keeps; the partitions they
-- need are made) and dropped, in one transaction, so each tick is in exactly one of the two at
-- any time. Returns the number of partitions dropped. NULL keeps everything.
CREATE FUNCTION partman_maint.compact_segments(p_parent_table text, p_older_than interval) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET lock_timeout = '5s'
    AS $$
    DECLARE
        r record;
        v_keep_1m interval;
        v_dropped integer := 0;
    BEGIN
        IF p_parent_table NOT IN ('market_data.stock_price_segments', 'market_data.market_index_segments') THEN
            RAISE EXCEPTION 'not a segment set: %', p_parent_table USING ERRCODE = '22023';
        END IF;
        IF p_older_than IS NULL THEN
            RETURN 0;
        END IF;
        IF p_older_than <= interval '0' THEN
            RAISE EXCEPTION 'retention must be positive' USING ERRCODE = '22023';
        END IF;
        SELECT c.retention::interval INTO v_keep_1m FROM partman.part_config c
        WHERE c.parent_table = 'market_data.ohlcv_1m';
        FOR r IN
            SELECT format('%I.%I', n.nspname, c.relname) AS child, info.child_start_time, info.child_end_time
            FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            CROSS JOIN LATERAL partman.show_partition_info(format('%I.%I', n.nspname, c.relname),
                                                           p_parent_table := p_parent_table) info
            WHERE i.inhparent = p_parent_table::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
              AND info.child_end_time <= now() - p_older_than
            ORDER BY info.child_start_time
        LOOP
            IF v_keep_1m IS NULL OR r.child_end_time > now() - v_keep_1m THEN
                PERFORM partman_maint.ensure_partitions('market_data.ohlcv_1m',
                    greatest(r.child_start_time, coalesce(now() - v_keep_1m, r.child_start_time)),
                    r.child_end_time);
                EXECUTE format($q$
                    INSERT INTO market_data.ohlcv_1m AS b
                        (symbol, bucket, open, high, low, close, volume, tick_count, open_time, close_time)
                    SELECT symbol, bucket, (array_agg(open ORDER BY first_time))[1], max(high), min(low),
                        (array_agg(close ORDER BY last_time DESC))[1], sum(volume), sum(tick_count),
                        min(first_time), max(last_time)
                    FROM %s WHERE $1 IS NULL OR bucket >= now() - $1
                    GROUP BY 1, 2
                    ON CONFLICT (symbol, bucket) DO UPDATE SET
                        open = CASE WHEN EXCLUDED.open_time < b.open_time THEN EXCLUDED.open ELSE b.open END,
                        open_time = LEAST(b.open_time, EXCLUDED.open_time),
                        high = GREATEST(b.high, EXCLUDED.high), low = LEAST(b.low, EXCLUDED.low),
                        close = CASE WHEN EXCLUDED.close_time > b.close_time THEN EXCLUDED.close ELSE b.close END,
                        close_time = GREATEST(b.close_time, EXCLUDED.close_time),
                        volume = b.volume + EXCLUDED.volume, tick_count = b.tick_count + EXCLUDED.tick_count$q$,
                    r.child) USING v_keep_1m;
            END IF;
            EXECUTE format('DROP TABLE %s', r.child);
            v_dropped := v_dropped + 1;
        END LOOP;
        RETURN v_dropped;
    END
    $$;

-- Retention of a segment set goes through compact_segments (a partition dropped by pg_partman
-- would take its minutes' bars with it).
CREATE OR REPLACE FUNCTION partman_maint.set_retention(p_parent_table text, p_retention interval) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    BEGIN
        PERFORM partman_maint.check_managed(p_parent_table);
        IF p_parent_table IN ('market_data.stock_price_segments', 'market_data.market_index_segments') THEN
            RAISE EXCEPTION 'raw retention of % goes through partman_maint.compact_segments', p_parent_table
                USING ERRCODE = '22023';
        END IF;
        IF p_retention IS NOT NULL AND p_retention <= interval '0' THEN
            RAISE EXCEPTION 'retention must be positive' USING ERRCODE = '22023';
        END IF;
        UPDATE partman.part_config
        SET retention = p_retention::text, retention_keep_table = false, retention_keep_index = false
        WHERE parent_table = p_parent_table;
    END
    $$;

REVOKE ALL ON FUNCTION partman_maint.compact_segments(text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION partman_maint.compact_segments(text, interval) TO nexanest_market;

-- Segments are written by the market service only and never changed: INSERT for new ticks; they
-- leave with their partition (compact_segments, as the owner).
GRANT SELECT, INSERT ON market_data.stock_price_segments, market_data.market_index_segments
    TO nexanest_market;
GRANT SELECT ON market_data.stock_price_segments, market_data.market_index_segments,
    market_data.stock_prices, market_data.market_indices, market_data.bars_1m
    TO nexanest_market, nexanest_portfolio, nexanest_analytics, nexanest_notify;
