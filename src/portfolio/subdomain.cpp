#include "portfolio/subdomain.hpp"

#include "infra/app/app.hpp"
#include "infra/db/errors.hpp"
#include "portfolio/repository.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

Error RowNotFound::ToError() const {
    return Error(ErrorKind::kNotFound, std::string(code), std::string(message));
}

Subdomain::Subdomain(App& app, std::shared_ptr<Repository> core, std::string aggregate_type)
    : app_(app), core_(std::move(core)), aggregate_type_(std::move(aggregate_type)) {}

db::Pool& Subdomain::Pool(std::size_t shard) const {
    return app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
}

asio::awaitable<Portfolio> Subdomain::VisiblePortfolio(db::Transaction& tx, PortfolioId id) const {
    auto p = co_await core_->GetPortfolio(tx, id, false);
    co_return FoundOr(std::move(p), kPortfolioNotFound);
}

asio::awaitable<Portfolio> Subdomain::WritablePortfolio(db::Transaction& tx, PortfolioId id) const {
    std::optional<Portfolio> p;
    try {
        p = co_await core_->GetPortfolio(tx, id, true);
    } catch (const db::InsufficientPrivilege&) {
        // Readable (an advisor's read grant) but not writable: the same as absent.
    }
    co_return FoundOr(std::move(p), kPortfolioNotFound);
}

asio::awaitable<void> Subdomain::AddEvent(db::Transaction& tx,
                                          const ActingRequest& request,
                                          UserId owner,
                                          const Uuid& id,
                                          std::string_view event,
                                          const std::string& payload) const {
    co_await core_->InsertOutbox(tx, request.actor, owner, aggregate_type_, id.ToString(), event, payload,
                                 request.request_id);
}

}  // namespace nn::portfolio
