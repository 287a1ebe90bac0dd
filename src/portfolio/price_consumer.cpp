#include "portfolio/price_consumer.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <map>
#include <set>

#include "infra/app/app.hpp"
#include "infra/db/transaction.hpp"
#include "infra/redis/consumer_group.hpp"
#include "portfolio/repository.hpp"
#include "portfolio/summary_cache.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

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

PriceConsumer::PriceConsumer(App& app, std::shared_ptr<Repository> repo, PriceConsumerOptions options)
    : app_(app), repo_(std::move(repo)), options_(std::move(options)) {
    if (options_.consumer.empty()) options_.consumer = DefaultConsumerName();
}

PriceConsumer::~PriceConsumer() {
    Stop();
}

asio::awaitable<ApplyResult> PriceConsumer::Apply(const PriceEvent& event) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, 0);
    const std::string consumer_key = "prices:" + options_.group;
    ApplyResult result = co_await db::RunInTransaction(
        pool, System(), [&](db::Transaction& tx) -> asio::awaitable<ApplyResult> {
            ApplyResult r;
            const bool fresh = co_await repo_->MarkProcessed(tx, consumer_key, event.batch_id);
            if (!fresh) {
                r.duplicate = true;
                co_return r;
            }
            std::map<Uuid, UserId> portfolios;  // each once, with its owner
            auto collect = [&](const std::vector<MovedHolding>& moved) {
                for (const MovedHolding& m : moved) portfolios.emplace(m.portfolio, m.user);
                r.holdings_updated += moved.size();
            };
            if (!event.prices.empty()) collect(co_await repo_->ApplyPrices(tx, event.prices));
            if (!event.rates.empty()) collect(co_await repo_->ApplyRates(tx, event.rates));
            for (const auto& [portfolio, owner] : portfolios)
                r.changed.push_back(ChangedPortfolio{PortfolioId(portfolio), owner});
            co_return r;
        });
    if (result.duplicate) co_return result;
    std::set<UserId> owners;  // whose summaries the batch made stale
    for (const ChangedPortfolio& c : result.changed) owners.insert(c.owner);
    try {
        const std::vector<UserId> users(owners.begin(), owners.end());
        co_await SummaryCache(options_.cache_prefix, {}).Invalidate(app_.Redis(0), users);
    } catch (const std::exception& e) {
        spdlog::warn("portfolio: summary cache of {} users not invalidated: {}", owners.size(), e.what());
    }
    try {
        result.snapshots_written = co_await Snapshots(result.changed);
    } catch (const std::exception& e) {
        // Snapshots are throttled samples: a missed one is taken at the next price batch.
        spdlog::warn("portfolio: snapshots not written: {}", e.what());
    }
    if (options_.on_applied && !result.changed.empty()) {
        try {
            co_await options_.on_applied(result.changed);
        } catch (const std::exception& e) {
            spdlog::warn("portfolio: after-price hook failed: {}", e.what());
        }
    }
    co_return result;
}

asio::awaitable<std::size_t> PriceConsumer::Snapshots(const std::vector<ChangedPortfolio>& changed) {
    const auto now = std::chrono::steady_clock::now();
    std::vector<Uuid> due;
    for (const ChangedPortfolio& c : changed) {
        auto it = last_snapshot_.find(c.id.Value());
        if (it != last_snapshot_.end() && now - it->second < options_.snapshot_interval) continue;
        due.push_back(c.id.Value());
    }
    if (due.empty()) co_return 0;
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, 0);
    auto values = co_await db::RunInTransaction(
        pool, System().ReadOnly(), [&](db::Transaction& tx) -> asio::awaitable<std::vector<SnapshotValue>> {
            co_return co_await repo_->SnapshotValues(tx, due);
        });
    std::vector<SnapshotValue> known;
    for (SnapshotValue& v : values) {
        if (v.unknown) continue;  // a value is unknown: no snapshot
        last_snapshot_[v.portfolio] = now;
        known.push_back(std::move(v));
    }
    if (known.empty()) co_return 0;
    auto& ts = app_.Db(ServiceRole::kPortfolio, Database::kTimescale, 0);
    co_return co_await db::RunInTransaction(
        ts, System(), [&](db::Transaction& tx) -> asio::awaitable<std::size_t> {
            co_return co_await repo_->InsertValueSamples(tx, known, options_.snapshot_interval);
        });
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
