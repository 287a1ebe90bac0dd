#include "portfolio/price_consumer.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <set>

#include "infra/app/app.hpp"
#include "infra/db/transaction.hpp"
#include "infra/redis/consumer_group.hpp"
#include "portfolio/repository.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr db::Query kMarkProcessed{
    "INSERT INTO portfolio.processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    "portfolio.mark_processed"};

// The spec's "Market Data Integration" shape: one UPDATE ... FROM for the whole batch. A
// price older than the one already applied never overwrites it (events may arrive reordered).
constexpr db::Query kApplyPrices{
    "UPDATE portfolio.holdings h SET current_price = t.price, price_updated_at = t.time, last_updated = "
    "now() "
    "FROM unnest($1::text[], $2::numeric[], $3::timestamptz[]) AS t(symbol, price, time) "
    "WHERE h.symbol = t.symbol AND (h.price_updated_at IS NULL OR h.price_updated_at < t.time) "
    "RETURNING h.portfolio_id, h.user_id",
    "portfolio.apply_prices"};

constexpr db::Query kApplyRates{
    "UPDATE portfolio.holdings h SET fx_rate = round(CASE WHEN h.currency = t.base THEN t.rate ELSE 1 / "
    "t.rate END, "
    "12), last_updated = now() FROM portfolio.portfolios p, "
    "unnest($1::text[], $2::text[], $3::numeric[]) AS t(base, quote, rate) "
    "WHERE p.id = h.portfolio_id AND ((h.currency = t.base AND p.currency = t.quote) OR "
    "(h.currency = t.quote AND p.currency = t.base)) RETURNING h.portfolio_id, h.user_id",
    "portfolio.apply_rates"};

constexpr db::Query kSnapshotValues{
    "SELECT p.id, p.user_id, p.currency, "
    "coalesce(sum(h.market_value * CASE WHEN h.currency = p.currency THEN 1 ELSE h.fx_rate END), 0)::text, "
    "coalesce((SELECT c.balance FROM portfolio.cash_balances c WHERE c.portfolio_id = p.id AND c.currency = "
    "p.currency), 0)::text, "
    "bool_or(h.quantity <> 0 AND ((h.currency <> p.currency AND h.fx_rate IS NULL) OR h.current_price IS "
    "NULL)) "
    "FROM portfolio.portfolios p LEFT JOIN portfolio.holdings h ON h.portfolio_id = p.id "
    "WHERE p.id = ANY ($1::uuid[]) AND p.is_active GROUP BY p.id",
    "portfolio.snapshot_values"};

// At most one row per portfolio per interval, also across instances.
constexpr db::Query kInsertSnapshots{
    "INSERT INTO analytics_ts.portfolio_snapshots (time, portfolio_id, user_id, currency, total_value, "
    "cash_value, "
    "holdings_value) SELECT now(), t.pid, t.uid, t.cur, t.hv + t.cv, t.cv, t.hv "
    "FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::numeric[], $5::numeric[]) AS t(pid, uid, cur, hv, "
    "cv) "
    "WHERE NOT EXISTS (SELECT 1 FROM analytics_ts.portfolio_snapshots s WHERE s.portfolio_id = t.pid "
    "AND s.time > now() - make_interval(secs => $6)) ON CONFLICT DO NOTHING",
    "portfolio.insert_snapshots"};

db::TransactionOptions System() {
    return db::TransactionOptions().ActingAs(Actor::System());
}

std::string DefaultConsumerName() {
    char host[128] = {};
    gethostname(host, sizeof host - 1);
    return std::string(host) + ":" + std::to_string(getpid());
}

}  // namespace

