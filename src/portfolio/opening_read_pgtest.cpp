// Service::ReadOpening: a period's read checkpoint and the transactions after it, in one read
// (analytics' period opening; issue 16).
#include <algorithm>
#include <string>
#include <vector>

#include "portfolio/portfolio_api_fixture.hpp"

namespace nn::portfolio::testing {
namespace {

struct OpeningReadSuite {
    static constexpr const char* kPrefix = "t_pfor_";
};
using OpeningRead = ApiFixture<OpeningReadSuite>;

std::string OpeningBuy(const std::string& day) {
    return R"({"type":"BUY","symbol":"AAPL","quantity":"1","price":"100","fee":"0","currency":"USD",)"
           R"("executed_at":")" +
           day + R"(T10:00:00Z"})";
}

std::vector<std::string> OpeningDays(const std::vector<Transaction>& txs) {
    std::vector<std::string> days;
    for (const Transaction& t : txs) days.push_back(FormatDate(ToDate(t.executed_at)));
    std::sort(days.begin(), days.end());
    return days;
}

TEST_F(OpeningRead, TheCheckpointAndOnlyWhatFollowsItUpToTheEnd) {
    const auto user = NewUser();
    const auto pid = CreatePortfolio(user);
    for (const char* day : {"2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"}) {
        ASSERT_EQ(Call(user, "POST", "/api/v1/portfolios/" + pid + "/transactions", OpeningBuy(day)).status,
                  201);
    }
    const Actor actor(*UserId::Parse(IdOf(user)), Role::kUser);
    const PortfolioId id = *PortfolioId::Parse(pid);
    const Timestamp until = StartOfDay(DateFromString("2024-01-08"));  // the 8th is left out

    // No checkpoint stored yet: everything before `until`, however small the pages.
    auto all = Run([&]() -> asio::awaitable<Service::OpeningRead> {
        co_return co_await service_->ReadOpening(actor, id, DateFromString("2024-01-31"), until, 2, 0);
    });
    EXPECT_FALSE(all.checkpoint.has_value());
    EXPECT_EQ(OpeningDays(all.after),
              (std::vector<std::string>{"2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"}));

    // A checkpoint at the end of the 3rd: only what is dated after it.
    const Portfolio p =
        Run([&]() -> asio::awaitable<Portfolio> { co_return co_await service_->GetPortfolio(actor, id, 0); });
    const std::int64_t version = Run([&]() -> asio::awaitable<std::int64_t> {
        const LedgerHead head = co_await service_->ReadLedgerHead(actor, id, 0);
        co_return head.version;
    });
    const bool stored = Run([&]() -> asio::awaitable<bool> {
        std::vector<StoredReadCheckpoint> checkpoints;
        checkpoints.push_back(StoredReadCheckpoint{DateFromString("2024-01-03"), "{}"});
        co_return co_await service_->StoreReadCheckpoints(actor, p, version, std::move(checkpoints), 0);
    });
    ASSERT_TRUE(stored);
    auto after = Run([&]() -> asio::awaitable<Service::OpeningRead> {
        co_return co_await service_->ReadOpening(actor, id, DateFromString("2024-01-31"), until, 1, 0);
    });
    ASSERT_TRUE(after.checkpoint.has_value());
    EXPECT_EQ(FormatDate(after.checkpoint->day), "2024-01-03");
    EXPECT_EQ(OpeningDays(after.after), (std::vector<std::string>{"2024-01-04", "2024-01-05"}));

    // A checkpoint not asked for (the caller could not use it): from the first transaction.
    auto again = Run([&]() -> asio::awaitable<Service::OpeningRead> {
        co_return co_await service_->ReadOpening(actor, id, std::nullopt, until, 50, 0);
    });
    EXPECT_FALSE(again.checkpoint.has_value());
    EXPECT_EQ(again.after.size(), 4u);

    // Someone else's portfolio does not exist for them.
    const Actor stranger(*UserId::Parse(IdOf(NewUser())), Role::kUser);
    EXPECT_THROW(Run([&]() -> asio::awaitable<Service::OpeningRead> {
                     co_return co_await service_->ReadOpening(stranger, id, std::nullopt, until, 50, 0);
                 }),
                 Error);
}

}  // namespace
}  // namespace nn::portfolio::testing
