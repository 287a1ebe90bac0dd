#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "infra/db/query.hpp"
#include "infra/db/result.hpp"

namespace nn::db {

// Independent queries sent in one round trip (libpq pipeline mode). Each query is followed by
// its own Sync, so outside a transaction each runs in its own implicit transaction: one failing
// does not undo or abort the others. Inside a Transaction, a failure aborts the transaction as
// usual and the later queries fail too.
//
//   Pipeline p;
//   p.Push(kSelectHoldings, id).Push(kSelectCash, id).Push(kSelectPrices, symbols);
//   PipelineResults r = co_await pool.RunPipeline(std::move(p), std::nullopt);
//   auto holdings = r[0].AsVector<...>();   // r[i] rethrows query i's error
class Pipeline {
public:
    template <class... Args>
    Pipeline& Push(const Query& query, const Args&... args) {
        items_.push_back(Item{query, MakeParams(args...)});
        return *this;
    }
    Pipeline& PushParams(const Query& query, Params params) {
        items_.push_back(Item{query, std::move(params)});
        return *this;
    }

    std::size_t Size() const noexcept { return items_.size(); }
    bool Empty() const noexcept { return items_.empty(); }

    struct Item {
        Query query;
        Params params;
    };
    const std::vector<Item>& Items() const noexcept { return items_; }
    // The items, moved out; the pipeline is empty after.
    std::vector<Item> Release() noexcept { return std::exchange(items_, {}); }

private:
    std::vector<Item> items_;
};

// One outcome per pushed query, in order.
class PipelineResults {
public:
    std::size_t Size() const noexcept { return outcomes_.size(); }
    bool Ok(std::size_t index) const { return outcomes_.at(index).error == nullptr; }
    // The query's Result, or rethrows its error (a DbError subclass).
    const Result& operator[](std::size_t index) const {
        const Outcome& o = outcomes_.at(index);
        if (o.error) std::rethrow_exception(o.error);
        return o.result;
    }
    std::exception_ptr Error(std::size_t index) const { return outcomes_.at(index).error; }

    void Add(Result result) { outcomes_.push_back(Outcome{std::move(result), nullptr}); }
    void AddError(std::exception_ptr error) { outcomes_.push_back(Outcome{Result(), std::move(error)}); }

private:
    struct Outcome {
        Result result;
        std::exception_ptr error;
    };
    std::vector<Outcome> outcomes_;
};

}  // namespace nn::db
