ALTER TABLE analytics.portfolio_history DROP CONSTRAINT portfolio_history_portfolio_id_fkey;
ALTER TABLE analytics.portfolio_history ADD CONSTRAINT portfolio_history_portfolio_id_fkey
    FOREIGN KEY (portfolio_id) REFERENCES analytics.portfolio_history_builds (portfolio_id) ON DELETE CASCADE;
ALTER TABLE analytics.portfolio_history_builds DROP CONSTRAINT portfolio_history_builds_portfolio_id_user_id_key;
