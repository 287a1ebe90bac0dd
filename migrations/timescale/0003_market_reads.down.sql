-- The reads of 0001 and 0002 again.
GRANT USAGE ON SCHEMA market_data TO nexanest_portfolio, nexanest_analytics;
GRANT SELECT ON market_data.instruments, market_data.stock_prices, market_data.market_indices,
    market_data.exchange_rates, market_data.ohlcv_1m, market_data.ohlcv_1h, market_data.ohlcv_1d,
    market_data.latest_prices, market_data.latest_exchange_rates, market_data.stock_price_segments,
    market_data.market_index_segments, market_data.bars_1m
    TO nexanest_portfolio, nexanest_analytics;
