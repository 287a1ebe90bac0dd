#include "notify/handlers.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include "auth/acting.hpp"
#include "auth/principal.hpp"
#include "auth/user_directory.hpp"
#include "infra/app/app.hpp"
#include "infra/http/json.hpp"
#include "infra/http/keyset_cursor.hpp"
#include "infra/http/query.hpp"
#include "infra/http/sse.hpp"
#include "infra/redis/client.hpp"
#include "infra/runtime/keyed_slots.hpp"

namespace nn::notify {
namespace asio = boost::asio;
namespace json = boost::json;
using http::Request;
using http::Response;

namespace {

using Ctx = std::shared_ptr<const HandlerContext>;

constexpr std::string_view kNotificationsRead = "notifications:read";
constexpr std::string_view kAdminRead = "admin:users:read";
constexpr std::string_view kPortfolioRead = "portfolio:read";
// A refused stream (stream.too_many) is retried after this long: a closed stream frees its slot
// as soon as the server sees the disconnect.
constexpr std::chrono::seconds kStreamSlotRetry{5};
// Audit filters, as wide as the columns of events.system_events they match
// (migrations/timescale/0001_timescale.up.sql); `user` is a UUID's text.
constexpr std::size_t kUuidText = 36;
constexpr std::size_t kMaxEntityType = 64;   // entity_type <= 64
constexpr std::size_t kMaxEntityId = 128;    // entity_id <= 128
constexpr std::size_t kMaxAuditAction = 64;  // action <= 64
// Preferences one PUT may set (a limit of the API; the kinds are few).
constexpr std::size_t kMaxPreferences = 200;
// Preference kinds of the live updates (LIVE channel only).
constexpr std::string_view kLivePriceKind = "PRICE";
constexpr std::string_view kLiveValueKind = "PORTFOLIO_VALUE";

json::value ParseData(const std::string& text) {
    try {
        return json::parse(text);
    } catch (const std::exception&) {
        return json::value(text);
    }
}

json::object ToJson(const Notification& n) {
    json::object o;
    o["id"] = n.id.ToString();
    o["kind"] = n.kind;
    o["title"] = n.title;
    o["body"] = n.body;
    o["data"] = ParseData(n.data_json);
    o["created_at"] = FormatRfc3339(n.created_at);
    if (n.read_at) {
        o["read_at"] = FormatRfc3339(*n.read_at);
    } else {
        o["read_at"] = nullptr;
    }
    return o;
}

std::optional<Timestamp> TimeParam(const Request& req, std::string_view name) {
    auto v = req.Query().Get(name);
    if (!v) return std::nullopt;
    auto t = ParseRfc3339(*v);
    if (!t) {
        throw Error(ErrorKind::kUnprocessable, "validation.failed",
                    fmt::format("{} is not an RFC 3339 time", name),
                    {{std::string(name), "invalid", "an RFC 3339 time"}});
    }
    return t;
}

std::optional<std::string> TextParam(const Request& req, std::string_view name, std::size_t max) {
    auto v = req.Query().Get(name);
    if (!v) return std::nullopt;
    if (v->empty() || v->size() > max) {
        throw Error(ErrorKind::kUnprocessable, "validation.failed",
                    fmt::format("{} is empty or too long", name),
                    {{std::string(name), "invalid", fmt::format("1-{} characters", max)}});
    }
    return std::string(*v);
}

// --- Audit ---

json::object AuditJson(const AuditEntry& e) {
    json::object o;
    o["id"] = fmt::format("{}:{}", e.source, e.source_event_id);
    o["time"] = FormatRfc3339(e.time);
    o["source"] = e.source;
    o["actor_id"] = e.actor_id ? json::value(e.actor_id->ToString()) : json::value(nullptr);
    o["user_id"] = e.user_id ? json::value(e.user_id->ToString()) : json::value(nullptr);
    o["entity_type"] = e.entity_type;
    o["entity_id"] = e.entity_id;
    o["action"] = e.action;
    o["before"] = e.before ? ParseData(*e.before) : json::value(nullptr);
    o["after"] = e.after ? ParseData(*e.after) : json::value(nullptr);
    o["request_id"] = e.request_id ? json::value(*e.request_id) : json::value(nullptr);
    o["ip"] = e.ip ? json::value(*e.ip) : json::value(nullptr);
    return o;
}

// The audit filters of the query string, and the page's keyset position from its cursor.
AuditFilter ReadAuditFilter(const Request& req, const std::optional<std::string>& cursor) {
    AuditFilter filter;
    if (auto u = TextParam(req, "user", kUuidText)) {
        if (!Uuid::Parse(*u)) {
            throw Error(ErrorKind::kUnprocessable, "validation.failed", "user is not a UUID",
                        {{"user", "invalid", "a UUID"}});
        }
        filter.user = *u;
    }
    filter.entity = TextParam(req, "entity", kMaxEntityType);
    filter.entity_id = TextParam(req, "entity_id", kMaxEntityId);
    filter.action = TextParam(req, "action", kMaxAuditAction);
    filter.from = TimeParam(req, "from");
    filter.to = TimeParam(req, "to");
    if (auto position = http::KeysetCursor::Decode(cursor, 2)) {
        filter.after_time = position->time;
        filter.after_source = position->keys[0];
        filter.after_id = position->IntKey(1);
    }
    return filter;
}

asio::awaitable<Response> Audit(Ctx ctx, Request& req) {
    const auto& p = auth::RequirePrincipal(req, kAdminRead);
    const Actor actor = auth::ActorOf(p);
    EventsService::RequireAuditor(actor);
    auto page = http::ParsePage(req);
    AuditFilter filter = ReadAuditFilter(req, page.cursor);
    auto entries = co_await ctx->events->Audit(actor, filter, page.limit + 1, req.shard);
    const bool more = entries.size() > page.limit;
    if (more) entries.resize(page.limit);
    json::array items;
    for (const auto& e : entries) items.push_back(AuditJson(e));
    json::object out;
    out["items"] = std::move(items);
    if (more) {
        std::vector<std::string> keys{entries.back().source, std::to_string(entries.back().source_event_id)};
        out["next_cursor"] = http::KeysetCursor(entries.back().time, std::move(keys)).Encode();
    } else {
        out["next_cursor"] = nullptr;
    }
    co_return http::JsonResponse(out);
}

// --- Portfolio events ---

json::value OptText(const std::optional<std::string>& text) {
    return text ? json::value(*text) : json::value(nullptr);
}

json::object TradingEventJson(const TradingEvent& e) {
    json::object o;
    o["time"] = FormatRfc3339(e.time);
    o["type"] = e.type;
    o["action"] = e.action;
    o["transaction_id"] = e.transaction_id ? json::value(e.transaction_id->ToString()) : json::value(nullptr);
    o["actor_id"] = e.actor_id ? json::value(e.actor_id->ToString()) : json::value(nullptr);
    o["symbol"] = OptText(e.symbol);
    o["quantity"] = OptText(e.quantity);
    o["price"] = OptText(e.price);
    o["amount"] = OptText(e.amount);
    o["fee"] = OptText(e.fee);
    o["currency"] = OptText(e.currency);
    return o;
}

asio::awaitable<Response> PortfolioEvents(Ctx ctx, Request& req) {
    const auto& p = auth::RequirePrincipal(req, kPortfolioRead);
    auto portfolio = PortfolioId::Parse(req.PathParam("id"));
    if (!portfolio) throw Error(ErrorKind::kNotFound, "portfolio.not_found", "no such portfolio");
    auto page = http::ParsePage(req);
    std::optional<std::pair<Timestamp, std::int64_t>> after;
    if (auto cursor = http::KeysetCursor::Decode(page.cursor, 1))
        after.emplace(cursor->time, cursor->IntKey(0));
    const Actor actor = co_await auth::ActorOf(p, ctx->directory, req.shard);
    auto events = co_await ctx->events->PortfolioEvents(actor, *portfolio, after, page.limit + 1, req.shard);
    const bool more = events.size() > page.limit;
    if (more) events.resize(page.limit);
    json::array items;
    for (const auto& e : events) items.push_back(TradingEventJson(e));
    json::object out;
    out["items"] = std::move(items);
    if (more) {
        std::vector<std::string> keys{std::to_string(events.back().source_event_id)};
        out["next_cursor"] = http::KeysetCursor(events.back().time, std::move(keys)).Encode();
    } else {
        out["next_cursor"] = nullptr;
    }
    co_return http::JsonResponse(out);
}

// --- Inbox and preferences ---

asio::awaitable<Response> ListInbox(Ctx ctx, Request& req) {
    const auto& p = auth::RequirePrincipal(req, kNotificationsRead);
    auto page = http::ParsePage(req);
    bool unread = false;
    if (auto u = req.Query().Get("unread")) {
        if (*u == "true" || *u == "1") {
            unread = true;
        } else if (*u != "false" && *u != "0") {
            throw Error(ErrorKind::kUnprocessable, "validation.failed", "unread is true or false",
                        {{"unread", "invalid", "true or false"}});
        }
    }
    auto items = co_await ctx->notifier->List(p.user_id, unread, http::DecodeTimeIdCursor<Uuid>(page.cursor),
                                              page.limit + 1, req.shard);
    bool more = items.size() > page.limit;
    if (more) items.resize(page.limit);
    json::array arr;
    for (const auto& n : items) arr.push_back(ToJson(n));
    json::object out;
    out["items"] = std::move(arr);
    if (more) {
        std::vector<std::string> keys{items.back().id.ToString()};
        out["next_cursor"] = http::KeysetCursor(items.back().created_at, std::move(keys)).Encode();
    } else {
        out["next_cursor"] = nullptr;
    }
    co_return http::JsonResponse(out);
}

asio::awaitable<Response> MarkRead(Ctx ctx, Request& req) {
    const auto& p = auth::RequirePrincipal(req, kNotificationsRead);
    auto id = Uuid::Parse(req.PathParam("id"));
    if (!id) throw Error(ErrorKind::kNotFound, "notification.not_found", "no such notification");
    bool found = co_await ctx->notifier->MarkRead(p.user_id, *id, req.shard);
    if (!found) throw Error(ErrorKind::kNotFound, "notification.not_found", "no such notification");
    co_return Response::NoContent();
}

asio::awaitable<Response> MarkAllRead(Ctx ctx, Request& req) {
    const auto& p = auth::RequirePrincipal(req, kNotificationsRead);
    auto n = co_await ctx->notifier->MarkAllRead(p.user_id, req.shard);
    json::object out;
    out["marked"] = n;
    co_return http::JsonResponse(out);
}

json::object PreferencesJson(const std::vector<Preference>& prefs) {
    json::array arr;
    for (const auto& pref : prefs) {
        json::object o;
        o["kind"] = pref.kind;
        o["channel"] = pref.channel;
        o["enabled"] = pref.enabled;
        arr.push_back(std::move(o));
    }
    json::object out;
    out["preferences"] = std::move(arr);
    out["channels"] = json::array{"IN_APP", "EMAIL", "LIVE"};
    out["default"] = true;
    return out;
}

asio::awaitable<Response> GetPreferences(Ctx ctx, Request& req) {
    const auto& p = auth::RequirePrincipal(req, kNotificationsRead);
    auto prefs = co_await ctx->notifier->Preferences(p.user_id, req.shard);
    co_return http::JsonResponse(PreferencesJson(prefs));
}

std::vector<Preference> ReadPreferences(const json::object& body) {
    static const std::regex kKind("^(\\*|[A-Z][A-Z0-9_]{0,63})$");
    std::vector<Preference> out;
    auto fail = [](const std::string& detail) {
        throw Error(ErrorKind::kUnprocessable, "validation.failed", detail,
                    {{"preferences", "invalid", detail}});
    };
    if (body.size() != 1 || !body.contains("preferences") || !body.at("preferences").is_array()) {
        fail("the body is {\"preferences\": [{\"kind\", \"channel\", \"enabled\"}, ...]}");
    }
    const auto& arr = body.at("preferences").as_array();
    if (arr.size() > kMaxPreferences) fail(fmt::format("at most {} preferences", kMaxPreferences));
    for (const auto& v : arr) {
        if (!v.is_object()) fail("each preference is an object");
        const auto& o = v.as_object();
        if (o.size() != 3 || !o.contains("kind") || !o.contains("channel") || !o.contains("enabled") ||
            !o.at("kind").is_string() || !o.at("channel").is_string() || !o.at("enabled").is_bool()) {
            fail("each preference has exactly kind, channel and enabled");
        }
        Preference pref;
        pref.kind = std::string(o.at("kind").as_string());
        pref.channel = std::string(o.at("channel").as_string());
        pref.enabled = o.at("enabled").as_bool();
        if (!std::regex_match(pref.kind, kKind)) fail("kind is \"*\" or an upper-case name");
        if (pref.channel != kChannelInApp && pref.channel != kChannelEmail && pref.channel != kChannelLive) {
            fail("channel is IN_APP, EMAIL or LIVE");
        }
        out.push_back(std::move(pref));
    }
    return out;
}

asio::awaitable<Response> PutPreferences(Ctx ctx, Request& req) {
    const auto& p = auth::RequirePrincipal(req, kNotificationsRead);
    auto prefs = ReadPreferences(http::ParseJsonObject(req));
    co_await ctx->notifier->SetPreferences(p.user_id, prefs, req.shard);
    auto stored = co_await ctx->notifier->Preferences(p.user_id, req.shard);
    co_return http::JsonResponse(PreferencesJson(stored));
}

// --- Live stream ---

bool IsStreamId(std::string_view id) {
    static const std::regex kId("^[0-9]{1,20}-[0-9]{1,20}$");
    return std::regex_match(id.begin(), id.end(), kId);
}

// Runs a Redis call out of reach of the SSE producer's cancellation (the client leaving):
// a command abandoned mid-flight would leave its reply to the next caller on the shard's
// shared connection.
template <class T>
asio::awaitable<T> Shielded(asio::awaitable<T> op) {
    auto executor = co_await asio::this_coro::executor;
    co_return co_await asio::co_spawn(
        executor, std::move(op),
        asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
}

// Live kinds of the preferences: (kind, LIVE), else ("*", LIVE), else on.
bool LiveOn(const std::vector<Preference>& prefs, std::string_view kind) {
    std::optional<bool> exact, any;
    for (const auto& p : prefs) {
        if (p.channel != kChannelLive) continue;
        if (p.kind == kind) exact = p.enabled;
        if (p.kind == "*") any = p.enabled;
    }
    return exact.value_or(any.value_or(true));
}

// What a connection receives besides notifications: its preferences for PRICE and
// PORTFOLIO_VALUE, and the symbols it gets prices for.
asio::awaitable<void> LoadInterest(Ctx ctx,
                                   UserId user,
                                   std::size_t shard,
                                   std::shared_ptr<LiveHub> hub,
                                   std::shared_ptr<LiveHub::Waiter> waiter) {
    auto prefs = co_await ctx->notifier->Preferences(user, shard);
    bool prices = LiveOn(prefs, kLivePriceKind);
    bool values = LiveOn(prefs, kLiveValueKind);
    std::set<std::string> symbols;
    if (prices && ctx->portfolios) symbols = co_await ctx->portfolios->InterestOf(user, shard);
    waiter->prices = prices;
    waiter->values = values;
    if (!prices) waiter->pending_prices.clear();
    if (!values) waiter->pending_values.clear();
    hub->SetSymbols(waiter, std::move(symbols));
}

// Open streams per user on this instance, across shards.
runtime::KeyedSlots& Slots() {
    static runtime::KeyedSlots slots;  // process-wide: every App of the process shares the user's cap
    return slots;
}

// One connection of GET /api/v1/stream: the user's notifications (their Redis stream, from
// Last-Event-ID on), price and portfolio-value updates at a bounded rate, and the principal's
// liveness. Run loops over the steps below until the client leaves, the server stops or the
// session ends; the hub's waiter wakes it early.
class LiveStream {
public:
    using Clock = std::chrono::steady_clock;

    LiveStream(
        http::SseStream& stream, Ctx ctx, auth::Principal principal, std::string last, std::size_t shard)
        : stream_(stream),
          ctx_(std::move(ctx)),
          principal_(std::move(principal)),
          shard_(shard),
          redis_(ctx_->app->Redis(shard)),
          hub_(ctx_->hubs.at(shard)),
          key_(ctx_->notifier->LiveKey(principal_.user_id)),
          waiter_(hub_->Watch(principal_.user_id.ToString())),
          last_(std::move(last)),
          started_(!last_.empty()),
          next_liveness_(Clock::now() + ctx_->liveness_check) {}
    ~LiveStream() { hub_->Unwatch(principal_.user_id.ToString(), waiter_); }
    LiveStream(const LiveStream&) = delete;
    LiveStream& operator=(const LiveStream&) = delete;

    asio::awaitable<void> Run() {
        while (stream_.IsOpen()) {
            const bool live = co_await StillLive();
            if (!live) co_return;
            bool failed = false;
            if (waiter_->pending || read_stream_ || Clock::now() >= next_poll_) {
                const Read read = co_await ReadNotifications();
                if (read == Read::kClientGone) co_return;
                failed = read == Read::kFailed;
            }
            co_await RefreshInterest();
            co_await RefreshPresence();
            // Prices and values: the newest per symbol and per portfolio, at most one of each per
            // live_min_interval; the rest waits for its turn (only the newest survives).
            waiter_->live_pending = false;
            const auto now = Clock::now();
            std::optional<Clock::time_point> next_due;
            if (!Flush(waiter_->pending_prices, "price", "p:", now, next_due)) co_return;
            if (!Flush(waiter_->pending_values, "portfolio_value", "v:", now, next_due)) co_return;
            if (!failed && (read_stream_ || waiter_->pending || waiter_->live_pending)) continue;
            const bool more = co_await Sleep(now, failed, next_due);
            if (!more) co_return;
        }
    }

private:
    enum class Read { kDone, kFailed, kClientGone };
    static constexpr std::int64_t kBatch = 200;

    // Every presence.RefreshEvery(): the user is still watching (the first mark was the handler's).
    asio::awaitable<void> RefreshPresence() {
        if (Clock::now() < next_presence_) co_return;
        next_presence_ = Clock::now() + ctx_->presence.RefreshEvery();
        std::string error;
        try {
            co_await Shielded(ctx_->presence.Mark(redis_, principal_.user_id));
        } catch (const std::exception& e) {
            error = e.what();  // Redis away: the next refresh marks again
        }
        if (!error.empty()) spdlog::debug("notify: live presence not refreshed: {}", error);
    }

    // Every liveness_check: false once the principal is no longer live (the access token expired,
    // the session was revoked or the account deactivated); the stream then got its `end` event.
    asio::awaitable<bool> StillLive() {
        if (Clock::now() < next_liveness_) co_return true;
        next_liveness_ = Clock::now() + ctx_->liveness_check;
        bool live = true;
        if (ctx_->directory) {
            try {
                live = co_await Shielded(ctx_->directory->StillLive(principal_, shard_));
            } catch (const std::exception& e) {
                // The check itself failed (database and cache down): keep the stream, retry.
                spdlog::debug("notify: liveness of a stream not checked: {}", e.what());
            }
        } else if (principal_.expires_at && *principal_.expires_at <= std::chrono::system_clock::now()) {
            live = false;
        }
        if (live) co_return true;
        // The client refreshes its token (or signs in again) and reconnects with Last-Event-ID.
        http::SseEvent end;
        end.event = "end";
        end.data = R"({"reason":"session"})";
        stream_.Send(end);
        co_return false;
    }

    // The notification stream after `last_` (at start, on a wake-up, after each poll); a full
    // batch asks for another read.
    asio::awaitable<Read> ReadNotifications() {
        waiter_->pending = false;
        read_stream_ = false;
        next_poll_ = Clock::now() + ctx_->live_poll;
        std::vector<redis::StreamEntry> entries;
        bool failed = false;
        try {
            if (!started_) {
                // Without Last-Event-ID the client gets what arrives from now on.
                std::vector<std::string> argv{"XREVRANGE", key_, "+", "-", "COUNT", "1"};
                auto reply = co_await Shielded(redis_.Command(std::move(argv)));
                const auto& arr = reply.AsArray();
                last_ = arr.empty() ? "0-0" : arr.front().AsArray().at(0).AsString();
                started_ = true;
            }
            entries = co_await Shielded(redis_.XRange(key_, "(" + last_, "+", kBatch));
        } catch (const std::exception& e) {
            spdlog::debug("notify: live stream read failed: {}", e.what());
            failed = true;
        }
        for (const auto& e : entries) {
            http::SseEvent event;
            event.id = e.id;
            event.event = e.Field("type");
            event.data = e.Field("data");
            if (!stream_.Send(event)) co_return Read::kClientGone;
            last_ = e.id;
        }
        if (static_cast<std::int64_t>(entries.size()) == kBatch) read_stream_ = true;
        co_return failed ? Read::kFailed : Read::kDone;
    }

    // Interest (symbols, live preferences): at start, every interest_refresh, and after a value
    // update of the user, but at most once a second (value updates may come in bursts).
    asio::awaitable<void> RefreshInterest() {
        if (waiter_->refresh_interest) {
            waiter_->refresh_interest = false;
            next_interest_ = std::min(next_interest_, last_interest_ + std::chrono::seconds(1));
        }
        if (Clock::now() < next_interest_) co_return;
        last_interest_ = Clock::now();
        next_interest_ = last_interest_ + ctx_->interest_refresh;
        try {
            co_await Shielded(LoadInterest(ctx_, principal_.user_id, shard_, hub_, waiter_));
        } catch (const std::exception& e) {
            spdlog::debug("notify: live interest of {} not loaded: {}", principal_.user_id.ToString(),
                          e.what());
            next_interest_ = Clock::now() + std::chrono::seconds(1);
        }
    }

    // Sends the pending updates whose key (`prefix` + symbol or portfolio) is due; the earliest
    // turn of the others goes to `next_due`. False when the client is gone.
    bool Flush(std::map<std::string, std::string>& pending,
               std::string_view type,
               std::string_view prefix,
               Clock::time_point now,
               std::optional<Clock::time_point>& next_due) {
        for (auto it = pending.begin(); it != pending.end();) {
            const std::string k = std::string(prefix) + it->first;
            auto sent = sent_at_.find(k);
            if (sent != sent_at_.end() && now - sent->second < ctx_->live_min_interval) {
                const auto due = sent->second + ctx_->live_min_interval;
                if (!next_due || due < *next_due) next_due = due;
                ++it;
                continue;
            }
            http::SseEvent event;
            event.event = std::string(type);
            event.data = it->second;
            if (!stream_.Send(event)) return false;
            sent_at_[k] = now;
            it = pending.erase(it);
        }
        return true;
    }

    // Until the next poll, interest refresh, liveness check or update's turn, or a wake-up; false
    // when the client left or the server stops.
    asio::awaitable<bool> Sleep(Clock::time_point now,
                                bool failed,
                                std::optional<Clock::time_point> next_due) {
        if (failed) next_poll_ = std::min(next_poll_, now + std::chrono::milliseconds(1000));
        auto until = std::min({next_poll_, next_interest_, next_liveness_});
        if (next_due && *next_due < until) {
            until = *next_due;
            waiter_->waiting_for_due = true;
        }
        const auto wait =
            std::chrono::duration_cast<std::chrono::milliseconds>(until - now) + std::chrono::milliseconds(1);
        waiter_->timer.expires_after(wait);
        boost::system::error_code ec;
        co_await waiter_->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        waiter_->waiting_for_due = false;
        // A wake-up sets `pending` or `live_pending` before cancelling the timer; any other
        // cancellation is the client leaving or the server stopping.
        if (ec == asio::error::operation_aborted && !waiter_->pending && !waiter_->live_pending)
            co_return false;
        auto state = co_await asio::this_coro::cancellation_state;
        co_return state.cancelled() == asio::cancellation_type::none;
    }

    http::SseStream& stream_;
    const Ctx ctx_;
    const auth::Principal principal_;
    const std::size_t shard_;
    redis::Client& redis_;
    const std::shared_ptr<LiveHub> hub_;
    const std::string key_;
    const std::shared_ptr<LiveHub::Waiter> waiter_;
    std::string last_;  // the id of the last notification sent
    bool started_;
    bool read_stream_ = true;  // the notification stream: at start, on a wake-up, after each poll
    // The poll re-reads the stream even when price updates keep the connection busy, so a lost
    // wake-up never costs more than live_poll.
    Clock::time_point next_poll_ = Clock::now();
    Clock::time_point next_interest_ = Clock::now();
    Clock::time_point last_interest_ = Clock::now() - std::chrono::seconds(1);
    // When each symbol's ("p:") or portfolio's ("v:") last update went out: the rate bound.
    std::map<std::string, Clock::time_point> sent_at_;
    Clock::time_point next_liveness_;
    Clock::time_point next_presence_ = Clock::now() + ctx_->presence.RefreshEvery();
};

asio::awaitable<void> RunStream(
    http::SseStream& stream, Ctx ctx, auth::Principal principal, std::string last, std::size_t shard) {
    LiveStream live(stream, std::move(ctx), std::move(principal), std::move(last), shard);
    co_await live.Run();
}

asio::awaitable<Response> Stream(Ctx ctx, Request& req) {
    const auto& p = auth::RequirePrincipal(req, kNotificationsRead);
    std::string last(req.LastEventId());
    if (last.empty()) {
        if (auto q = req.Query().Get("last_event_id")) last = std::string(*q);
    }
    if (!last.empty() && !IsStreamId(last)) {
        throw Error(ErrorKind::kBadRequest, "stream.bad_last_event_id",
                    "Last-Event-ID is not an id this stream sent");
    }
    std::shared_ptr<const void> slot = Slots().Take(p.user_id.ToString(), ctx->max_streams_per_user);
    if (!slot) {
        throw Error(
            ErrorKind::kTooManyRequests, "stream.too_many",
            fmt::format("at most {} live streams per user; close one first", ctx->max_streams_per_user))
            .WithRetryAfter(kStreamSlotRetry);
    }
    auth::Principal principal = p;
    std::size_t shard = req.shard;
    // Watching from before the first byte: a value written once the client sees the stream open
    // is published (portfolio/live_presence.hpp). Without Redis the stream gets no values anyway.
    std::string unmarked;
    try {
        co_await ctx->presence.Mark(ctx->app->Redis(shard), principal.user_id);
    } catch (const std::exception& e) {
        unmarked = e.what();
    }
    if (!unmarked.empty()) spdlog::debug("notify: live stream not marked as watching: {}", unmarked);
    co_return Response::Sse([ctx, principal, last, shard, slot](http::SseStream& stream) {
        return RunStream(stream, ctx, principal, last, shard);
    });
}

// --- The route tables ---

namespace js = http::schema;

http::Schema ChannelSchema() {
    return js::Enum({"IN_APP", "EMAIL", "LIVE"});
}

// One element of ReadPreferences' array and of PreferencesJson's.
http::Schema PreferenceSchema() {
    return js::Object({{"kind", js::Pattern("^(\\*|[A-Z][A-Z0-9_]{0,63})$", "\"*\" or an upper-case kind")},
                       {"channel", ChannelSchema()},
                       {"enabled", js::Boolean()}});
}

// The schemas of ToJson(Notification) and PreferencesJson.
void AddSchemas(http::Router& routes) {
    routes.AddComponent("Notification",
                        js::Object({{"id", js::Uuid()},
                                    {"kind", js::String(1)},
                                    {"title", js::String()},
                                    {"body", js::String()},
                                    {"data", http::Schema().Describe("the kind's details (JSON)")},
                                    {"created_at", js::DateTime()},
                                    {"read_at", js::DateTime().Nullable()}}));
    routes.AddComponent(
        "NotificationPreferences",
        js::Object({{"preferences", js::Array(PreferenceSchema())},
                    {"channels", js::Array(ChannelSchema())},
                    {"default", js::Boolean().Describe("what a kind without a preference gets")}}));
}

// The page parameters (http::ParsePage), then `more`.
std::vector<http::QueryParam> PageQuery(std::vector<http::QueryParam> more = {}) {
    std::vector<http::QueryParam> page{{"limit", js::Integer(1, 200), false, "page size (default 50)"},
                                       {"cursor", js::String(), false, "next_cursor of the previous page"}};
    more.insert(more.begin(), page.begin(), page.end());
    return more;
}

// The user's own: inbox, preferences, live stream.
void AddInboxRoutes(http::Router& routes, const Ctx& ctx) {
    routes.Get("/api/v1/notifications", http::Bind<ListInbox>(ctx),
               {.name = "notify.list",
                .require_auth = true,
                .contract = {.query = PageQuery({{"unread", js::Enum({"true", "false", "1", "0"})}}),
                             .responses = {{200, js::Page(js::Ref("Notification"))}}}});
    routes.Post("/api/v1/notifications/read-all", http::Bind<MarkAllRead>(ctx),
                {.name = "notify.read_all",
                 .require_auth = true,
                 .contract = {.responses = {{200, js::Object({{"marked", js::Integer(0)}})}}}});
    routes.Post("/api/v1/notifications/{id}/read", http::Bind<MarkRead>(ctx),
                {.name = "notify.read",
                 .require_auth = true,
                 .contract = {.responses = {{204}}, .codes = {"notification.not_found"}}});
    routes.Get("/api/v1/me/notification-preferences", http::Bind<GetPreferences>(ctx),
               {.name = "notify.preferences",
                .require_auth = true,
                .contract = {.responses = {{200, js::Ref("NotificationPreferences")}}}});
    routes.Put("/api/v1/me/notification-preferences", http::Bind<PutPreferences>(ctx),
               {.name = "notify.preferences_put",
                .require_auth = true,
                .contract = {
                    .request = js::Object({{"preferences", js::Array(PreferenceSchema(), kMaxPreferences)}}),
                    .responses = {{200, js::Ref("NotificationPreferences")}}}});
    routes.Get(
        "/api/v1/stream", http::Bind<Stream>(ctx),
        {.name = "notify.stream",
         .require_auth = true,
         .headers = {"Last-Event-ID"},
         .contract = {
             .query = {{"last_event_id", js::Pattern("^[0-9]{1,20}-[0-9]{1,20}$"), false,
                        "instead of the Last-Event-ID header"}},
             .responses = {{200, js::String(), "text/event-stream", "Server-Sent Events (docs/notify.md)"}},
             .codes = {"stream.bad_last_event_id", "stream.too_many", "rate_limited.concurrent"}}});
}

// The recorded events: the audit trail (administrators) and a portfolio's trading events.
void AddEventRoutes(http::Router& routes, const Ctx& ctx) {
    auto nullable_text = js::String().Nullable();
    routes.Get("/api/v1/admin/audit", http::Bind<Audit>(ctx),
               {.name = "notify.audit",
                .require_auth = true,
                .contract = {.query = PageQuery({{"user", js::Uuid()},
                                                 {"entity", js::String(1, kMaxEntityType)},
                                                 {"entity_id", js::String(1, kMaxEntityId)},
                                                 {"action", js::String(1, kMaxAuditAction)},
                                                 {"from", js::DateTime()},
                                                 {"to", js::DateTime()}}),
                             .responses = {{200, js::Page(js::Object({{"id", js::String(1)},
                                                                      {"time", js::DateTime()},
                                                                      {"source", js::String()},
                                                                      {"actor_id", js::Uuid().Nullable()},
                                                                      {"user_id", js::Uuid().Nullable()},
                                                                      {"entity_type", js::String()},
                                                                      {"entity_id", js::String()},
                                                                      {"action", js::String()},
                                                                      {"before", http::Schema()},
                                                                      {"after", http::Schema()},
                                                                      {"request_id", nullable_text},
                                                                      {"ip", nullable_text}}))}},
                             .codes = {"auth.forbidden", "pagination.bad_cursor"}}});
    routes.Get(
        "/api/v1/portfolios/{id}/events", http::Bind<PortfolioEvents>(ctx),
        {.name = "notify.portfolio_events",
         .require_auth = true,
         .contract = {.query = PageQuery(),
                      .responses = {{200, js::Page(js::Object({{"time", js::DateTime()},
                                                               {"type", js::String()},
                                                               {"action", js::String()},
                                                               {"transaction_id", js::Uuid().Nullable()},
                                                               {"actor_id", js::Uuid().Nullable()},
                                                               {"symbol", nullable_text},
                                                               {"quantity", js::Decimal().Nullable()},
                                                               {"price", js::Decimal().Nullable()},
                                                               {"amount", js::Decimal().Nullable()},
                                                               {"fee", js::Decimal().Nullable()},
                                                               {"currency", nullable_text}}))}},
                      .codes = {"portfolio.not_found"}}});
}

}  // namespace

void AddRoutes(http::Router& routes, HandlerContext context) {
    auto ctx = std::make_shared<const HandlerContext>(std::move(context));
    AddSchemas(routes);
    AddInboxRoutes(routes, ctx);
    AddEventRoutes(routes, ctx);
}

}  // namespace nn::notify
