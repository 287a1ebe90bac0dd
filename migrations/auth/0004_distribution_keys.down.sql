ALTER TABLE auth.refresh_tokens DROP CONSTRAINT refresh_tokens_parent_id_fkey;
ALTER TABLE auth.refresh_tokens DROP CONSTRAINT refresh_tokens_replaced_by_fkey;
ALTER TABLE auth.refresh_tokens ADD CONSTRAINT refresh_tokens_parent_id_fkey
    FOREIGN KEY (parent_id) REFERENCES auth.refresh_tokens (id) ON DELETE SET NULL;
ALTER TABLE auth.refresh_tokens ADD CONSTRAINT refresh_tokens_replaced_by_fkey
    FOREIGN KEY (replaced_by) REFERENCES auth.refresh_tokens (id) ON DELETE SET NULL;
ALTER TABLE auth.refresh_tokens DROP CONSTRAINT refresh_tokens_id_user_id_key;