std::optional<PriceEvent> ParsePriceEvent(const redis::FieldValues& fields) {
    PriceEvent event;
    std::string kind, prices, rates;
    for (const auto& [k, v] : fields) {
        if (k == "batch_id") event.batch_id = v;
        if (k == "kind") kind = v;
        if (k == "prices") prices = v;
        if (k == "rates") rates = v;
    }
    if (event.batch_id.empty() || event.batch_id.size() > 128) return std::nullopt;
    try {
        if (!prices.empty()) {
            const json::value parsed = json::parse(prices);
            for (const auto& item : parsed.as_array()) {
                const auto& o = item.as_object();
                auto price = Decimal::Parse(o.at("price").as_string());
                auto time = ParseRfc3339(o.at("time").as_string());
                std::string symbol(o.at("symbol").as_string());
                if (!price || !price->IsPositive() || !time || symbol.empty() || symbol.size() > 32)
                    return std::nullopt;
                event.prices.push_back({symbol, *price, *time});
            }
        }
        if (!rates.empty()) {
            const json::value parsed = json::parse(rates);
            for (const auto& item : parsed.as_array()) {
                const auto& o = item.as_object();
                auto rate = Decimal::Parse(o.at("rate").as_string());
                auto time = ParseRfc3339(o.at("time").as_string());
                std::string base(o.at("base").as_string()), quote(o.at("quote").as_string());
                if (!rate || !rate->IsPositive() || !time || base.size() != 3 || quote.size() != 3)
                    return std::nullopt;
                event.rates.push_back({base, quote, *rate, *time});
            }
        }
    } catch (const std::exception&) {
        return std::nullopt;
    }
    // Symbols and currency codes go into array literals: refuse anything that would need quoting.
    auto plain = [](const std::string& s) {
        return s.find_first_of(",{}\"\\ \t\n") == std::string::npos && s != "NULL";
    };
    for (const auto& p : event.prices) {
        if (!plain(p.symbol)) return std::nullopt;
    }
    for (const auto& r : event.rates) {
        if (!plain(r.base) || !plain(r.quote)) return std::nullopt;
    }
    return event;
}

PriceConsumer::PriceConsumer(App& app, PriceConsumerOptions options)
    : app_(app), options_(std::move(options)) {
    if (options_.consumer.empty()) options_.consumer = DefaultConsumerName();
}

PriceConsumer::~PriceConsumer() {
    Stop();
}

asio::awaitable<ApplyResult> PriceConsumer::Apply(const PriceEvent& event) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, 0);
    std::vector<std::optional<std::string>> symbols, prices, times, bases, quotes, rates;
    for (const auto& p : event.prices) {
        symbols.push_back(p.symbol);
        prices.push_back(p.price.ToString());
        times.push_back(FormatRfc3339(p.time));
    }
    for (const auto& r : event.rates) {
        bases.push_back(r.base);
        quotes.push_back(r.quote);
        rates.push_back(r.rate.ToString());
    }
    const std::string consumer_key = "prices:" + options_.group;
    ApplyResult result = co_await db::RunInTransaction(
        pool, System(), [&](db::Transaction& tx) -> asio::awaitable<ApplyResult> {
            ApplyResult r;
            auto mark = co_await tx.Execute(kMarkProcessed, consumer_key, event.batch_id);
            if (mark.RowsAffected() == 0) {
                r.duplicate = true;
                co_return r;
            }
            std::set<Uuid> portfolios;
            std::set<UserId> users;
            auto collect = [&](const db::Result& res) {
                for (auto row : res) {
                    portfolios.insert(row.Get<Uuid>(0));
                    users.insert(row.Get<UserId>(1));
                }
                r.holdings_updated += static_cast<std::size_t>(res.Size());
            };
            if (!symbols.empty()) {
                const db::TextArray a(symbols), b(prices), c(times);
                collect(co_await tx.Execute(kApplyPrices, a, b, c));
            }
            if (!bases.empty()) {
                const db::TextArray a(bases), b(quotes), c(rates);
                collect(co_await tx.Execute(kApplyRates, a, b, c));
            }
            r.portfolios.assign(portfolios.begin(), portfolios.end());
            r.users.assign(users.begin(), users.end());
            co_return r;
        });
    if (result.duplicate) co_return result;
    for (const auto& user : result.users) {
        try {
            co_await app_.Redis(0).Del(options_.cache_prefix + "summary:" + user.ToString());
        } catch (const std::exception& e) {
            spdlog::warn("portfolio: summary cache of {} not invalidated: {}", user.ToString(), e.what());
        }
    }
    try {
        result.snapshots_written = co_await Snapshots(result.portfolios);
    } catch (const std::exception& e) {
        // Snapshots are throttled samples: a missed one is taken at the next price batch.
        spdlog::warn("portfolio: snapshots not written: {}", e.what());
    }
    if (options_.on_applied && !result.portfolios.empty()) {
        try {
            co_await options_.on_applied(result.portfolios);
        } catch (const std::exception& e) {
            spdlog::warn("portfolio: after-price hook failed: {}", e.what());
        }
    }
    co_return result;
}

