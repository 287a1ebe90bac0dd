#pragma once

#include <optional>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "infra/db/query.hpp"
#include "infra/db/result.hpp"

namespace nn::db {
class Transaction;
}

// The repository side of the portfolio sub-domains (subdomain.hpp has the service side): the
// reads every sub-domain with rows of its own has, and the two statement shapes their
// repositories share. Each statement runs inside the transaction the service opened as the
// acting user, so row-level security decides what a call sees; the service decides what a
// missing row means.
namespace nn::portfolio {

// The acting user's rows of one sub-domain table (watchlists, goals) by their own id.
template <class Row, class Id>
class SubdomainRows {
public:
    virtual ~SubdomainRows() = default;

    // The actor's rows (at most 500), with what hangs off each.
    virtual boost::asio::awaitable<std::vector<Row>> List(db::Transaction& tx) = 0;
    // nullopt when the actor cannot see the row.
    virtual boost::asio::awaitable<std::optional<Row>> Find(db::Transaction& tx, Id id) = 0;
    // The row locked for a write; nullopt when absent or readable but not writable.
    virtual boost::asio::awaitable<std::optional<Row>> LockWritable(db::Transaction& tx, Id id) = 0;
    virtual boost::asio::awaitable<void> Delete(db::Transaction& tx, Id id) = 0;
};

// A SELECT ... FOR UPDATE of rows the actor may read but perhaps not write: nullopt when none
// came back or when the write policy refused the lock (insufficient privilege; the transaction
// is then aborted).
boost::asio::awaitable<std::optional<db::Result>> LockIfWritable(db::Transaction& tx,
                                                                 db::Query query,
                                                                 db::Params params);

// An INSERT ... RETURNING: nullopt when it hit a unique constraint (a duplicate the service
// reports; the transaction is then aborted).
boost::asio::awaitable<std::optional<db::Result>> InsertUnlessDuplicate(db::Transaction& tx,
                                                                        db::Query query,
                                                                        db::Params params);

}  // namespace nn::portfolio
