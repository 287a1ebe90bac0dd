-- Drops everything 0001_auth.up.sql created (policies, functions and indexes go with their objects).
DROP TABLE public.job_leases;
DROP SCHEMA auth CASCADE;
DROP SCHEMA app CASCADE;
