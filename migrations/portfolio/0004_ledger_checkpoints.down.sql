DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM nexanest_portfolio', current_database()); END $$;
DROP INDEX portfolio.idx_transactions_portfolio_symbol_replay;
DROP TABLE portfolio.ledger_checkpoints;
DROP TABLE portfolio.ledger_positions;
