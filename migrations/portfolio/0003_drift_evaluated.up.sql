-- When the drift watch last evaluated a rule (the time its evaluation started). An evaluation
-- older than the stored one changes nothing, so two instances evaluating the same portfolio
-- concurrently leave the state of the newer one (docs/portfolio.md "Drift and goal alerts").
ALTER TABLE portfolio.allocation_rules ADD COLUMN drift_evaluated_at timestamptz;
