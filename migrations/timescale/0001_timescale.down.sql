-- Drops everything 0001_timescale.up.sql created: the partition sets (partitions go with their
-- parents), their pg_partman configuration and template tables, the maintenance functions and
-- the schemas.
DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM nexanest_market', current_database()); END $$;
DROP SCHEMA partman_maint CASCADE;
DROP TABLE events.system_events, events.trading_events, analytics_ts.portfolio_snapshots,
    market_data.stock_prices, market_data.market_indices, market_data.exchange_rates,
    market_data.ohlcv_1m, market_data.ohlcv_1h, market_data.ohlcv_1d;
DELETE FROM partman.part_config
WHERE parent_table IN ('market_data.stock_prices', 'market_data.market_indices', 'market_data.exchange_rates',
                       'market_data.ohlcv_1m', 'market_data.ohlcv_1h', 'market_data.ohlcv_1d',
                       'analytics_ts.portfolio_snapshots', 'events.system_events', 'events.trading_events');
DROP TABLE partman.template_market_data_stock_prices, partman.template_market_data_market_indices,
    partman.template_market_data_exchange_rates, partman.template_market_data_ohlcv_1m,
    partman.template_market_data_ohlcv_1h, partman.template_market_data_ohlcv_1d,
    partman.template_analytics_ts_portfolio_snapshots, partman.template_events_system_events,
    partman.template_events_trading_events;
DROP TABLE public.job_leases;
DROP SCHEMA events CASCADE;
DROP SCHEMA analytics_ts CASCADE;
DROP SCHEMA market_data CASCADE;
DROP SCHEMA app CASCADE;
