// fuse.hpp: the text of fused writes (their effect on a server is in deferred_pgtest.cpp).
#include "infra/db/fuse.hpp"

#include <gtest/gtest.h>

namespace nn::db::fuse {
namespace {

TEST(FuseRenumbered, ShiftsEveryParameterOutsideQuotes) {
    EXPECT_EQ(Renumbered("UPDATE t SET v = $2 WHERE id = $1", 3), "UPDATE t SET v = $5 WHERE id = $4");
    EXPECT_EQ(Renumbered("INSERT INTO t VALUES ($9, $10, $11)", 1), "INSERT INTO t VALUES ($10, $11, $12)");
    EXPECT_EQ(Renumbered("INSERT INTO t VALUES ('$1', \"$2\", $1)", 2),
              "INSERT INTO t VALUES ('$1', \"$2\", $3)");
    EXPECT_EQ(Renumbered("INSERT INTO t VALUES ('it''s $1', $1)", 1),
              "INSERT INTO t VALUES ('it''s $1', $2)");
    EXPECT_EQ(Renumbered("DELETE FROM t", 4), "DELETE FROM t");
}

TEST(FuseRenumbered, RefusesWhatItDoesNotFollow) {
    EXPECT_EQ(Renumbered("INSERT INTO t VALUES ($q$x$q$)", 1), std::nullopt);
    EXPECT_EQ(Renumbered("INSERT INTO t VALUES ($1) -- $1", 1), std::nullopt);
    EXPECT_EQ(Renumbered("INSERT INTO t VALUES ($1) /* $1 */", 1), std::nullopt);
    EXPECT_EQ(Renumbered("INSERT INTO t VALUES ('open", 1), std::nullopt);
}

TEST(FuseTargetOf, NamesTheWrittenTable) {
    EXPECT_EQ(TargetOf("INSERT INTO portfolio.holdings AS h (a) VALUES ($1)"), "portfolio.holdings");
    EXPECT_EQ(TargetOf("  insert into t(a) values (1)"), "t");
    EXPECT_EQ(TargetOf("UPDATE ONLY s.t SET a = 1"), "s.t");
    EXPECT_EQ(TargetOf("DELETE FROM s.t WHERE a = 1"), "s.t");
    EXPECT_EQ(TargetOf("WITH x AS (DELETE FROM a) INSERT INTO b VALUES (1)"), std::nullopt);
    EXPECT_EQ(TargetOf("SELECT 1"), std::nullopt);
    EXPECT_EQ(TargetOf("INSERTED"), std::nullopt);
}

Pipeline Batch(std::initializer_list<Query> queries) {
    Pipeline p;
    std::int32_t n = 0;
    for (const Query& q : queries) p.Push(q, ++n);
    return p;
}

constexpr Query kA{"INSERT INTO a VALUES ($1)", "a", true};
constexpr Query kB{"UPDATE b SET v = $1", "b", true};
constexpr Query kA2{"DELETE FROM a WHERE id = $1", "a2", true};
constexpr Query kPlain{"INSERT INTO c VALUES ($1)", "c"};
constexpr Query kSelect{"SELECT $1", "s", true};

TEST(FuseFused, JoinsRunsOfFusableWritesOnDifferentTables) {
    std::deque<std::string> texts;
    const Pipeline out = Fused(Batch({kA, kB, kPlain, kA, kB, kA2, kSelect}), texts);
    ASSERT_EQ(out.Size(), 5u);
    const auto& items = out.Items();
    EXPECT_EQ(items[0].query.sql,
              "WITH w0 AS (INSERT INTO a VALUES ($1)), w1 AS (UPDATE b SET v = $2) SELECT");
    EXPECT_EQ(items[0].query.name, "fused(a+b)");
    ASSERT_EQ(items[0].params.Size(), 2u);
    EXPECT_EQ(items[1].query.name, "c");  // not fusable: as it is, in its place
    // a, b, then a again: the second write of `a` starts a new run.
    EXPECT_EQ(items[2].query.name, "fused(a+b)");
    EXPECT_EQ(items[2].query.sql, items[0].query.sql);  // a new run numbers from $1 again
    EXPECT_EQ(items[3].query.name, "a2");               // alone in its run: as it is
    EXPECT_EQ(items[3].query.sql, kA2.sql);
    EXPECT_EQ(items[4].query.name, "s");  // marked, but not a write
    // Each statement keeps its own parameters: two in each fused one, one in each left alone.
    EXPECT_EQ(items[2].params.Size(), 2u);
    EXPECT_EQ(items[3].params.Size(), 1u);
}

TEST(FuseFused, AStatementItCannotRenumberEndsTheRunAndGoesAlone) {
    constexpr Query kCommented{"UPDATE d SET v = $1 -- note", "d", true};
    std::deque<std::string> texts;
    const Pipeline out = Fused(Batch({kA, kCommented, kB, kA2}), texts);
    ASSERT_EQ(out.Size(), 3u);
    EXPECT_EQ(out.Items()[0].query.name, "a");
    EXPECT_EQ(out.Items()[1].query.name, "d");
    EXPECT_EQ(out.Items()[2].query.sql,
              "WITH w0 AS (UPDATE b SET v = $1), w1 AS (DELETE FROM a WHERE id = $2) SELECT");
}

TEST(FuseFused, LeavesABatchWithoutFusableRunsAlone) {
    std::deque<std::string> texts;
    const Pipeline out = Fused(Batch({kPlain, kA, kPlain}), texts);
    ASSERT_EQ(out.Size(), 3u);
    EXPECT_EQ(out.Items()[1].query.sql, kA.sql);
    EXPECT_TRUE(texts.empty());
}

}  // namespace
}  // namespace nn::db::fuse
