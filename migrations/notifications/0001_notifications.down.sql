-- Drops everything 0001_notifications.up.sql created.
DROP TABLE public.job_leases;
DROP SCHEMA notifications CASCADE;
DROP SCHEMA app CASCADE;
