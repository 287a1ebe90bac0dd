#include "portfolio/watchlists/service.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/error.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

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

// Refuses what would take `owner` past kMaxWatchlists lists or kMaxWatchlistItems symbols.
asio::awaitable<void> CheckLimits(WatchlistRepository& repository,
                                  db::Transaction& tx,
                                  UserId owner,
                                  std::int64_t new_lists,
                                  std::int64_t new_items) {
    const WatchlistCounts held = co_await repository.LockAndCount(tx, owner);
    if (held.lists + new_lists > kMaxWatchlists) {
        throw Error(ErrorKind::kConflict, "watchlist.limit_reached",
                    "at most " + std::to_string(kMaxWatchlists) + " watchlists: delete one first");
    }
    if (held.items + new_items > kMaxWatchlistItems) {
        throw Error(ErrorKind::kConflict, "watchlist.limit_reached",
                    "at most " + std::to_string(kMaxWatchlistItems) +
                        " symbols over all watchlists: remove some first");
    }
}

Error DuplicateSymbol(const std::string& symbol) {
    return Error(ErrorKind::kConflict, "watchlist.duplicate_symbol", "the watchlist already holds " + symbol);
}

}  // namespace

asio::awaitable<std::vector<Watchlist>> WatchlistService::List(const Actor& actor, std::size_t shard) {
    co_return co_await subdomain_.Read(actor, shard,
                                       [&](db::Transaction& tx) { return repository_->List(tx); });
}

asio::awaitable<Watchlist> WatchlistService::Get(const Actor& actor, WatchlistId id, std::size_t shard) {
    co_return co_await subdomain_.Read(actor, shard, [&](db::Transaction& tx) -> asio::awaitable<Watchlist> {
        auto w = co_await repository_->Find(tx, id);
        co_return FoundOr(std::move(w), kWatchlistNotFound);
    });
}

asio::awaitable<Watchlist> WatchlistService::Create(const ActingRequest& request, Watchlist draft) {
    draft.id = WatchlistId::Generate();
    co_return co_await subdomain_.Write(request, [&](db::Transaction& tx) -> asio::awaitable<Watchlist> {
        co_await CheckLimits(*repository_, tx, draft.user_id, 1,
                             static_cast<std::int64_t>(draft.items.size()));
        Watchlist w = co_await repository_->Insert(tx, draft);
        for (const auto& item : draft.items) {
            auto stored = co_await repository_->InsertItem(tx, w.id, w.user_id, item);
            if (!stored) throw DuplicateSymbol(item.symbol);
            w.items.push_back(std::move(*stored));
        }
        json::object payload{{"name", w.name}, {"items", w.items.size()}};
        co_await subdomain_.AddEvent(tx, request, w.user_id, w.id.Value(), "watchlist.created",
                                     json::serialize(payload));
        co_return w;
    });
}

asio::awaitable<Watchlist> WatchlistService::Update(const ActingRequest& request,
                                                    WatchlistId id,
                                                    std::optional<std::string> name,
                                                    std::optional<std::optional<std::string>> description) {
    co_return co_await subdomain_.Write(request, [&](db::Transaction& tx) -> asio::awaitable<Watchlist> {
        auto locked = co_await repository_->LockWritable(tx, id);
        Watchlist before = FoundOr(std::move(locked), kWatchlistNotFound);
        const std::string new_name = name.value_or(before.name);
        const std::optional<std::string> new_description = description.value_or(before.description);
        Watchlist stored = co_await repository_->Update(tx, id, new_name, new_description);
        json::object payload{{"name", stored.name}};
        co_await subdomain_.AddEvent(tx, request, before.user_id, id.Value(), "watchlist.updated",
                                     json::serialize(payload));
        co_return stored;
    });
}

asio::awaitable<void> WatchlistService::Delete(const ActingRequest& request, WatchlistId id) {
    co_await subdomain_.Write(request, [&](db::Transaction& tx) -> asio::awaitable<void> {
        auto locked = co_await repository_->LockWritable(tx, id);
        Watchlist before = FoundOr(std::move(locked), kWatchlistNotFound);
        co_await repository_->Delete(tx, id);
        json::object payload{{"name", before.name}};
        co_await subdomain_.AddEvent(tx, request, before.user_id, id.Value(), "watchlist.deleted",
                                     json::serialize(payload));
    });
}

asio::awaitable<WatchlistItem> WatchlistService::AddItem(const ActingRequest& request,
                                                         WatchlistId id,
                                                         WatchlistItem item) {
    co_return co_await subdomain_.Write(request, [&](db::Transaction& tx) -> asio::awaitable<WatchlistItem> {
        auto locked = co_await repository_->LockWritable(tx, id);
        Watchlist list = FoundOr(std::move(locked), kWatchlistNotFound);
        co_await CheckLimits(*repository_, tx, list.user_id, 0, 1);
        auto stored = co_await repository_->InsertItem(tx, id, list.user_id, item);
        if (!stored) throw DuplicateSymbol(item.symbol);
        co_await repository_->Touch(tx, id);
        co_await subdomain_.AddEvent(tx, request, list.user_id, id.Value(), "watchlist.item_added",
                                     ItemPayload(id, *stored));
        co_return *stored;
    });
}

asio::awaitable<WatchlistItem> WatchlistService::UpdateItem(const ActingRequest& request,
                                                            WatchlistId id,
                                                            Uuid item_id,
                                                            WatchlistItemChange change) {
    co_return co_await subdomain_.Write(request, [&](db::Transaction& tx) -> asio::awaitable<WatchlistItem> {
        auto locked = co_await repository_->LockWritable(tx, id);
        Watchlist list = FoundOr(std::move(locked), kWatchlistNotFound);
        auto before = co_await repository_->LockItem(tx, id, item_id);
        WatchlistItem values = FoundOr(std::move(before), kItemNotFound);
        if (change.set_above) values.alert_above = change.alert_above;
        if (change.set_below) values.alert_below = change.alert_below;
        if (change.set_change) values.alert_change_pct = change.alert_change_pct;
        if (change.notes) values.notes = *change.notes;
        if (auto problem = CheckAlertBounds(values.alert_above, values.alert_below)) {
            throw Error(ErrorKind::kUnprocessable, "watchlist.alert_bounds", *problem);
        }
        WatchlistItem stored = co_await repository_->UpdateItem(tx, id, item_id, values);
        co_await repository_->Touch(tx, id);
        co_await subdomain_.AddEvent(tx, request, list.user_id, id.Value(), "watchlist.item_updated",
                                     ItemPayload(id, stored));
        co_return stored;
    });
}

asio::awaitable<void> WatchlistService::RemoveItem(const ActingRequest& request,
                                                   WatchlistId id,
                                                   Uuid item_id) {
    co_await subdomain_.Write(request, [&](db::Transaction& tx) -> asio::awaitable<void> {
        auto locked = co_await repository_->LockWritable(tx, id);
        Watchlist list = FoundOr(std::move(locked), kWatchlistNotFound);
        const bool removed = co_await repository_->DeleteItem(tx, id, item_id);
        if (!removed) throw kItemNotFound.ToError();
        co_await repository_->Touch(tx, id);
        json::object payload{{"watchlist_id", id.ToString()}, {"item_id", item_id.ToString()}};
        co_await subdomain_.AddEvent(tx, request, list.user_id, id.Value(), "watchlist.item_removed",
                                     json::serialize(payload));
    });
}

}  // namespace nn::portfolio
