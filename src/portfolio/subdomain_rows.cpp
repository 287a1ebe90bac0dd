#include "portfolio/subdomain_rows.hpp"

#include "infra/db/errors.hpp"
#include "infra/db/transaction.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

namespace {

// The statement's result; nullopt when it fails with `Refusal` (the transaction is then aborted).
template <class Refusal>
asio::awaitable<std::optional<db::Result>> ResultUnlessRefused(db::Transaction& tx,
                                                               db::Query query,
                                                               db::Params params) {
    std::optional<db::Result> result;
    try {
        result = co_await tx.Run(query, std::move(params), std::nullopt);
    } catch (const Refusal&) {
        // Said by nullopt.
    }
    co_return result;
}

}  // namespace

asio::awaitable<std::optional<db::Result>> LockIfWritable(db::Transaction& tx,
                                                          db::Query query,
                                                          db::Params params) {
    // Readable (an advisor's read grant) but not writable is the same as absent.
    auto locked = co_await ResultUnlessRefused<db::InsufficientPrivilege>(tx, query, std::move(params));
    if (locked && locked->Empty()) locked.reset();
    co_return locked;
}

asio::awaitable<std::optional<db::Result>> InsertUnlessDuplicate(db::Transaction& tx,
                                                                 db::Query query,
                                                                 db::Params params) {
    return ResultUnlessRefused<db::UniqueViolation>(tx, query, std::move(params));
}

}  // namespace nn::portfolio
