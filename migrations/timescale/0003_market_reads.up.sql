-- Portfolio and analytics read market data only through the market's interfaces
-- (market::RateDirectory, InstrumentDirectory, HistoryDirectory, which connect as
-- nexanest_market), so their roles lose every right on market_data (issue 18: no domain runs SQL
-- on another domain's tables). notify keeps its reads for now.
REVOKE ALL ON ALL TABLES IN SCHEMA market_data FROM nexanest_portfolio, nexanest_analytics;
REVOKE USAGE ON SCHEMA market_data FROM nexanest_portfolio, nexanest_analytics;
