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

// The fused text of a sequence of statements is made once and kept: the POST of a transaction
// renumbered and concatenated its six derived writes at every call, 8 % of the server's CPU.
TEST(FuseFused, MakesTheTextOfASequenceOnceAndKeepsIt) {
    std::deque<std::string> first_texts, second_texts;
    const Pipeline first = Fused(Batch({kA, kB, kPlain}), first_texts);
    const Pipeline second = Fused(Batch({kA, kB, kPlain}), second_texts);
    ASSERT_EQ(first.Size(), 2u);
    ASSERT_EQ(second.Size(), 2u);
    EXPECT_EQ(second.Items()[0].query.sql, first.Items()[0].query.sql);
    // The same storage, not a second copy made for the call.
    EXPECT_EQ(second.Items()[0].query.sql.data(), first.Items()[0].query.sql.data());
    EXPECT_EQ(second.Items()[0].query.name.data(), first.Items()[0].query.name.data());
    EXPECT_TRUE(second_texts.empty());
    // Each call's own parameters, in order.
    ASSERT_EQ(second.Items()[0].params.Size(), 2u);
    EXPECT_EQ(second.Items()[0].params.Values()[1].bytes, first.Items()[0].params.Values()[1].bytes);
}

// What a sequence is: the statements' text, names and parameter counts (a name reused for another
// text, as tests building SQL at run time may, must not get the first text's fusion; a text under
// another name is fused under its own, which metrics and errors report).
TEST(FuseFused, ASequenceIsItsTextsNamesAndParameterCounts) {
    std::deque<std::string> texts;
    const Pipeline a = Fused(Batch({kA, kB}), texts);
    const Query other_a{"INSERT INTO other_a VALUES ($1)", "a", true};
    const Pipeline other = Fused(Batch({other_a, kB}), texts);
    EXPECT_EQ(other.Items()[0].query.sql,
              "WITH w0 AS (INSERT INTO other_a VALUES ($1)), w1 AS (UPDATE b SET v = $2) SELECT");
    constexpr Query kTwo{"INSERT INTO a VALUES ($1, $2)", "a", true};
    Pipeline two;
    two.Push(kTwo, 1, 2).Push(kB, 3);
    const Pipeline out = Fused(std::move(two), texts);
    EXPECT_EQ(out.Items()[0].query.sql,
              "WITH w0 AS (INSERT INTO a VALUES ($1, $2)), w1 AS (UPDATE b SET v = $3) SELECT");
    EXPECT_NE(out.Items()[0].query.sql, a.Items()[0].query.sql);
    const Query renamed_a{kA.sql, "renamed_a", true};
    const Pipeline renamed = Fused(Batch({renamed_a, kB}), texts);
    EXPECT_EQ(renamed.Items()[0].query.sql, a.Items()[0].query.sql);
    EXPECT_EQ(renamed.Items()[0].query.name, "fused(renamed_a+b)");
}

// Past its bound a cache keeps nothing more: the batch's texts stay with the caller, and the
// statement is the same.
TEST(FuseFused, PastTheBoundTheTextsStayWithTheCaller) {
    PlanCache plans(1);
    std::deque<std::string> texts;
    const Pipeline kept = Fused(Batch({kA, kB}), texts, plans);
    EXPECT_TRUE(texts.empty());
    const Pipeline not_kept = Fused(Batch({kB, kA2}), texts, plans);
    ASSERT_EQ(not_kept.Size(), 1u);
    EXPECT_EQ(not_kept.Items()[0].query.sql,
              "WITH w0 AS (UPDATE b SET v = $1), w1 AS (DELETE FROM a WHERE id = $2) SELECT");
    ASSERT_EQ(texts.size(), 2u);
    EXPECT_EQ(not_kept.Items()[0].query.sql.data(), texts.front().data());
    // What was kept is still served from the cache.
    const Pipeline again = Fused(Batch({kA, kB}), texts, plans);
    EXPECT_EQ(again.Items()[0].query.sql.data(), kept.Items()[0].query.sql.data());
    EXPECT_EQ(texts.size(), 2u);
}

}  // namespace
}  // namespace nn::db::fuse
