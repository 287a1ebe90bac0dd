#include "market/service.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "infra/redis/client.hpp"

namespace nn::market {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Sets each key to its value unless the cached one is at least as new ("<micros>|..."), so
// batches finishing out of order never move a cached price back in time.
const redis::Script& SetIfNewer() {
    static const redis::Script script(R"lua(
for i = 1, #KEYS do
  local cur = redis.call('GET', KEYS[i])
  local new = ARGV[i]
  if not cur or tonumber(string.match(cur, '^(%d+)')) < tonumber(string.match(new, '^(%d+)')) then
    redis.call('SET', KEYS[i], new)
  end
end
return #KEYS
)lua");
    return script;
}

std::string FxKey(std::string_view base, std::string_view quote) {
    return "nn:fx:" + std::string(base) + std::string(quote);
}

void CheckBatch(std::size_t size, std::size_t max_rows, bool limited, std::string_view list) {
    if (size == 0) {
        throw Error(ErrorKind::kUnprocessable, "validation.failed", "the batch is empty",
                    {{std::string(list), "empty", "at least one element is required"}});
    }
    if (limited && size > max_rows) {
        throw Error(
            ErrorKind::kPayloadTooLarge, "market.batch_too_large",
            "a batch holds at most " + std::to_string(max_rows) + " elements; got " + std::to_string(size),
            {{std::string(list), "too_many", "split the batch"}});
    }
}

}  // namespace

MarketService::MarketService(Repository& repo, redis::Client* redis, MarketOptions options)
    : repo_(repo), redis_(redis), options_(std::move(options)) {}

asio::awaitable<IngestResult> MarketService::IngestPrices(SeriesKind kind, std::vector<PriceRow> rows) {
    co_return co_await Ingest(kind, std::move(rows), true);
}

asio::awaitable<IngestResult> MarketService::IngestPricesUnlimited(SeriesKind kind,
                                                                   std::vector<PriceRow> rows) {
    co_return co_await Ingest(kind, std::move(rows), false);
}

asio::awaitable<IngestResult> MarketService::Ingest(SeriesKind kind,
                                                    std::vector<PriceRow> rows,
                                                    bool limited) {
    CheckBatch(rows.size(), options_.limits.max_rows, limited, "prices");
    std::vector<std::uint32_t> order;
    auto errors = ValidatePrices(rows, Now(), options_.limits, "prices", &order);
    if (!errors.empty()) {
        throw Error(ErrorKind::kUnprocessable, "validation.failed",
                    "the batch has invalid elements; nothing was written", std::move(errors));
    }
    IngestResult result;
    result.batch_id = Uuid::GenerateV7().ToString();
    result.received = static_cast<std::int64_t>(rows.size());
    auto stored = co_await repo_.StorePrices(kind, rows, order, result.batch_id);
    result.inserted = stored.inserted;
    result.updated_latest = stored.updated_latest;
    if (stored.outbox_id && stored.payload) {
        result.event_published = co_await Publish(*stored.outbox_id, *stored.payload);
    }
    co_return result;
}

asio::awaitable<IngestResult> MarketService::IngestFx(std::vector<FxRow> rows) {
    CheckBatch(rows.size(), options_.limits.max_rows, true, "rates");
    auto errors = ValidateFx(rows, Now(), options_.limits);
    if (!errors.empty()) {
        throw Error(ErrorKind::kUnprocessable, "validation.failed",
                    "the batch has invalid elements; nothing was written", std::move(errors));
    }
    IngestResult result;
    result.batch_id = Uuid::GenerateV7().ToString();
    result.received = static_cast<std::int64_t>(rows.size());
    auto stored = co_await repo_.StoreFx(rows, result.batch_id);
    result.inserted = stored.inserted;
    result.updated_latest = stored.updated_latest;
    if (stored.outbox_id && stored.payload) {
        result.event_published = co_await Publish(*stored.outbox_id, *stored.payload);
    }
    co_return result;
}

asio::awaitable<bool> MarketService::Publish(std::int64_t outbox_id, const std::string& payload) {
    if (redis_ == nullptr) co_return false;
    const json::object event = json::parse(payload).as_object();
    const std::string kind(event.at("kind").as_string());
    const bool fx = kind == "fx";
    const json::array& items = event.at(fx ? "rates" : "prices").as_array();
    std::vector<std::string> keys;
    std::vector<std::string> values;
    keys.reserve(items.size());
    values.reserve(items.size());
    for (const auto& v : items) {
        const auto& o = v.as_object();
        const Timestamp t = TimestampFromString(o.at("time").as_string());
        if (fx) {
            keys.push_back(FxKey(o.at("base").as_string(), o.at("quote").as_string()));
            values.push_back(EncodeCachedPrice(t, Decimal::FromString(o.at("rate").as_string())));
        } else {
            keys.push_back(PriceKey(o.at("symbol").as_string()));
            values.push_back(EncodeCachedPrice(t, Decimal::FromString(o.at("price").as_string())));
        }
    }
    try {
        // Per slot: in a Redis Cluster the batch's keys live on many nodes (one call with a
        // single Redis). The script treats each key alone, so splitting it changes nothing.
        co_await redis_->EvalPerSlot(SetIfNewer(), keys, values);
        redis::FieldValues fields{{"batch_id", std::string(event.at("batch_id").as_string())},
                                  {"kind", kind},
                                  {"count", std::to_string(items.size())},
                                  {fx ? "rates" : "prices", json::serialize(items)}};
        redis::XAddOptions options;
        options.max_len = options_.stream_max_len;
        co_await redis_->XAdd(options_.stream, fields, options);
    } catch (const Error& e) {
        spdlog::warn("market: event {} left in the outbox for the relay: {}", outbox_id, e.what());
        co_return false;
    }
    co_await repo_.MarkPublished(outbox_id);
    co_return true;
}

