-- Drops everything 0001_portfolio.up.sql created (policies and indexes go with their tables).
DROP TABLE public.job_leases;
DROP SCHEMA portfolio CASCADE;
DROP SCHEMA app CASCADE;
