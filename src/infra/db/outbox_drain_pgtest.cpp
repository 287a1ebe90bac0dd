// db::OutboxDrain on a table of the outbox shape (migrations/*/: every service's outbox has
// these columns): the batch it claims, the event record of a row, skipping rows another batch
// holds, and what published, released and failed leave behind.
#include "infra/db/outbox_drain.hpp"

#include <gtest/gtest.h>

#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <string>

#include "infra/db/pool.hpp"
#include "infra/db/testing/pg.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::db {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using nn::test::RunAwaitable;
using testkit::TestPool;

// A scratch outbox with three rows: a before/after payload with an ip, a plain payload, and one
// published already.
struct ScratchOutbox {
    ScratchOutbox() : name(nn::test::UniqueName("outbox_")) {
        nn::test::ExecSql(
            testkit::DbUrl(),
            "CREATE TABLE " + name +
                " (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, actor_id uuid, user_id uuid, "
                "aggregate_type text NOT NULL, aggregate_id text NOT NULL, event_type text NOT NULL, "
                "payload jsonb NOT NULL DEFAULT '{}', request_id text, ip inet, "
                "created_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz, "
                "attempts integer NOT NULL DEFAULT 0, last_error text)");
        nn::test::ExecSql(
            testkit::DbUrl(),
            "INSERT INTO " + name +
                " (actor_id, user_id, aggregate_type, aggregate_id, event_type, payload, request_id, ip, "
                "published_at) VALUES "
                "('0190f0a1-2b3c-7d4e-8f60-000000000001', '0190f0a1-2b3c-7d4e-8f60-000000000002', 'user', "
                "'u1', "
                "'user.profile_updated', '{\"before\":{\"name\":\"A\"},\"after\":{\"name\":\"B\"}}', "
                "'req-1', "
                "'10.1.2.3', NULL), "
                "(NULL, NULL, 'portfolio', 'p1', 'portfolio.created', '{\"name\":\"Main\"}', NULL, NULL, "
                "NULL), "
                "(NULL, NULL, 'portfolio', 'p0', 'portfolio.created', '{}', NULL, NULL, now())");
    }
    ~ScratchOutbox() {
        try {
            nn::test::ExecSql(testkit::DbUrl(), "DROP TABLE " + name);
        } catch (const std::exception&) {
            // the scratch database is dropped at exit anyway
        }
    }
    // The one value of `select` (SELECT ... FROM the outbox ...).
    std::string Value(const std::string& select, const std::string& rest = "") const {
        return nn::test::QueryValue(testkit::DbUrl(), "SELECT " + select + " FROM " + name + " " + rest);
    }
    std::string name;
};

// Runs `steps` on a drain of `outbox` over a pool of two connections (two batches held at once).
template <class Steps>
void WithDrain(const ScratchOutbox& outbox, Steps steps) {
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(2));
        OutboxDrain drain(pool, outbox.name, "test.outbox", "scratch");
        co_await steps(drain);
    });
}

TEST(OutboxDrain, ClaimsTheUnpublishedRowsOldestFirstAsEventRecords) {
    ScratchOutbox outbox;
    WithDrain(outbox, [](OutboxDrain& drain) -> asio::awaitable<void> {
        OutboxBatch batch = co_await drain.Claim(10);
        EXPECT_EQ(batch.Ids(), (std::vector<std::int64_t>{1, 2}));
        EXPECT_EQ(batch.Events().size(), 2u);
        const json::object first = json::parse(batch.Events().at(0)).as_object();
        EXPECT_EQ(first.at("source_event_id").as_int64(), 1);
        EXPECT_EQ(first.at("action").as_string(), "user.profile_updated");
        EXPECT_EQ(first.at("entity_type").as_string(), "user");
        EXPECT_EQ(first.at("entity_id").as_string(), "u1");
        EXPECT_EQ(first.at("before").at("name").as_string(), "A");
        EXPECT_EQ(first.at("after").at("name").as_string(), "B");
        EXPECT_EQ(first.at("ip").as_string(), "10.1.2.3");
        EXPECT_EQ(first.at("request_id").as_string(), "req-1");
        const json::object second = json::parse(batch.Events().at(1)).as_object();
        EXPECT_TRUE(second.at("before").is_null());  // a plain payload is the state after
        EXPECT_EQ(second.at("after").at("name").as_string(), "Main");
        co_await batch.Release();
        OutboxBatch one = co_await drain.Claim(1);
        EXPECT_EQ(one.Ids(), (std::vector<std::int64_t>{1}));
        co_await one.Release();
    });
    EXPECT_EQ(outbox.Value("sum(attempts)"), "0");  // released: untouched
}

TEST(OutboxDrain, SkipsRowsAnotherBatchHolds) {
    ScratchOutbox outbox;
    WithDrain(outbox, [](OutboxDrain& drain) -> asio::awaitable<void> {
        OutboxBatch held = co_await drain.Claim(1);
        OutboxBatch rest = co_await drain.Claim(10);
        EXPECT_EQ(held.Ids(), (std::vector<std::int64_t>{1}));
        EXPECT_EQ(rest.Ids(), (std::vector<std::int64_t>{2}));
        co_await rest.Release();
        co_await held.Release();
    });
}

TEST(OutboxDrain, MarksPublishedOrFailed) {
    ScratchOutbox outbox;
    WithDrain(outbox, [](OutboxDrain& drain) -> asio::awaitable<void> {
        OutboxBatch first = co_await drain.Claim(1);
        co_await first.Release();
        co_await drain.MarkFailed(first.Ids(), std::string(600, 'x'));
        OutboxBatch again = co_await drain.Claim(10);
        EXPECT_EQ(again.Ids(), (std::vector<std::int64_t>{1, 2}));  // a failure leaves rows pending
        co_await again.MarkPublished();
        OutboxBatch none = co_await drain.Claim(10);
        EXPECT_TRUE(none.Empty());
        co_await none.MarkPublished();
    });
    EXPECT_EQ(outbox.Value("count(*)", "WHERE published_at IS NULL"), "0");
    // Row 1: the failure (its error cut to 500 characters), then the publication, which clears it.
    EXPECT_EQ(outbox.Value("attempts", "WHERE id = 1"), "2");
    EXPECT_EQ(outbox.Value("attempts", "WHERE id = 2"), "1");
    EXPECT_EQ(outbox.Value("count(*)", "WHERE last_error IS NOT NULL"), "0");
}

TEST(OutboxDrain, RecordsAFailureWithoutPublishing) {
    ScratchOutbox outbox;
    WithDrain(outbox, [](OutboxDrain& drain) -> asio::awaitable<void> {
        OutboxBatch batch = co_await drain.Claim(10);
        co_await batch.Release();
        co_await drain.MarkFailed(batch.Ids(), std::string(600, 'x'));
    });
    EXPECT_EQ(outbox.Value("count(*)", "WHERE published_at IS NULL AND attempts = 1"), "2");
    EXPECT_EQ(outbox.Value("max(length(last_error))"), "500");
}

}  // namespace
}  // namespace nn::db
