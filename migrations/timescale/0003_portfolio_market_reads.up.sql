-- The portfolio service reads market data only through the market's interfaces
-- (market::RateDirectory, market::InstrumentDirectory, which connect as nexanest_market), so its
-- role loses every right on market_data (issue 18: no domain runs SQL on another's tables).
REVOKE ALL ON ALL TABLES IN SCHEMA market_data FROM nexanest_portfolio;
REVOKE USAGE ON SCHEMA market_data FROM nexanest_portfolio;
