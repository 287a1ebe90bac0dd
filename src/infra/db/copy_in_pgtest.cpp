#include "infra/db/copy_in.hpp"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

#include <boost/asio/this_coro.hpp>

#include "infra/db/errors.hpp"
#include "infra/db/pool.hpp"
#include "infra/db/testing/pg.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::db {
namespace {

namespace asio = boost::asio;
using nn::test::RunAwaitable;
using testkit::TestPool;

struct Generated {
    std::int64_t id;
    std::int16_t small;
    std::int32_t mid;
    bool flag;
    std::string name;
    nn::Decimal amount;
    nn::Decimal price;  // numeric(18,6): sent at scale 6
    nn::Timestamp ts;
    nn::Uuid uid;
    std::optional<std::string> note;
};

std::vector<Generated> Generate(int n) {
    std::mt19937_64 rng(20240229);
    std::vector<Generated> rows;
    rows.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        Generated g;
        g.id = std::int64_t{i} * 3'000'000'000 - 7;
        g.small = static_cast<std::int16_t>(static_cast<int>(rng() % 65536) - 32768);
        g.mid = static_cast<std::int32_t>(rng());
        g.flag = (rng() & 1) != 0;
        g.name = "row-" + std::to_string(i) + (i % 5 == 0 ? " é€ \"quoted\" \\ \t" : "");
        const auto mantissa =
            static_cast<std::int64_t>(rng() % 2'000'000'000'000'000ull) - 1'000'000'000'000'000;
        g.amount = nn::Decimal::FromUnscaled(mantissa, static_cast<int>(rng() % 9));
        g.price = nn::Decimal::FromUnscaled(static_cast<std::int64_t>(rng() % 1'000'000'000'000ull), 6);
        // Microseconds on both sides of the PostgreSQL epoch (2000-01-01).
        const auto micros =
            static_cast<std::int64_t>(rng() % 4'000'000'000'000'000ull) - 1'000'000'000'000'000;
        g.ts = nn::Timestamp(std::chrono::microseconds(micros));
        nn::Uuid::Bytes bytes{};
        for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
        g.uid = nn::Uuid(bytes);
        if (i % 7 != 0) g.note = "note " + std::to_string(rng() % 1000);
        rows.push_back(std::move(g));
    }
    return rows;
}

const std::vector<std::string> kColumns = {"id",     "small", "mid", "flag", "name",
                                           "amount", "price", "ts",  "uid",  "note"};
const std::vector<std::string> kIdName = {"id", "name"};
const std::vector<std::string> kId = {"id"};

TEST(CopyIn, RoundTripsOneHundredThousandRowsExactly) {
    constexpr int kRows = 100'000;
    const std::string table = nn::test::UniqueName("copy_");
    nn::test::ExecSql(testkit::DbUrl(),
                      "CREATE TABLE " + table +
                          " (id int8, small int2, mid int4, flag bool, name text, amount numeric,"
                          " price numeric(18,6), ts timestamptz, uid uuid, note text)");
    const std::vector<Generated> rows = Generate(kRows);
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        {
            PooledConnection conn = co_await pool.Acquire();
            auto copy = co_await CopyIn::Begin(*conn, table, kColumns);
            int flushes = 0;
            for (const Generated& g : rows) {
                copy.AddRow(g.id, g.small, g.mid, g.flag, g.name, g.amount, g.price, g.ts, g.uid, g.note);
                if (copy.ShouldFlush()) {
                    co_await copy.Flush();
                    ++flushes;
                }
            }
            EXPECT_GT(flushes, 10);  // it really streamed in chunks
            EXPECT_EQ(copy.RowsAdded(), kRows);
            EXPECT_EQ(co_await copy.Finish(), kRows);
        }

        // Server-side aggregates against sums computed here (numeric sums exact, in Decimal).
        std::int64_t sum_small = 0, sum_mid = 0, flags = 0, notes = 0;
        nn::Decimal sum_amount, sum_price;
        for (const Generated& g : rows) {
            sum_small += g.small;
            sum_mid += g.mid;
            flags += g.flag ? 1 : 0;
            notes += g.note ? 1 : 0;
            sum_amount += g.amount;
            sum_price += g.price;
        }
        const std::string agg =
            "SELECT count(*), sum(small), sum(mid), count(*) FILTER (WHERE flag), sum(amount), "
            "sum(price), count(note) FROM " +
            table;
        auto [count, s_small, s_mid, s_flags, s_amount, s_price, s_notes] =
            (co_await pool.Execute(Query{agg, "test.copy_aggregates"}))
                .AsSingleRow<std::int64_t, nn::Decimal, nn::Decimal, std::int64_t, nn::Decimal, nn::Decimal,
                             std::int64_t>();
        EXPECT_EQ(count, kRows);
        EXPECT_EQ(s_small, nn::Decimal::FromInt(sum_small));
        EXPECT_EQ(s_mid, nn::Decimal::FromInt(sum_mid));
        EXPECT_EQ(s_flags, flags);
        EXPECT_EQ(s_amount, sum_amount);
        EXPECT_EQ(s_price, sum_price);
        EXPECT_EQ(s_notes, notes);

        // Every field of every row, read back through the binary result decoders.
        const std::string all =
            "SELECT id, small, mid, flag, name, amount, price, ts, uid, note FROM " + table + " ORDER BY id";
        Result r = co_await pool.Execute(Query{all, "test.copy_read_back"});
        EXPECT_EQ(r.Size(), kRows);
        int mismatches = 0;
        for (Row row : r) {
            const Generated& g = rows[static_cast<std::size_t>(row.Index())];
            const bool same =
                row.Get<std::int64_t>(0) == g.id && row.Get<std::int16_t>(1) == g.small &&
                row.Get<std::int32_t>(2) == g.mid && row.Get<bool>(3) == g.flag &&
                row.Get<std::string>(4) == g.name && row.Get<std::string>(5) == g.amount.ToString() &&
                row.Get<std::string>(6) == g.price.ToString() && row.Get<nn::Timestamp>(7) == g.ts &&
                row.Get<nn::Uuid>(8) == g.uid && row.Get<std::optional<std::string>>(9) == g.note;
            if (!same && ++mismatches <= 3) ADD_FAILURE() << "row " << row.Index() << " differs";
        }
        EXPECT_EQ(mismatches, 0);
    });
    nn::test::ExecSql(testkit::DbUrl(), "DROP TABLE " + table);
}

