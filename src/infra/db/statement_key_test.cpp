// detail::StatementKey: the prepared-statement cache's key (the cache compares the SQL too).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "infra/db/detail/connection_impl.hpp"

namespace nn::db::detail {
namespace {

TEST(StatementKey, TheSameStatementHasTheSameKeyAndAnyChangeAnother) {
    const std::string sql = "SELECT symbol, quantity FROM portfolio.holdings WHERE portfolio_id = $1";
    const std::vector<Oid> oids = {2950};
    EXPECT_EQ(StatementKey(sql, oids), StatementKey(std::string(sql), oids));
    std::set<std::uint64_t> keys = {StatementKey(sql, oids)};
    EXPECT_TRUE(keys.insert(StatementKey(sql, {})).second) << "the parameter types count";
    EXPECT_TRUE(keys.insert(StatementKey(sql, {25})).second);
    EXPECT_TRUE(keys.insert(StatementKey(sql + " ", oids)).second) << "a byte more";
    EXPECT_TRUE(keys.insert(StatementKey(sql.substr(0, sql.size() - 1), oids)).second) << "a byte less";
    // Every single-byte change, in the 8-byte words and in the tail.
    for (std::size_t i = 0; i < sql.size(); ++i) {
        std::string changed = sql;
        changed[i] = static_cast<char>(changed[i] ^ 0x20);
        EXPECT_TRUE(keys.insert(StatementKey(changed, oids)).second) << "byte " << i;
    }
    EXPECT_TRUE(keys.insert(StatementKey("", {})).second);
    EXPECT_TRUE(keys.insert(StatementKey(std::string(1, '\0'), {})).second) << "a zero byte is not nothing";
}

TEST(StatementKey, ManyStatementsDoNotCollide) {
    std::set<std::uint64_t> keys;
    for (int i = 0; i < 20'000; ++i) {
        keys.insert(StatementKey("SELECT " + std::to_string(i), {}));
        keys.insert(
            StatementKey("WITH w0 AS (DELETE FROM t WHERE a = $" + std::to_string(i) + ") SELECT", {25}));
    }
    EXPECT_EQ(keys.size(), 40'000u);
}

}  // namespace
}  // namespace nn::db::detail