asio::awaitable<std::size_t> PriceConsumer::Snapshots(const std::vector<Uuid>& portfolios) {
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::optional<std::string>> due;
    for (const auto& id : portfolios) {
        auto it = last_snapshot_.find(id);
        if (it != last_snapshot_.end() && now - it->second < options_.snapshot_interval) continue;
        due.push_back(id.ToString());
    }
    if (due.empty()) co_return 0;
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, 0);
    const db::TextArray ids(due);
    auto values = co_await db::RunInTransaction(pool, System().ReadOnly(),
                                                [&](db::Transaction& tx) -> asio::awaitable<db::Result> {
                                                    co_return co_await tx.Execute(kSnapshotValues, ids);
                                                });
    std::vector<std::optional<std::string>> pids, uids, currencies, holdings, cash;
    for (auto row : values) {
        if (row.Get<std::optional<bool>>(5).value_or(false)) continue;  // a value is unknown: no snapshot
        pids.push_back(row.Get<Uuid>(0).ToString());
        uids.push_back(row.Get<Uuid>(1).ToString());
        currencies.push_back(row.Get<std::string>(2));
        holdings.push_back(row.Get<std::string>(3));
        cash.push_back(row.Get<std::string>(4));
    }
    for (const auto& pid : pids) last_snapshot_[*Uuid::Parse(*pid)] = now;
    if (pids.empty()) co_return 0;
    auto& ts = app_.Db(ServiceRole::kPortfolio, Database::kTimescale, 0);
    const db::TextArray a(pids), b(uids), c(currencies), d(holdings), e(cash);
    const double interval = static_cast<double>(options_.snapshot_interval.count());
    auto res =
        co_await db::RunInTransaction(ts, System(), [&](db::Transaction& tx) -> asio::awaitable<db::Result> {
            co_return co_await tx.Execute(kInsertSnapshots, a, b, c, d, e, interval);
        });
    co_return static_cast<std::size_t>(res.RowsAffected());
}

asio::awaitable<void> PriceConsumer::Handle(const std::vector<redis::StreamEntry>& entries) {
    auto& redis = app_.Redis(0);
    for (const auto& entry : entries) {
        if (!entry.fields.empty()) {
            if (auto event = ParsePriceEvent(entry.fields)) {
                co_await Apply(*event);  // throws: the entry stays pending and is retried
            } else {
                spdlog::warn("portfolio: malformed price event {} acknowledged and skipped", entry.id);
            }
        }
        std::vector<std::string> ids{entry.id};
        co_await redis.XAck(options_.stream, options_.group, ids);
    }
}

asio::awaitable<std::size_t> PriceConsumer::RunOnce() {
    const redis::StreamSpec spec = redis::SpecOf(options_);
    redis::StreamHandler handle = [this](const std::vector<redis::StreamEntry>& entries) {
        return Handle(entries);
    };
    co_return co_await redis::ConsumeRound(app_.Redis(0), spec, group_ready_, handle);
}

void PriceConsumer::Start() {
    if (stop_) return;
    stop_ = std::make_shared<std::atomic<bool>>(false);
    redis::StartRoundLoop(app_.Shard(0), stop_, "portfolio: price consumer",
                          [self = shared_from_this()] { return self->RunOnce(); });
}

void PriceConsumer::Stop() {
    if (stop_) *stop_ = true;
}

}  // namespace nn::portfolio