asio::awaitable<int> MarketService::RelayOutbox(int limit) {
    auto events = co_await repo_.PendingEvents(options_.relay_min_age, limit);
    int published = 0;
    for (const auto& e : events) {
        if (!co_await Publish(e.id, e.payload)) {
            co_await repo_.MarkFailed(e.id, "redis unavailable");
            break;  // Redis is still down: try again next round, in order
        }
        ++published;
    }
    co_return published;
}

asio::awaitable<std::optional<LatestPrice>> MarketService::Latest(const std::string& symbol) {
    std::vector<std::string> one{symbol};
    auto many = co_await LatestMany(one);
    if (many.empty()) co_return std::nullopt;
    co_return many.front();
}

asio::awaitable<std::vector<LatestPrice>> MarketService::LatestMany(const std::vector<std::string>& symbols) {
    std::vector<LatestPrice> found;
    std::vector<std::string> missing;
    bool cached = false;
    if (redis_ != nullptr) {
        try {
            std::vector<std::string> keys;
            for (const auto& s : symbols) keys.push_back(PriceKey(s));
            auto values = co_await redis_->MGet(keys);
            for (std::size_t i = 0; i < symbols.size(); ++i) {
                std::optional<LatestPrice> p;
                if (i < values.size() && values[i]) p = DecodeCachedPrice(symbols[i], *values[i]);
                if (p) {
                    found.push_back(std::move(*p));
                } else {
                    missing.push_back(symbols[i]);
                }
            }
            cached = true;
        } catch (const Error& e) {
            spdlog::debug("market: latest prices from the database, Redis failed: {}", e.what());
        }
    }
    if (!cached) missing = symbols;
    if (!missing.empty()) {
        auto from_db = co_await repo_.Latest(missing);
        for (auto& p : from_db) found.push_back(std::move(p));
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.symbol < b.symbol; });
    co_return found;
}

asio::awaitable<HistoryPage> MarketService::History(
    SeriesKind kind, const std::string& symbol, Timestamp from, Timestamp to, Interval interval, int limit) {
    // One more than asked: a next page only when there is more, not when exactly `limit` exist.
    HistoryPage page;
    page.bars = co_await repo_.History(kind, symbol, from, to, interval, limit + 1);
    page.more = static_cast<int>(page.bars.size()) > limit;
    if (page.more) page.bars.pop_back();
    if (page.bars.empty()) {
        auto instrument = co_await repo_.GetInstrument(symbol);
        if (!instrument)
            throw Error(ErrorKind::kNotFound, "market.unknown_symbol", "no instrument " + symbol);
    }
    co_return page;
}

asio::awaitable<FxQuote> MarketService::Fx(const std::string& base,
                                           const std::string& quote,
                                           std::optional<Timestamp> at) {
    auto fx = co_await repo_.Fx(base, quote, at);
    if (!fx) throw Error(ErrorKind::kNotFound, "market.no_rate", "no rate for " + base + "/" + quote);
    co_return std::move(*fx);
}

asio::awaitable<std::vector<Instrument>> MarketService::SearchInstruments(const InstrumentQuery& query) {
    co_return co_await repo_.SearchInstruments(query);
}

asio::awaitable<Instrument> MarketService::GetInstrument(const std::string& symbol) {
    auto instrument = co_await repo_.GetInstrument(symbol);
    if (!instrument) throw Error(ErrorKind::kNotFound, "market.unknown_symbol", "no instrument " + symbol);
    co_return std::move(*instrument);
}

asio::awaitable<Instrument> MarketService::CreateInstrument(const Instrument& instrument) {
    co_return co_await repo_.CreateInstrument(instrument);
}

asio::awaitable<Instrument> MarketService::UpdateInstrument(const std::string& symbol,
                                                            const InstrumentPatch& patch) {
    auto updated = co_await repo_.UpdateInstrument(symbol, patch);
    if (!updated) throw Error(ErrorKind::kNotFound, "market.unknown_symbol", "no instrument " + symbol);
    co_return std::move(*updated);
}

asio::awaitable<void> MarketService::Maintain() {
    co_await repo_.Maintain(options_.retention);
    auto defaults = co_await repo_.DefaultPartitionRows();
    for (const auto& [table, rows] : defaults) {
        if (rows > 0) {
            spdlog::warn(
                "market: {} row(s) of {} are in its default partition (no partition for their time); "
                "partman_maint.ensure_partitions moves them",
                rows, table);
        }
    }
    co_await repo_.DeletePublishedBefore(std::chrono::hours(24));
}

asio::awaitable<std::int64_t> MarketService::Reconcile(Timestamp now) {
    const Timestamp to = now - std::chrono::minutes(5);
    co_return co_await repo_.Reconcile(to - options_.reconcile_window, to);
}

}  // namespace nn::market
