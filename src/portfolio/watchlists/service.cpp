#include "portfolio/watchlists/service.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/error.hpp"
#include "infra/app/app.hpp"
#include "infra/db/errors.hpp"
#include "infra/db/query.hpp"
#include "infra/db/result.hpp"
#include "infra/db/transaction.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr db::Query kListWatchlists{
    "SELECT id, user_id, name, description, created_at, updated_at FROM portfolio.watchlists "
    "ORDER BY created_at, id LIMIT 500",
    "portfolio.list_watchlists"};

constexpr db::Query kSelectWatchlist{
    "SELECT id, user_id, name, description, created_at, updated_at FROM portfolio.watchlists WHERE id = $1",
    "portfolio.select_watchlist"};

constexpr db::Query kSelectWatchlistForUpdate{
    "SELECT id, user_id, name, description, created_at, updated_at FROM portfolio.watchlists WHERE id = $1 "
    "FOR UPDATE",
    "portfolio.select_watchlist_for_update"};

constexpr db::Query kInsertWatchlist{
    "INSERT INTO portfolio.watchlists (id, user_id, name, description) VALUES ($1, $2, $3, $4) "
    "RETURNING id, user_id, name, description, created_at, updated_at",
    "portfolio.insert_watchlist"};

constexpr db::Query kUpdateWatchlist{
    "UPDATE portfolio.watchlists SET name = $2, description = $3, updated_at = now() WHERE id = $1 "
    "RETURNING id, user_id, name, description, created_at, updated_at",
    "portfolio.update_watchlist"};

constexpr db::Query kDeleteWatchlist{"DELETE FROM portfolio.watchlists WHERE id = $1",
                                     "portfolio.delete_watchlist"};

constexpr db::Query kSelectItems{
    "SELECT id, symbol, alert_above, alert_below, alert_change_pct, above_armed, below_armed, change_armed, "
    "last_price, last_triggered_at, notes, created_at, updated_at, watchlist_id FROM "
    "portfolio.watchlist_items WHERE watchlist_id = ANY ($1::uuid[]) ORDER BY watchlist_id, symbol",
    "portfolio.select_watchlist_items"};

constexpr db::Query kSelectItem{
    "SELECT id, symbol, alert_above, alert_below, alert_change_pct, above_armed, below_armed, change_armed, "
    "last_price, last_triggered_at, notes, created_at, updated_at FROM portfolio.watchlist_items "
    "WHERE watchlist_id = $1 AND id = $2 FOR UPDATE",
    "portfolio.select_watchlist_item"};

constexpr db::Query kInsertItem{
    "INSERT INTO portfolio.watchlist_items (id, watchlist_id, user_id, symbol, alert_above, alert_below, "
    "alert_change_pct, notes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
    "RETURNING id, symbol, alert_above, alert_below, alert_change_pct, above_armed, below_armed, "
    "change_armed, last_price, last_triggered_at, notes, created_at, updated_at",
    "portfolio.insert_watchlist_item"};

// A changed condition is re-armed: a new threshold starts from a clean state.
constexpr db::Query kUpdateItem{
    "UPDATE portfolio.watchlist_items SET alert_above = $3, alert_below = $4, alert_change_pct = $5, "
    "notes = $6, "
    "above_armed = CASE WHEN alert_above IS DISTINCT FROM $3 THEN true ELSE above_armed END, "
    "below_armed = CASE WHEN alert_below IS DISTINCT FROM $4 THEN true ELSE below_armed END, "
    "change_armed = CASE WHEN alert_change_pct IS DISTINCT FROM $5 THEN true ELSE change_armed END, "
    "updated_at = now() WHERE watchlist_id = $1 AND id = $2 "
    "RETURNING id, symbol, alert_above, alert_below, alert_change_pct, above_armed, below_armed, "
    "change_armed, last_price, last_triggered_at, notes, created_at, updated_at",
    "portfolio.update_watchlist_item"};

constexpr db::Query kDeleteItem{"DELETE FROM portfolio.watchlist_items WHERE watchlist_id = $1 AND id = $2",
                                "portfolio.delete_watchlist_item"};

constexpr db::Query kTouchWatchlist{"UPDATE portfolio.watchlists SET updated_at = now() WHERE id = $1",
                                    "portfolio.touch_watchlist"};

Error WatchlistNotFound() {
    return Error(ErrorKind::kNotFound, "watchlist.not_found", "no such watchlist");
}