asio::awaitable<void> CopyThenFail(Pool& pool, const std::string& table) {
    PooledConnection conn = co_await pool.Acquire();
    auto copy = co_await CopyIn::Begin(*conn, table, kIdName);
    for (std::int64_t i = 0; i < 50'000; ++i) {
        copy.AddRow(i, std::string("x"));
        if (copy.ShouldFlush()) co_await copy.Flush();
    }
    co_await copy.Flush();
    throw std::runtime_error("the feed broke half-way");
}

TEST(CopyIn, AbortsWhenAbandoned) {
    const std::string table = nn::test::UniqueName("copy_abort_");
    nn::test::ExecSql(testkit::DbUrl(), "CREATE TABLE " + table + " (id int8, name text)");
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        bool thrown = false;
        try {
            co_await CopyThenFail(pool, table);
        } catch (const std::runtime_error&) {
            thrown = true;
        }
        EXPECT_TRUE(thrown);
        const std::string count = "SELECT count(*) FROM " + table;
        EXPECT_EQ((co_await pool.Execute(Query{count, "t"})).AsSingleRow<std::int64_t>(), 0);
        // The same connection was drained and reused, not thrown away.
        EXPECT_EQ(pool.Stats().resets, 1u);
        EXPECT_EQ(pool.Stats().discarded, 0u);
    });
    nn::test::ExecSql(testkit::DbUrl(), "DROP TABLE " + table);
}

TEST(CopyIn, ServerRejectionsAreTypedAndLeaveTheConnectionUsable) {
    const std::string table = nn::test::UniqueName("copy_bad_");
    nn::test::ExecSql(testkit::DbUrl(), "CREATE TABLE " + table + " (id int8 PRIMARY KEY, name text)");
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        PooledConnection conn = co_await pool.Acquire();
        {
            auto copy = co_await CopyIn::Begin(*conn, table, kIdName);
            copy.AddRow(std::int64_t{1}, std::string("a"));
            copy.AddRow(std::int64_t{1}, std::string("b"));
            bool duplicate = false;
            try {
                co_await copy.Finish();
            } catch (const UniqueViolation& e) {
                duplicate = true;
                EXPECT_EQ(e.Constraint(), table + "_pkey");
            }
            EXPECT_TRUE(duplicate);
        }
        {
            // int4 into an int8 column: binary COPY does not convert, the server rejects the
            // field ("insufficient data left in message").
            auto copy = co_await CopyIn::Begin(*conn, table, kIdName);
            copy.AddRow(std::int32_t{1}, std::string("a"));
            bool bad_format = false;
            try {
                co_await copy.Finish();
            } catch (const DataException& e) {
                bad_format = e.SqlState() == "08P01" && e.Kind() == ErrorKind::kUnprocessable;
            }
            EXPECT_TRUE(bad_format);
        }
        {
            auto copy = co_await CopyIn::Begin(*conn, table, kIdName);
            bool refused = false;
            try {
                co_await conn->Execute(Query{"SELECT 1", "t"});
            } catch (const ServerError& e) {
                refused = e.Code() == "db.copy_in_progress";
            }
            EXPECT_TRUE(refused);
        }
        bool wrong_width = false;
        try {
            auto copy = co_await CopyIn::Begin(*conn, table, kIdName);
            copy.AddRow(std::int64_t{1});
        } catch (const ResultShapeError&) {
            wrong_width = true;
        }
        EXPECT_TRUE(wrong_width);
        bool no_table = false;
        try {
            co_await CopyIn::Begin(*conn, table + "_missing", kId);
        } catch (const DbError& e) {
            no_table = e.SqlState() == "42P01";
        }
        EXPECT_TRUE(no_table);
        const std::string count = "SELECT count(*) FROM " + table;
        EXPECT_EQ((co_await conn->Execute(Query{count, "t"})).AsSingleRow<std::int64_t>(), 0);
    });
    nn::test::ExecSql(testkit::DbUrl(), "DROP TABLE " + table);
}

}  // namespace
}  // namespace nn::db
