-- Drops what 0002_portfolio_history.up.sql created.
DROP TABLE analytics.portfolio_history;
DROP TABLE analytics.portfolio_history_builds;
