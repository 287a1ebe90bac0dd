ALTER TABLE portfolio.holdings DROP COLUMN price_updated_at, DROP COLUMN fx_rate;
