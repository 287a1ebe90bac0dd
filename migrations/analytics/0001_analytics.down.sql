-- Drops everything 0001_analytics.up.sql created.
DROP TABLE public.job_leases;
DROP SCHEMA analytics CASCADE;
DROP SCHEMA app CASCADE;
