-- A session (refresh family) has an absolute lifetime: every token of a family carries the time
-- its sign-in happened, copied from parent to child on rotation, so the cleanup job deleting old
-- tokens of a family cannot make the session younger.
ALTER TABLE auth.refresh_tokens ADD COLUMN family_started_at timestamptz NOT NULL DEFAULT now();
UPDATE auth.refresh_tokens t SET family_started_at = f.started
    FROM (SELECT family_id, min(issued_at) AS started FROM auth.refresh_tokens GROUP BY family_id) f
    WHERE f.family_id = t.family_id;