Error ItemNotFound() {
    return Error(ErrorKind::kNotFound, "watchlist.item_not_found", "no such watchlist item");
}

Error Duplicate(const std::string& symbol) {
    return Error(ErrorKind::kConflict, "watchlist.duplicate_symbol", "the watchlist already holds " + symbol);
}

Watchlist ReadWatchlist(const db::Row& r) {
    Watchlist w;
    w.id = r.Get<WatchlistId>(0);
    w.user_id = r.Get<UserId>(1);
    w.name = r.Get<std::string>(2);
    w.description = r.Get<std::optional<std::string>>(3);
    w.created_at = r.Get<Timestamp>(4);
    w.updated_at = r.Get<Timestamp>(5);
    return w;
}

WatchlistItem ReadItem(const db::Row& r) {
    WatchlistItem i;
    i.id = r.Get<Uuid>(0);
    i.symbol = r.Get<std::string>(1);
    i.alert_above = r.Get<std::optional<Decimal>>(2);
    i.alert_below = r.Get<std::optional<Decimal>>(3);
    i.alert_change_pct = r.Get<std::optional<Decimal>>(4);
    i.above_armed = r.Get<bool>(5);
    i.below_armed = r.Get<bool>(6);
    i.change_armed = r.Get<bool>(7);
    i.last_price = r.Get<std::optional<Decimal>>(8);
    i.last_triggered_at = r.Get<std::optional<Timestamp>>(9);
    i.notes = r.Get<std::optional<std::string>>(10);
    i.created_at = r.Get<Timestamp>(11);
    i.updated_at = r.Get<Timestamp>(12);
    return i;
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

asio::awaitable<void> LoadItems(db::Transaction& tx, std::vector<Watchlist>& lists) {
    if (lists.empty()) co_return;
    std::vector<std::optional<std::string>> ids;
    for (const auto& w : lists) ids.push_back(w.id.ToString());
    auto items = co_await tx.Execute(kSelectItems, db::TextArray(ids));
    for (auto row : items) {
        auto list = row.Get<WatchlistId>(13);
        for (auto& w : lists) {
            if (w.id == list) w.items.push_back(ReadItem(row));
        }
    }
}

// The watchlist locked for a write; a row the actor may read but not write is "not found".
asio::awaitable<Watchlist> LockWritableWatchlist(db::Transaction& tx, WatchlistId id) {
    std::optional<Watchlist> w;
    try {
        auto res = co_await tx.Execute(kSelectWatchlistForUpdate, id);
        if (!res.Empty()) w = ReadWatchlist(res[0]);
    } catch (const db::InsufficientPrivilege&) {
        throw WatchlistNotFound();
    }
    if (!w) throw WatchlistNotFound();
    co_return *w;
}

asio::awaitable<void> Outbox(db::Transaction& tx,
                             const Actor& actor,
                             UserId owner,
                             std::string_view aggregate_id,
                             std::string_view event,
                             const std::string& payload,
                             const std::string& request_id) {
    co_await PgRepository::InsertOutbox(tx, actor, owner, "watchlist", aggregate_id, event, payload,
                                        request_id);
}

}  // namespace

std::optional<std::string> CheckAlertBounds(const std::optional<Decimal>& above,
                                            const std::optional<Decimal>& below) {
    if (above && below && !(*below < *above)) return "alert_below must be lower than alert_above";
    return std::nullopt;
}

asio::awaitable<std::vector<Watchlist>> WatchlistService::List(const Actor& actor, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                                 [&](db::Transaction& tx) -> asio::awaitable<std::vector<Watchlist>> {
                                     auto res = co_await tx.Execute(kListWatchlists);
                                     std::vector<Watchlist> out;
                                     for (auto row : res) out.push_back(ReadWatchlist(row));
                                     co_await LoadItems(tx, out);
                                     co_return out;
                                 });
}

asio::awaitable<Watchlist> WatchlistService::Get(const Actor& actor, WatchlistId id, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                                 [&](db::Transaction& tx) -> asio::awaitable<Watchlist> {
                                     auto res = co_await tx.Execute(kSelectWatchlist, id);
                                     if (res.Empty()) throw WatchlistNotFound();
                                     std::vector<Watchlist> one{ReadWatchlist(res[0])};
                                     co_await LoadItems(tx, one);
                                     co_return one.front();
                                 });
}

