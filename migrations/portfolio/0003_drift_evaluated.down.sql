ALTER TABLE portfolio.allocation_rules DROP COLUMN drift_evaluated_at;
