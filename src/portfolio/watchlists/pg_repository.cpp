#include "portfolio/watchlists/pg_repository.hpp"

#include "infra/db/query.hpp"
#include "infra/db/result.hpp"
#include "infra/db/text_array.hpp"
#include "infra/db/transaction.hpp"
#include "portfolio/subdomain_rows.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

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

constexpr db::Query kCountWatchlistsOf{
    "SELECT (SELECT count(*) FROM portfolio.watchlists WHERE user_id = $1), "
    "(SELECT count(*) FROM portfolio.watchlist_items WHERE watchlist_id IN "
    "(SELECT id FROM portfolio.watchlists WHERE user_id = $1))",
    "portfolio.count_watchlists_of"};

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

Watchlist ReadWatchlistRow(const db::Row& r) {
    Watchlist w;
    w.id = r.Get<WatchlistId>(0);
    w.user_id = r.Get<UserId>(1);
    w.name = r.Get<std::string>(2);
    w.description = r.Get<std::optional<std::string>>(3);
    w.created_at = r.Get<Timestamp>(4);
    w.updated_at = r.Get<Timestamp>(5);
    return w;
}

WatchlistItem ReadWatchlistItemRow(const db::Row& r) {
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

asio::awaitable<void> LoadWatchlistItems(db::Transaction& tx, std::vector<Watchlist>& lists) {
    if (lists.empty()) co_return;
    std::vector<WatchlistId> ids;
    for (const auto& w : lists) ids.push_back(w.id);
    auto items = co_await tx.Execute(kSelectItems, db::IdArray(ids));
    for (auto row : items) {
        auto list = row.Get<WatchlistId>(13);
        for (auto& w : lists) {
            if (w.id == list) w.items.push_back(ReadWatchlistItemRow(row));
        }
    }
}

}  // namespace

asio::awaitable<std::vector<Watchlist>> PgWatchlistRepository::List(db::Transaction& tx) {
    auto res = co_await tx.Execute(kListWatchlists);
    std::vector<Watchlist> out;
    for (auto row : res) out.push_back(ReadWatchlistRow(row));
    co_await LoadWatchlistItems(tx, out);
    co_return out;
}

asio::awaitable<std::optional<Watchlist>> PgWatchlistRepository::Find(db::Transaction& tx, WatchlistId id) {
    auto res = co_await tx.Execute(kSelectWatchlist, id);
    if (res.Empty()) co_return std::nullopt;
    std::vector<Watchlist> one{ReadWatchlistRow(res[0])};
    co_await LoadWatchlistItems(tx, one);
    co_return one.front();
}

asio::awaitable<std::optional<Watchlist>> PgWatchlistRepository::LockWritable(db::Transaction& tx,
                                                                              WatchlistId id) {
    auto locked = co_await LockIfWritable(tx, kSelectWatchlistForUpdate, db::MakeParams(id));
    if (!locked) co_return std::nullopt;
    co_return ReadWatchlistRow((*locked)[0]);
}

asio::awaitable<Watchlist> PgWatchlistRepository::Insert(db::Transaction& tx, const Watchlist& draft) {
    auto res = co_await tx.Execute(kInsertWatchlist, draft.id, draft.user_id, draft.name, draft.description);
    co_return ReadWatchlistRow(res[0]);
}

asio::awaitable<Watchlist> PgWatchlistRepository::Update(db::Transaction& tx,
                                                         WatchlistId id,
                                                         const std::string& name,
                                                         const std::optional<std::string>& description) {
    auto res = co_await tx.Execute(kUpdateWatchlist, id, name, description);
    std::vector<Watchlist> one{ReadWatchlistRow(res[0])};
    co_await LoadWatchlistItems(tx, one);
    co_return one.front();
}

asio::awaitable<void> PgWatchlistRepository::Delete(db::Transaction& tx, WatchlistId id) {
    co_await tx.Execute(kDeleteWatchlist, id);
}

asio::awaitable<void> PgWatchlistRepository::Touch(db::Transaction& tx, WatchlistId id) {
    co_await tx.Execute(kTouchWatchlist, id);
}

asio::awaitable<WatchlistCounts> PgWatchlistRepository::LockAndCount(db::Transaction& tx, UserId owner) {
    co_await tx.LockUntilEnd("portfolio.watchlists", owner.ToString());
    auto res = co_await tx.Execute(kCountWatchlistsOf, owner);
    const auto [lists, items] = res[0].As<std::int64_t, std::int64_t>();
    co_return WatchlistCounts{lists, items};
}

asio::awaitable<std::optional<WatchlistItem>> PgWatchlistRepository::InsertItem(db::Transaction& tx,
                                                                                WatchlistId list,
                                                                                UserId owner,
                                                                                const WatchlistItem& item) {
    // A duplicate: the symbol is on the list already.
    auto inserted = co_await InsertUnlessDuplicate(
        tx, kInsertItem,
        db::MakeParams(Uuid::GenerateV7(), list, owner, item.symbol, item.alert_above, item.alert_below,
                       item.alert_change_pct, item.notes));
    if (!inserted) co_return std::nullopt;
    co_return ReadWatchlistItemRow((*inserted)[0]);
}

asio::awaitable<std::optional<WatchlistItem>> PgWatchlistRepository::LockItem(db::Transaction& tx,
                                                                              WatchlistId list,
                                                                              Uuid item_id) {
    auto res = co_await tx.Execute(kSelectItem, list, item_id);
    if (res.Empty()) co_return std::nullopt;
    co_return ReadWatchlistItemRow(res[0]);
}

asio::awaitable<WatchlistItem> PgWatchlistRepository::UpdateItem(db::Transaction& tx,
                                                                 WatchlistId list,
                                                                 Uuid item_id,
                                                                 const WatchlistItem& values) {
    auto r = co_await tx.Execute(kUpdateItem, list, item_id, values.alert_above, values.alert_below,
                                 values.alert_change_pct, values.notes);
    co_return ReadWatchlistItemRow(r[0]);
}

asio::awaitable<bool> PgWatchlistRepository::DeleteItem(db::Transaction& tx, WatchlistId list, Uuid item_id) {
    auto res = co_await tx.Execute(kDeleteItem, list, item_id);
    co_return res.RowsAffected() == 1;
}

}  // namespace nn::portfolio
