-- The current rate (portfolio currency per unit of the holding's currency) next to the current
-- price, so the summary's total value in the portfolio currency stays one query in this
-- database. NULL for a foreign holding means the rate is unknown (never a silent 1).
ALTER TABLE portfolio.holdings
    ADD COLUMN fx_rate numeric(24, 12) CHECK (fx_rate > 0),
    ADD COLUMN price_updated_at timestamptz;
