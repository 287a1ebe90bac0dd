-- Keys that a distributed PostgreSQL accepts (docs/scale-out.md "Past one PostgreSQL"): a
-- foreign key between two tables distributed by user must include the user, so a session's
-- links to its parent and successor carry user_id (a session and its rotations are one user's).
-- Same rows, same meaning; tests/schema/distribution_pgtest.cpp keeps the rule.
ALTER TABLE auth.refresh_tokens ADD CONSTRAINT refresh_tokens_id_user_id_key UNIQUE (id, user_id);
ALTER TABLE auth.refresh_tokens DROP CONSTRAINT refresh_tokens_parent_id_fkey;
ALTER TABLE auth.refresh_tokens DROP CONSTRAINT refresh_tokens_replaced_by_fkey;
-- ON DELETE SET NULL of the link column only: user_id stays.
ALTER TABLE auth.refresh_tokens ADD CONSTRAINT refresh_tokens_parent_id_fkey
    FOREIGN KEY (parent_id, user_id) REFERENCES auth.refresh_tokens (id, user_id) ON DELETE SET NULL (parent_id);
ALTER TABLE auth.refresh_tokens ADD CONSTRAINT refresh_tokens_replaced_by_fkey
    FOREIGN KEY (replaced_by, user_id) REFERENCES auth.refresh_tokens (id, user_id) ON DELETE SET NULL (replaced_by);