asio::awaitable<Watchlist> WatchlistService::Create(const Actor& actor,
                                                    Watchlist draft,
                                                    const std::string& request_id,
                                                    std::size_t shard) {
    draft.id = WatchlistId::Generate();
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<Watchlist> {
        auto res =
            co_await tx.Execute(kInsertWatchlist, draft.id, draft.user_id, draft.name, draft.description);
        Watchlist w = ReadWatchlist(res[0]);
        for (const auto& item : draft.items) {
            try {
                auto r = co_await tx.Execute(kInsertItem, Uuid::GenerateV7(), w.id, w.user_id, item.symbol,
                                             item.alert_above, item.alert_below, item.alert_change_pct,
                                             item.notes);
                w.items.push_back(ReadItem(r[0]));
            } catch (const db::UniqueViolation&) {
                throw Duplicate(item.symbol);
            }
        }
        json::object payload{{"name", w.name}, {"items", w.items.size()}};
        co_await Outbox(tx, actor, w.user_id, w.id.ToString(), "watchlist.created", json::serialize(payload),
                        request_id);
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
        Watchlist before = co_await LockWritableWatchlist(tx, id);
        const std::string new_name = name.value_or(before.name);
        const std::optional<std::string> new_description = description.value_or(before.description);
        auto res = co_await tx.Execute(kUpdateWatchlist, id, new_name, new_description);
        std::vector<Watchlist> one{ReadWatchlist(res[0])};
        co_await LoadItems(tx, one);
        json::object payload{{"name", one.front().name}};
        co_await Outbox(tx, actor, before.user_id, id.ToString(), "watchlist.updated",
                        json::serialize(payload), request_id);
        co_return one.front();
    });
}

asio::awaitable<void> WatchlistService::Delete(const Actor& actor,
                                               WatchlistId id,
                                               const std::string& request_id,
                                               std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> {
        Watchlist before = co_await LockWritableWatchlist(tx, id);
        co_await tx.Execute(kDeleteWatchlist, id);
        json::object payload{{"name", before.name}};
        co_await Outbox(tx, actor, before.user_id, id.ToString(), "watchlist.deleted",
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
        Watchlist list = co_await LockWritableWatchlist(tx, id);
        std::optional<WatchlistItem> stored;
        try {
            auto r =
                co_await tx.Execute(kInsertItem, Uuid::GenerateV7(), id, list.user_id, item.symbol,
                                    item.alert_above, item.alert_below, item.alert_change_pct, item.notes);
            stored = ReadItem(r[0]);
        } catch (const db::UniqueViolation&) {
            throw Duplicate(item.symbol);
        }
        co_await tx.Execute(kTouchWatchlist, id);
        co_await Outbox(tx, actor, list.user_id, id.ToString(), "watchlist.item_added",
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
        Watchlist list = co_await LockWritableWatchlist(tx, id);
        auto res = co_await tx.Execute(kSelectItem, id, item_id);
        if (res.Empty()) throw ItemNotFound();
        WatchlistItem before = ReadItem(res[0]);
        const auto above = change.set_above ? change.alert_above : before.alert_above;
        const auto below = change.set_below ? change.alert_below : before.alert_below;
        const auto pct = change.set_change ? change.alert_change_pct : before.alert_change_pct;
        const auto notes = change.notes ? *change.notes : before.notes;
        if (auto problem = CheckAlertBounds(above, below)) {
            throw Error(ErrorKind::kUnprocessable, "watchlist.alert_bounds", *problem);
        }
        auto r = co_await tx.Execute(kUpdateItem, id, item_id, above, below, pct, notes);
        WatchlistItem stored = ReadItem(r[0]);
        co_await tx.Execute(kTouchWatchlist, id);
        co_await Outbox(tx, actor, list.user_id, id.ToString(), "watchlist.item_updated",
                        ItemPayload(id, stored), request_id);
        co_return stored;
    });
}

asio::awaitable<void> WatchlistService::RemoveItem(
    const Actor& actor, WatchlistId id, Uuid item_id, const std::string& request_id, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> {
        Watchlist list = co_await LockWritableWatchlist(tx, id);
        auto res = co_await tx.Execute(kDeleteItem, id, item_id);
        if (res.RowsAffected() != 1) throw ItemNotFound();
        co_await tx.Execute(kTouchWatchlist, id);
        json::object payload{{"watchlist_id", id.ToString()}, {"item_id", item_id.ToString()}};
        co_await Outbox(tx, actor, list.user_id, id.ToString(), "watchlist.item_removed",
                        json::serialize(payload), request_id);
    });
}

}  // namespace nn::portfolio
