#include "portfolio/watchlists/handlers.hpp"

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/error.hpp"
#include "infra/http/json.hpp"
#include "portfolio/request_actor.hpp"

namespace nn::portfolio {

namespace {

// Prices: numeric(28, 10) > 0; the change threshold: numeric(9, 4) > 0 (percent).
constexpr DecimalRules kPriceRules{.integer_digits = 18, .scale = 10, .positive = true};
constexpr DecimalRules kPercentRules{.integer_digits = 5, .scale = 4, .positive = true};

json::object ToJson(const WatchlistItem& i) {
    json::object o;
    o["id"] = i.id.ToString();
    o["symbol"] = i.symbol;
    o["alert_above"] = DecimalOrNull(i.alert_above);
    o["alert_below"] = DecimalOrNull(i.alert_below);
    o["alert_change_pct"] = DecimalOrNull(i.alert_change_pct);
    o["above_armed"] = i.above_armed;
    o["below_armed"] = i.below_armed;
    o["change_armed"] = i.change_armed;
    o["last_price"] = DecimalOrNull(i.last_price);
    o["last_triggered_at"] =
        i.last_triggered_at ? json::value(FormatRfc3339(*i.last_triggered_at)) : json::value(nullptr);
    o["notes"] = i.notes ? json::value(*i.notes) : json::value(nullptr);
    o["created_at"] = FormatRfc3339(i.created_at);
    o["updated_at"] = FormatRfc3339(i.updated_at);
    return o;
}

json::object ToJson(const Watchlist& w) {
    json::object o;
    o["id"] = w.id.ToString();
    o["user_id"] = w.user_id.ToString();
    o["name"] = w.name;
    o["description"] = w.description ? json::value(*w.description) : json::value(nullptr);
    o["created_at"] = FormatRfc3339(w.created_at);
    o["updated_at"] = FormatRfc3339(w.updated_at);
    json::array items;
    for (const auto& i : w.items) items.push_back(ToJson(i));
    o["items"] = std::move(items);
    return o;
}

std::optional<std::optional<std::string>> NullableString(const json::object& body,
                                                         http::FieldReader& in,
                                                         std::string_view field) {
    auto it = body.find(field);
    if (it == body.end()) return std::nullopt;
    if (it->value().is_null()) return std::optional<std::string>();
    auto v = in.OptionalString(field, {.min_length = 0, .max_length = 2000});
    if (!v) return std::nullopt;
    return std::optional<std::string>(*v);
}

// Reads a new item, recording every problem in `in` (the create route prefixes the field
// names of its items: "items[2].symbol").
WatchlistItem ReadNewItem(const json::object& body, http::FieldReader& in) {
    WatchlistItem item;
    item.symbol = in.String("symbol", {.min_length = 1, .max_length = 32});
    if (!item.symbol.empty() && !IsValidSymbol(item.symbol)) {
        in.AddError("symbol", "invalid", "1-32 characters of A-Z, a-z, 0-9 and ^.=_:-");
    }
    item.alert_above = ReadDecimalField(body, in, "alert_above", kPriceRules).value;
    item.alert_below = ReadDecimalField(body, in, "alert_below", kPriceRules).value;
    item.alert_change_pct = ReadDecimalField(body, in, "alert_change_pct", kPercentRules).value;
    if (auto notes = NullableString(body, in, "notes")) item.notes = *notes;
    if (auto problem = CheckAlertBounds(item.alert_above, item.alert_below)) {
        in.AddError("alert_below", "above_alert_above", *problem);
    }
    in.AllowOnly({"symbol", "alert_above", "alert_below", "alert_change_pct", "notes"});
    return item;
}

// The schemas of the two ToJson above and of ReadNewItem.
http::Schema ItemSchema() {
    return js::Object({{"id", js::Uuid()},
                       {"symbol", js::Ref("Symbol")},
                       {"alert_above", js::Decimal().Nullable()},
                       {"alert_below", js::Decimal().Nullable()},
                       {"alert_change_pct", js::Decimal().Nullable()},
                       {"above_armed", js::Boolean()},
                       {"below_armed", js::Boolean()},
                       {"change_armed", js::Boolean()},
                       {"last_price", js::Decimal().Nullable()},
                       {"last_triggered_at", js::DateTime().Nullable()},
                       {"notes", js::String(0, 2000).Nullable()},
                       {"created_at", js::DateTime()},
                       {"updated_at", js::DateTime()}});
}

http::Schema WatchlistSchema() {
    return js::Object({{"id", js::Uuid()},
                       {"user_id", js::Uuid()},
                       {"name", js::String(1, 100)},
                       {"description", js::String(0, 2000).Nullable()},
                       {"created_at", js::DateTime()},
                       {"updated_at", js::DateTime()},
                       {"items", js::Array(js::Ref("WatchlistItem"))}});
}

http::Schema NewItemSchema(bool with_symbol) {
    std::vector<http::Field> fields{
        js::OptNull("alert_above",
                    js::Decimal().Describe("> 0; at most 18 integer and 10 fractional digits")),
        js::OptNull("alert_below", js::Decimal().Describe("> 0 and below alert_above")),
        js::OptNull("alert_change_pct", js::Decimal().Describe("> 0; a percentage, at most 4 decimals")),
        js::OptNull("notes", js::String(0, 2000))};
    if (with_symbol) fields.insert(fields.begin(), {"symbol", js::Ref("Symbol")});
    return js::Object(fields);
}

WatchlistId ListId(const Request& req) {
    return PathIdOr<WatchlistId>(req, "id", kWatchlistNotFound);
}

Uuid ItemId(const Request& req) {
    return PathIdOr<Uuid>(req, "item_id", kItemNotFound);
}

// The items of a new watchlist, each read like a single new item with its problems recorded
// under "items[n].field".
void ReadInitialItems(const json::object& body, http::FieldReader& in, Watchlist& draft) {
    auto it = body.find("items");
    if (it == body.end()) return;
    if (!it->value().is_array() || it->value().as_array().size() > 200) {
        in.AddError("items", "invalid", "an array of at most 200 items");
        return;
    }
    std::size_t n = 0;
    for (const auto& v : it->value().as_array()) {
        if (!v.is_object()) {
            in.AddError(fmt::format("items[{}]", n), "invalid", "an object");
        } else {
            http::FieldReader item_in(v.as_object());
            draft.items.push_back(ReadNewItem(v.as_object(), item_in));
            for (const auto& e : item_in.Errors()) {
                in.AddError(fmt::format("items[{}].{}", n, e.field), e.code, e.message);
            }
        }
        ++n;
    }
}

// --- handlers, one per route ---

asio::awaitable<Response> ListWatchlists(const SubdomainRoutes<WatchlistService>& ctx, Request& req) {
    Actor actor = co_await ctx.Reader(req);
    auto lists = co_await ctx.service->List(actor, req.shard);
    json::array arr;
    for (const auto& w : lists) arr.push_back(ToJson(w));
    co_return http::JsonResponse(json::object{{"items", std::move(arr)}, {"next_cursor", nullptr}});
}

asio::awaitable<Response> CreateWatchlist(const SubdomainRoutes<WatchlistService>& ctx, Request& req) {
    ActingRequest write = co_await ctx.Writer(req);
    auto body = http::ParseJsonObject(req);
    http::FieldReader in(body);
    Watchlist draft;
    draft.user_id = write.actor.user_id;
    draft.name = in.String("name", {.min_length = 1, .max_length = 100});
    if (auto d = NullableString(body, in, "description")) draft.description = *d;
    in.AllowOnly({"name", "description", "items"});
    ReadInitialItems(body, in, draft);
    in.Finish();
    Watchlist w = co_await ctx.service->Create(write, draft);
    Response res = http::JsonResponse(ToJson(w), 201);
    res.SetHeader("Location", "/api/v1/watchlists/" + w.id.ToString());
    co_return res;
}

asio::awaitable<Response> GetWatchlist(const SubdomainRoutes<WatchlistService>& ctx, Request& req) {
    Actor actor = co_await ctx.Reader(req);
    co_return http::JsonResponse(ToJson(co_await ctx.service->Get(actor, ListId(req), req.shard)));
}

asio::awaitable<Response> UpdateWatchlist(const SubdomainRoutes<WatchlistService>& ctx, Request& req) {
    ActingRequest write = co_await ctx.Writer(req);
    auto id = ListId(req);
    auto body = http::ParseJsonObject(req);
    http::FieldReader in(body);
    auto name = in.OptionalString("name", {.min_length = 1, .max_length = 100});
    auto description = NullableString(body, in, "description");
    in.AllowOnly({"name", "description"});
    in.Finish();
    Watchlist w = co_await ctx.service->Update(write, id, name, description);
    co_return http::JsonResponse(ToJson(w));
}

asio::awaitable<Response> DeleteWatchlist(const SubdomainRoutes<WatchlistService>& ctx, Request& req) {
    ActingRequest write = co_await ctx.Writer(req);
    co_await ctx.service->Delete(write, ListId(req));
    co_return Response::NoContent();
}

asio::awaitable<Response> AddWatchlistItem(const SubdomainRoutes<WatchlistService>& ctx, Request& req) {
    ActingRequest write = co_await ctx.Writer(req);
    auto id = ListId(req);
    auto body = http::ParseJsonObject(req);
    http::FieldReader in(body);
    WatchlistItem item = ReadNewItem(body, in);
    in.Finish();
    WatchlistItem stored = co_await ctx.service->AddItem(write, id, item);
    co_return http::JsonResponse(ToJson(stored), 201);
}

asio::awaitable<Response> UpdateWatchlistItem(const SubdomainRoutes<WatchlistService>& ctx, Request& req) {
    ActingRequest write = co_await ctx.Writer(req);
    auto id = ListId(req);
    auto item_id = ItemId(req);
    auto body = http::ParseJsonObject(req);
    http::FieldReader in(body);
    WatchlistItemChange change;
    auto above = ReadDecimalField(body, in, "alert_above", kPriceRules);
    auto below = ReadDecimalField(body, in, "alert_below", kPriceRules);
    auto pct = ReadDecimalField(body, in, "alert_change_pct", kPercentRules);
    change.set_above = above.present;
    change.alert_above = above.value;
    change.set_below = below.present;
    change.alert_below = below.value;
    change.set_change = pct.present;
    change.alert_change_pct = pct.value;
    change.notes = NullableString(body, in, "notes");
    in.AllowOnly({"alert_above", "alert_below", "alert_change_pct", "notes"});
    in.Finish();
    WatchlistItem stored = co_await ctx.service->UpdateItem(write, id, item_id, change);
    co_return http::JsonResponse(ToJson(stored));
}

asio::awaitable<Response> RemoveWatchlistItem(const SubdomainRoutes<WatchlistService>& ctx, Request& req) {
    ActingRequest write = co_await ctx.Writer(req);
    auto id = ListId(req);
    auto item_id = ItemId(req);
    co_await ctx.service->RemoveItem(write, id, item_id);
    co_return Response::NoContent();
}

}  // namespace

void AddWatchlistRoutes(http::Router& routes, SubdomainRoutes<WatchlistService> context) {
    auto ctx = std::make_shared<const SubdomainRoutes<WatchlistService>>(std::move(context));
    routes.AddComponent("WatchlistItem", ItemSchema());
    routes.AddComponent("Watchlist", WatchlistSchema());
    const std::string list = "/api/v1/watchlists/{id}";
    const std::string item = "/api/v1/watchlists/{id}/items/{item_id}";
    routes.Get("/api/v1/watchlists", http::Bind<ListWatchlists>(ctx),
               {.name = "watchlist.list",
                .require_auth = true,
                .contract = {.responses = {{200, js::Page(js::Ref("Watchlist"))}}}});
    routes.Post("/api/v1/watchlists", http::Bind<CreateWatchlist>(ctx),
                {.name = "watchlist.create",
                 .require_auth = true,
                 .contract = {.request = js::Object({{"name", js::String(1, 100)},
                                                     js::OptNull("description", js::String(0, 2000)),
                                                     js::Opt("items", js::Array(NewItemSchema(true), 200))}),
                              .responses = {{201, js::Ref("Watchlist")}},
                              .codes = {"watchlist.duplicate_symbol", "watchlist.alert_bounds",
                                        "watchlist.limit_reached"}}});
    routes.Get(list, http::Bind<GetWatchlist>(ctx),
               {.name = "watchlist.get",
                .require_auth = true,
                .contract = {.responses = {{200, js::Ref("Watchlist")}}, .codes = {"watchlist.not_found"}}});
    routes.Patch(list, http::Bind<UpdateWatchlist>(ctx),
                 {.name = "watchlist.update",
                  .require_auth = true,
                  .contract = {.request = js::Object({js::OptNull("name", js::String(1, 100)),
                                                      js::OptNull("description", js::String(0, 2000))}),
                               .responses = {{200, js::Ref("Watchlist")}},
                               .codes = {"watchlist.not_found"}}});
    routes.Delete(list, http::Bind<DeleteWatchlist>(ctx),
                  {.name = "watchlist.delete",
                   .require_auth = true,
                   .contract = {.responses = {{204}}, .codes = {"watchlist.not_found"}}});
    routes.Post(list + "/items", http::Bind<AddWatchlistItem>(ctx),
                {.name = "watchlist.item_add",
                 .require_auth = true,
                 .contract = {.request = NewItemSchema(true),
                              .responses = {{201, js::Ref("WatchlistItem")}},
                              .codes = {"watchlist.not_found", "watchlist.duplicate_symbol",
                                        "watchlist.alert_bounds", "watchlist.limit_reached"}}});
    routes.Patch(item, http::Bind<UpdateWatchlistItem>(ctx),
                 {.name = "watchlist.item_update",
                  .require_auth = true,
                  .contract = {.request = NewItemSchema(false),
                               .responses = {{200, js::Ref("WatchlistItem")}},
                               .codes = {"watchlist.not_found", "watchlist.item_not_found",
                                         "watchlist.alert_bounds"}}});
    routes.Delete(
        item, http::Bind<RemoveWatchlistItem>(ctx),
        {.name = "watchlist.item_remove",
         .require_auth = true,
         .contract = {.responses = {{204}}, .codes = {"watchlist.not_found", "watchlist.item_not_found"}}});
}

}  // namespace nn::portfolio
