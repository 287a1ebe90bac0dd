// The piece the sub-domains share (subdomain.hpp) against the real row-level security: the
// portfolio their rows hang off (visible / writable, else 404 portfolio.not_found), the outbox
// row of every write in the write's transaction, and reads that cannot write (issue 18).
#include <stdexcept>
#include <string>

#include "core/error.hpp"
#include "infra/db/errors.hpp"
#include "portfolio/portfolio_api_fixture.hpp"
#include "portfolio/service.hpp"
#include "portfolio/subdomain.hpp"

namespace nn::portfolio::testing {
namespace {

// A fresh user's portfolio.
struct Owned {
    PortfolioId portfolio;
    Actor owner;
};

struct SubdomainSuite {
    static constexpr const char* kPrefix = "t_pfsd_";
};

// The goals' Subdomain on the App's portfolio repository.
class SubdomainSeam : public ApiFixture<SubdomainSuite> {
protected:
    Owned NewPortfolio() {
        const auto user = NewUser();
        const PortfolioId id = *PortfolioId::Parse(CreatePortfolio(user));
        return Owned{id, Actor(*UserId::Parse(IdOf(user)), Role::kUser)};
    }
    const Subdomain& Goals() {
        if (!goals_) goals_ = std::make_unique<const Subdomain>(*app_, service_->Repo(), "goal");
        return *goals_;
    }

    Portfolio Visible(PortfolioId id, const Actor& actor) {
        return Run([&] {
            return Goals().Read(actor, 0,
                                [&](db::Transaction& tx) { return Goals().VisiblePortfolio(tx, id); });
        });
    }
    Portfolio Writable(PortfolioId id, const Actor& actor) {
        const ActingRequest request(actor, "", 0);
        return Run([&] {
            return Goals().Write(request,
                                 [&](db::Transaction& tx) { return Goals().WritablePortfolio(tx, id); });
        });
    }

    // The code of the nn::Error `call` throws (404s only); "" when it throws none.
    template <class Call>
    static std::string NotFoundCode(Call call) {
        try {
            call();
        } catch (const Error& e) {
            return e.Kind() == ErrorKind::kNotFound ? e.Code() : "not a 404: " + e.Code();
        }
        return "";
    }

    long OutboxRows(const Uuid& id) {
        return Count("SELECT count(*) FROM portfolio.outbox WHERE aggregate_id = '" + id.ToString() + "'");
    }

    std::unique_ptr<const Subdomain> goals_;
};

TEST_F(SubdomainSeam, ThePortfolioIsFoundOnlyWhereTheActorMayReadOrWriteIt) {
    const Owned owned = NewPortfolio();
    const PortfolioId portfolio = owned.portfolio;
    const Actor owner = owned.owner;
    const Actor stranger(UserId::Generate(), Role::kUser);
    Actor reader(UserId::Generate(), Role::kAdvisor);
    reader.read_clients.push_back(owner.user_id);
    Actor manager(UserId::Generate(), Role::kAdvisor);
    manager.read_clients.push_back(owner.user_id);
    manager.manage_clients.push_back(owner.user_id);

    EXPECT_EQ(Visible(portfolio, owner).id, portfolio);
    EXPECT_EQ(Visible(portfolio, reader).id, portfolio);
    EXPECT_EQ(NotFoundCode([&] { Visible(portfolio, stranger); }), "portfolio.not_found");

    EXPECT_EQ(Writable(portfolio, owner).id, portfolio);
    EXPECT_EQ(Writable(portfolio, manager).id, portfolio);
    // A READ advisor sees the portfolio but may not lock it for a write: 404 like a stranger.
    EXPECT_EQ(NotFoundCode([&] { Writable(portfolio, reader); }), "portfolio.not_found");
    EXPECT_EQ(NotFoundCode([&] { Writable(portfolio, stranger); }), "portfolio.not_found");
}

TEST_F(SubdomainSeam, AWriteAddsItsOutboxRowInItsOwnTransaction) {
    const Actor owner = NewPortfolio().owner;
    const ActingRequest request(owner, "req-subdomain-seam", 0);
    const Uuid row = Uuid::GenerateV7();
    Run([&] {
        return Goals().Write(request, [&](db::Transaction& tx) -> asio::awaitable<void> {
            co_await Goals().AddEvent(tx, request, owner.user_id, row, "goal.created", R"({"n":1})");
        });
    });
    const std::string who = owner.user_id.ToString();
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.outbox WHERE aggregate_id = '" + row.ToString() +
                    "' AND aggregate_type = 'goal' AND event_type = 'goal.created' AND actor_id = '" + who +
                    "' AND user_id = '" + who +
                    "' AND request_id = 'req-subdomain-seam' AND payload = '{\"n\": 1}'::jsonb"),
              1);

    // A write that fails after its event leaves no event.
    const Uuid lost = Uuid::GenerateV7();
    EXPECT_THROW(Run([&] {
                     return Goals().Write(request, [&](db::Transaction& tx) -> asio::awaitable<void> {
                         co_await Goals().AddEvent(tx, request, owner.user_id, lost, "goal.created", "{}");
                         throw std::runtime_error("the write failed after its event");
                     });
                 }),
                 std::runtime_error);
    EXPECT_EQ(OutboxRows(lost), 0);
}

TEST_F(SubdomainSeam, ReadsCannotWrite) {
    const Actor owner = NewPortfolio().owner;
    const ActingRequest request(owner, "", 0);
    const Uuid row = Uuid::GenerateV7();
    EXPECT_THROW(Run([&] {
                     return Goals().Read(owner, 0, [&](db::Transaction& tx) -> asio::awaitable<void> {
                         co_await Goals().AddEvent(tx, request, owner.user_id, row, "goal.created", "{}");
                     });
                 }),
                 db::DbError);
    EXPECT_THROW(Run([&] {
                     return Goals().ReadAsSystem(0, [&](db::Transaction& tx) -> asio::awaitable<void> {
                         co_await Goals().AddEvent(tx, request, owner.user_id, row, "goal.created", "{}");
                     });
                 }),
                 db::DbError);
    EXPECT_EQ(OutboxRows(row), 0);
}

}  // namespace
}  // namespace nn::portfolio::testing
