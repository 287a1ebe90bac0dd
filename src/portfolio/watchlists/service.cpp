#include "portfolio/watchlists/service.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/error.hpp"
#include "infra/app/app.hpp"
#include "infra/db/transaction.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

Error WatchlistNotFound() {
    return Error(ErrorKind::kNotFound, "watchlist.not_found", "no such watchlist");
}

Error ItemNotFound() {
    return Error(ErrorKind::kNotFound, "watchlist.item_not_found", "no such watchlist item");
}

Error Duplicate(const std::string& symbol) {
    return Error(ErrorKind::kConflict, "watchlist.duplicate_symbol", "the watchlist already holds " + symbol);
}

std::string ItemPayload(WatchlistId list, const WatchlistItem& i) {
    json::object o;
    o["watchlist_id"] = list.ToString();
    o["item_id"] = i.id.ToString();
    o["symbol"] = i.symbol;
    o["alert_above"] = i.alert_above ? json::value(i.alert_above->ToString()) : json::value(nullptr);
    o["alert_below"] = i.alert_below ? json::value(i.alert_below->ToString()) : json::value(nullptr);
    o["alert_change_pct"] =
        i.alert_change_pct ? json::value(i.alert_change_pct->ToString()) : json::value(nullptr);
    return json::serialize(o);
}

}  // namespace

// A row the actor may read but not write is "not found".
asio::awaitable<Watchlist> WatchlistService::LockWritable(db::Transaction& tx, WatchlistId id) {
    auto w = co_await repository_->LockWritable(tx, id);
    if (!w) throw WatchlistNotFound();
    co_return *w;
}

asio::awaitable<std::vector<Watchlist>> WatchlistService::List(const Actor& actor, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                                 [&](db::Transaction& tx) { return repository_->List(tx); });
}

asio::awaitable<Watchlist> WatchlistService::Get(const Actor& actor, WatchlistId id, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                                 [&](db::Transaction& tx) -> asio::awaitable<Watchlist> {
                                     auto w = co_await repository_->Find(tx, id);
                                     if (!w) throw WatchlistNotFound();
                                     co_return std::move(*w);
                                 });
}

asio::awaitable<Watchlist> WatchlistService::Create(const Actor& actor,
                                                    Watchlist draft,
                                                    const std::string& request_id,
                                                    std::size_t shard) {
    draft.id = WatchlistId::Generate();
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<Watchlist> {
        Watchlist w = co_await repository_->Insert(tx, draft);
        for (const auto& item : draft.items) {
            auto stored = co_await repository_->InsertItem(tx, w.id, w.user_id, item);
            if (!stored) throw Duplicate(item.symbol);
            w.items.push_back(std::move(*stored));
        }
        json::object payload{{"name", w.name}, {"items", w.items.size()}};
        co_await repository_->AddEvent(tx, actor, w.user_id, w.id, "watchlist.created",
                                       json::serialize(payload), request_id);
        co_return w;
    });
}

asio::awaitable<Watchlist> WatchlistService::Update(const Actor& actor,
                                                    WatchlistId id,
                                                    std::optional<std::string> name,
                                                    std::optional<std::optional<std::string>> description,
                                                    const std::string& request_id,
                                                    std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<Watchlist> {
        Watchlist before = co_await LockWritable(tx, id);
        const std::string new_name = name.value_or(before.name);
        const std::optional<std::string> new_description = description.value_or(before.description);
        Watchlist stored = co_await repository_->Update(tx, id, new_name, new_description);
        json::object payload{{"name", stored.name}};
        co_await repository_->AddEvent(tx, actor, before.user_id, id, "watchlist.updated",
                                       json::serialize(payload), request_id);
        co_return stored;
    });
}

asio::awaitable<void> WatchlistService::Delete(const Actor& actor,
                                               WatchlistId id,
                                               const std::string& request_id,
                                               std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> {
        Watchlist before = co_await LockWritable(tx, id);
        co_await repository_->Delete(tx, id);
        json::object payload{{"name", before.name}};
        co_await repository_->AddEvent(tx, actor, before.user_id, id, "watchlist.deleted",
                                       json::serialize(payload), request_id);
    });
}

asio::awaitable<WatchlistItem> WatchlistService::AddItem(const Actor& actor,
                                                         WatchlistId id,
                                                         WatchlistItem item,
                                                         const std::string& request_id,
                                                         std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<WatchlistItem> {
        Watchlist list = co_await LockWritable(tx, id);
        auto stored = co_await repository_->InsertItem(tx, id, list.user_id, item);
        if (!stored) throw Duplicate(item.symbol);
        co_await repository_->Touch(tx, id);
        co_await repository_->AddEvent(tx, actor, list.user_id, id, "watchlist.item_added",
                                       ItemPayload(id, *stored), request_id);
        co_return *stored;
    });
}

asio::awaitable<WatchlistItem> WatchlistService::UpdateItem(const Actor& actor,
                                                            WatchlistId id,
                                                            Uuid item_id,
                                                            WatchlistItemChange change,
                                                            const std::string& request_id,
                                                            std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<WatchlistItem> {
        Watchlist list = co_await LockWritable(tx, id);
        auto before = co_await repository_->LockItem(tx, id, item_id);
        if (!before) throw ItemNotFound();
        WatchlistItem values = *before;
        if (change.set_above) values.alert_above = change.alert_above;
        if (change.set_below) values.alert_below = change.alert_below;
        if (change.set_change) values.alert_change_pct = change.alert_change_pct;
        if (change.notes) values.notes = *change.notes;
        if (auto problem = CheckAlertBounds(values.alert_above, values.alert_below)) {
            throw Error(ErrorKind::kUnprocessable, "watchlist.alert_bounds", *problem);
        }
        WatchlistItem stored = co_await repository_->UpdateItem(tx, id, item_id, values);
        co_await repository_->Touch(tx, id);
        co_await repository_->AddEvent(tx, actor, list.user_id, id, "watchlist.item_updated",
                                       ItemPayload(id, stored), request_id);
        co_return stored;
    });
}

asio::awaitable<void> WatchlistService::RemoveItem(
    const Actor& actor, WatchlistId id, Uuid item_id, const std::string& request_id, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> {
        Watchlist list = co_await LockWritable(tx, id);
        const bool removed = co_await repository_->DeleteItem(tx, id, item_id);
        if (!removed) throw ItemNotFound();
        co_await repository_->Touch(tx, id);
        json::object payload{{"watchlist_id", id.ToString()}, {"item_id", item_id.ToString()}};
        co_await repository_->AddEvent(tx, actor, list.user_id, id, "watchlist.item_removed",
                                       json::serialize(payload), request_id);
    });
}

}  // namespace nn::portfolio
