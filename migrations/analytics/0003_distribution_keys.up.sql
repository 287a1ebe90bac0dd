-- Keys that a distributed PostgreSQL accepts (docs/scale-out.md "Past one PostgreSQL"): a
-- portfolio's history rows point to their build with the user in the key.
-- Same rows, same meaning; tests/schema/distribution_pgtest.cpp keeps the rule.
ALTER TABLE analytics.portfolio_history_builds
    ADD CONSTRAINT portfolio_history_builds_portfolio_id_user_id_key UNIQUE (portfolio_id, user_id);
ALTER TABLE analytics.portfolio_history DROP CONSTRAINT portfolio_history_portfolio_id_fkey;
ALTER TABLE analytics.portfolio_history ADD CONSTRAINT portfolio_history_portfolio_id_fkey
    FOREIGN KEY (portfolio_id, user_id) REFERENCES analytics.portfolio_history_builds (portfolio_id, user_id)
    ON DELETE CASCADE;
