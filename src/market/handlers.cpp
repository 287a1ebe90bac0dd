#include "market/handlers.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <charconv>
#include <chrono>

#include "core/error.hpp"
#include "infra/http/json.hpp"
#include "infra/http/keyset_cursor.hpp"
#include "infra/http/query.hpp"
#include "infra/http/request.hpp"
#include "infra/http/response.hpp"
#include "infra/http/router.hpp"
#include "infra/runtime/cpu_pool.hpp"
#include "market/access.hpp"
#include "market/service.hpp"

namespace nn::market {
namespace asio = boost::asio;
namespace json = boost::json;
namespace js = http::schema;

namespace {

// An ingest batch (RouteOptions::max_body_bytes; the row limit is MarketOptions::limits).
constexpr std::size_t kMaxBatchBodyBytes = 16 << 20;
// Any string of a batch element (symbol, decimal, time) is far shorter; this bounds parsing.
constexpr std::size_t kMaxBatchStringBytes = 1024;
// Widths of market_data.instruments checked here before the database does
// (migrations/timescale/0001_timescale.up.sql):
constexpr std::size_t kMaxSymbol = 32;           // symbol CHECK ~ '^[A-Za-z0-9^.=_:-]{1,32}$' (IsValidSymbol)
constexpr std::size_t kMaxInstrumentName = 200;  // name CHECK length BETWEEN 1 AND 200
constexpr std::size_t kMaxClassification = 64;   // sector, industry <= 64
constexpr std::size_t kCountryCode = 2;          // country char(2)
constexpr std::size_t kCurrencyCode = 3;         // currency char(3)
constexpr std::size_t kMaxExchange = 32;         // exchange <= 32
// Limits of the API alone: exchange_timezone is checked by the database as a zone name, and the
// instrument search's q is a prefix of a symbol or name.
constexpr std::size_t kMaxTimezone = 64;
constexpr std::size_t kMaxSearchText = 64;
constexpr int kDefaultHistoryLimit = 1000;
constexpr int kMaxHistoryLimit = 10'000;
constexpr std::size_t kMaxLatestSymbols = 200;

// Reads the fields of one batch element, recording problems under "<list>[i].<field>".
class ElementReader {
public:
    ElementReader(const json::object& o,
                  std::string_view list,
                  std::size_t i,
                  std::vector<http::FieldError>& errors)
        : o_(o), list_(list), i_(i), errors_(errors) {}

    const json::string* Str(std::string_view field, bool required) {
        auto it = o_.find(field);
        if (it == o_.end() || it->value().is_null()) {
            if (required) Add(field, "required", "is required");
            return nullptr;
        }
        if (!it->value().is_string()) {
            Add(field, "not_string", "must be a string");
            return nullptr;
        }
        return &it->value().get_string();
    }
    std::optional<Decimal> Price(std::string_view field, bool required) {
        const json::string* s = Str(field, required);
        if (s == nullptr) return std::nullopt;
        auto p = ParsePrice(*s);
        if (!p.value) Add(field, p.code, p.message);
        return p.value;
    }
    std::optional<Timestamp> Time(std::string_view field) {
        const json::string* s = Str(field, true);
        if (s == nullptr) return std::nullopt;
        auto t = ParseRfc3339(*s);
        if (!t)
            Add(field, "not_timestamp", "must be an RFC 3339 time with an offset, e.g. 2024-05-01T14:30:00Z");
        return t;
    }
    std::optional<std::int64_t> Volume(std::string_view field) {
        auto it = o_.find(field);
        if (it == o_.end() || it->value().is_null()) return std::nullopt;
        const json::value& v = it->value();
        if (v.is_int64()) return v.get_int64();
        if (v.is_uint64()) {
            Add(field, "too_large", "out of range");
            return std::nullopt;
        }
        if (v.is_string()) {
            std::int64_t n = 0;
            const auto& s = v.get_string();
            auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
            if (ec == std::errc() && p == s.data() + s.size()) return n;
        }
        Add(field, "not_integer", "must be a whole number");
        return std::nullopt;
    }
    void AllowOnly(std::initializer_list<std::string_view> allowed) {
        for (const auto& kv : o_) {
            if (std::find(allowed.begin(), allowed.end(), kv.key()) == allowed.end()) {
                Add(kv.key(), "unknown_field", "is not a field of this element");
            }
        }
    }
    void Add(std::string_view field, std::string code, std::string message) {
        errors_.push_back({ElementPath(list_, i_, field), std::move(code),
                           fmt::format("{} {}", ElementPath(list_, i_, field), message)});
    }

private:
    const json::object& o_;
    std::string_view list_;
    std::size_t i_;
    std::vector<http::FieldError>& errors_;
};

const json::array& BatchArray(const json::value& body, std::string_view list) {
    if (!body.is_object())
        throw Error(ErrorKind::kBadRequest, "json.not_object", "the body must be a JSON object");
    const auto& o = body.get_object();
    auto it = o.find(list);
    if (it == o.end() || !it->value().is_array()) {
        throw Error(ErrorKind::kUnprocessable, "validation.failed",
                    fmt::format("the body needs an array '{}'", list),
                    {{std::string(list), "required", "must be an array"}});
    }
    for (const auto& kv : o) {
        if (kv.key() != list) {
            throw Error(ErrorKind::kBadRequest, "request.unknown_fields", "unknown field",
                        {{std::string(kv.key()), "unknown_field", "is not a field of this request"}});
        }
    }
    return it->value().get_array();
}

void ThrowIfAny(std::vector<http::FieldError>& errors) {
    if (errors.empty()) return;
    if (errors.size() > 100) errors.resize(100);
    throw Error(ErrorKind::kUnprocessable, "validation.failed",
                "the batch has invalid elements; nothing was written", std::move(errors));
}

std::string DecimalText(const Decimal& d) {
    return d.ToNormalizedString();
}

json::value OptDecimal(const std::optional<Decimal>& d) {
    if (!d) return nullptr;
    return json::value(DecimalText(*d));
}

json::object LatestJson(const LatestPrice& p) {
    json::object o{{"symbol", p.symbol}, {"price", DecimalText(p.price)}, {"time", FormatRfc3339(p.time)}};
    if (p.volume) o["volume"] = *p.volume;
    if (p.prev_close) o["prev_close"] = DecimalText(*p.prev_close);
    return o;
}

json::object InstrumentJson(const Instrument& i) {
    auto opt = [](const std::optional<std::string>& s) -> json::value {
        if (!s) return nullptr;
        return json::value(*s);
    };
    return {{"symbol", i.symbol},
            {"name", i.name},
            {"asset_class", i.asset_class},
            {"sector", opt(i.sector)},
            {"industry", opt(i.industry)},
            {"country", opt(i.country)},
            {"currency", i.currency},
            {"exchange", opt(i.exchange)},
            {"exchange_timezone", i.exchange_timezone},
            {"fractional", i.fractional},
            {"is_active", i.is_active},
            {"created_at", FormatRfc3339(i.created_at)},
            {"updated_at", FormatRfc3339(i.updated_at)}};
}

json::object IngestJson(const IngestResult& r) {
    return {{"batch_id", r.batch_id},
            {"received", r.received},
            {"inserted", r.inserted},
            {"updated_latest", r.updated_latest},
            {"event_published", r.event_published}};
}

// The schemas of what the functions above write and the readers below read.
void AddSchemas(http::Router& router) {
    router.AddComponent(
        "Symbol", js::Pattern("^[A-Za-z0-9^.=_:-]{1,32}$", "1-32 characters of A-Z, a-z, 0-9 and ^.=_:-")
                      .Example("AAPL"));
    router.AddComponent("Currency", js::Pattern("^[A-Z]{3}$", "an ISO 4217 currency code").Example("USD"));
    router.AddComponent("LatestPrice", js::Object({{"symbol", js::Ref("Symbol")},
                                                   {"price", js::Decimal()},
                                                   {"time", js::DateTime()},
                                                   js::Opt("volume", js::Integer(0)),
                                                   js::Opt("prev_close", js::Decimal())}));
    auto asset_class =
        js::Enum({"EQUITY", "ETF", "FUND", "BOND", "CRYPTO", "COMMODITY", "CASH", "INDEX", "OTHER"});
    router.AddComponent("AssetClass", asset_class);
    router.AddComponent("Instrument",
                        js::Object({{"symbol", js::Ref("Symbol")},
                                    {"name", js::String(1, kMaxInstrumentName)},
                                    {"asset_class", js::Ref("AssetClass")},
                                    {"sector", js::String(1, kMaxClassification).Nullable()},
                                    {"industry", js::String(1, kMaxClassification).Nullable()},
                                    {"country", js::String(kCountryCode, kCountryCode).Nullable()},
                                    {"currency", js::Ref("Currency")},
                                    {"exchange", js::String(1, kMaxExchange).Nullable()},
                                    {"exchange_timezone", js::String(1, kMaxTimezone)},
                                    {"fractional", js::Boolean()},
                                    {"is_active", js::Boolean()},
                                    {"created_at", js::DateTime()},
                                    {"updated_at", js::DateTime()}}));
    router.AddComponent(
        "IngestResult",
        js::Object({{"batch_id", js::Uuid()},
                    {"received", js::Integer(0)},
                    {"inserted", js::Integer(0)},
                    {"updated_latest", js::Integer(0)},
                    {"event_published",
                     js::Boolean().Describe("false: the event waits in the outbox for the relay")}}));
    auto price = js::Decimal().Describe("> 0; at most 18 integer and 10 fractional digits");
    auto volume = js::OneOf({js::Integer(0), js::Pattern("^[0-9]+$")});
    router.AddComponent(
        "PriceBatch",
        js::Object({{"prices", js::Array(js::Object({{"time", js::DateTime()},
                                                     {"symbol", js::Ref("Symbol")},
                                                     js::OptNull("open", price),
                                                     js::OptNull("high", price),
                                                     js::OptNull("low", price),
                                                     {"close", price},
                                                     js::OptNull("volume", volume)}))}})
            .Example(json::object{{"prices", json::array{json::object{{"time", "2024-05-01T14:30:00Z"},
                                                                      {"symbol", "AAPL"},
                                                                      {"close", "187.25"},
                                                                      {"volume", 1200}}}}}));
    router.AddComponent("FxBatch", js::Object({{"rates", js::Array(js::Object({{"time", js::DateTime()},
                                                                               {"base", js::Ref("Currency")},
                                                                               {"quote", js::Ref("Currency")},
                                                                               {"rate", js::Decimal()}}))}}));
}

http::Schema InstrumentInput(bool create) {
    auto req = [create](std::string name, http::Schema s) {
        return create ? http::Field(std::move(name), std::move(s)) : js::Opt(std::move(name), std::move(s));
    };
    std::vector<http::Field> fields{req("name", js::String(1, kMaxInstrumentName)),
                                    req("asset_class", js::Ref("AssetClass")),
                                    js::OptNull("sector", js::String(1, kMaxClassification)),
                                    js::OptNull("industry", js::String(1, kMaxClassification)),
                                    js::OptNull("country", js::String(kCountryCode, kCountryCode)),
                                    req("currency", js::Ref("Currency")),
                                    js::OptNull("exchange", js::String(1, kMaxExchange)),
                                    js::Opt("exchange_timezone", js::String(1, kMaxTimezone)),
                                    js::OptNull("fractional", js::Boolean()),
                                    js::OptNull("is_active", js::Boolean())};
    if (create) fields.insert(fields.begin(), {"symbol", js::Ref("Symbol")});
    return js::Object(fields);
}

std::string AssetClass(http::FieldReader& in) {
    return in.Enum("asset_class",
                   {"EQUITY", "ETF", "FUND", "BOND", "CRYPTO", "COMMODITY", "CASH", "INDEX", "OTHER"});
}

std::string UpperSymbol(const http::Request& req) {
    const std::string& s = req.PathParam("symbol");
    if (!IsValidSymbol(s)) {
        throw Error(ErrorKind::kUnprocessable, "validation.failed", "invalid symbol",
                    {{"symbol", "invalid_symbol", "a symbol is 1-32 characters of A-Z a-z 0-9 ^ . = _ : -"}});
    }
    return s;
}

Timestamp QueryTime(const http::Request& req, std::string_view name, Timestamp fallback) {
    auto v = req.Query().Get(name);
    if (!v) return fallback;
    auto t = ParseRfc3339(*v);
    if (!t) {
        throw Error(
            ErrorKind::kUnprocessable, "validation.failed", fmt::format("'{}' is not an RFC 3339 time", name),
            {{std::string(name), "not_timestamp", "RFC 3339 with an offset, e.g. 2024-05-01T00:00:00Z"}});
    }
    return *t;
}

asio::awaitable<http::Response> IngestPrices(MarketService& svc,
                                             runtime::CpuPool& cpu,
                                             http::Request& req,
                                             SeriesKind kind) {
    RequireScope(req, kScopeWrite);
    // a clean batch is read straight from the text; anything else goes through the strict
    // parser, which names the problem. Both run on the CPU pool: the batch may be 16 MiB.
    std::vector<PriceRow> rows = co_await cpu.Run([&req] {
        http::JsonLimits limits;
        limits.max_string_bytes = kMaxBatchStringBytes;
        std::optional<std::vector<PriceRow>> clean;
        if (req.Header("Content-Type") == "application/json") {
            clean = ParseCleanPriceBatch(req.Body(), "prices", limits.max_string_bytes);
        }
        if (clean) return std::move(*clean);
        return ParsePriceBatch(http::ParseJsonBody(req, limits));
    });
    auto result = co_await svc.IngestPrices(kind, std::move(rows));
    co_return http::JsonResponse(IngestJson(result));
}

// The start of the bucket `t` falls in, so the first bar of a range is a whole bar: the rollup
// queries filter on the finer rows (1m buckets, trading dates), and a `from` inside a 5-minute
// bucket or a week would otherwise give a first bar that is labelled as the whole bucket but
// misses its beginning. Buckets are aligned as the SQL does: on UTC minutes/hours (date_bin from
// 2000-01-03, a Monday at midnight), UTC dates, ISO weeks (Monday), calendar months.
Timestamp BucketStart(Timestamp t, Interval interval) {
    using namespace std::chrono;
    auto floor_to = [&](minutes width) {
        const auto m = floor<minutes>(t).time_since_epoch();
        auto rest = m % width;
        if (rest < minutes(0)) rest += width;  // before 1970: still downwards
        return Timestamp(duration_cast<microseconds>(m - rest));
    };
    const sys_days day = floor<days>(t);
    switch (interval) {
        case Interval::kRaw:
            return t;
        case Interval::k1m:
            return floor_to(minutes(1));
        case Interval::k5m:
            return floor_to(minutes(5));
        case Interval::k15m:
            return floor_to(minutes(15));
        case Interval::k1h:
            return floor_to(minutes(60));
        case Interval::k1d:
            return Timestamp(day);
        case Interval::k1w:
            return Timestamp(day - (weekday(day) - Monday));
        case Interval::k1mo: {
            const year_month_day ymd(day);
            return Timestamp(sys_days(ymd.year() / ymd.month() / 1));
        }
    }
    return t;
}

// Where the page after `last` starts: the next bucket of the interval (a 5m bar folds five
// minute buckets, so the next page must not start inside it), or the next tick for raw.
Timestamp NextStart(const Bar& last, Interval interval) {
    using namespace std::chrono;
    if (last.time) {
        switch (interval) {
            case Interval::k1m:
                return *last.time + minutes(1);
            case Interval::k5m:
                return *last.time + minutes(5);
            case Interval::k15m:
                return *last.time + minutes(15);
            case Interval::k1h:
                return *last.time + hours(1);
            default:
                return *last.time + microseconds(1);
        }
    }
    const sys_days day(*last.date);
    if (interval == Interval::k1w) return Timestamp(day + days(7));
    if (interval == Interval::k1mo) {
        const year_month_day next = year_month_day(day) + months(1);
        return Timestamp(sys_days(next.year() / next.month() / 1));
    }
    return Timestamp(day + days(1));
}

// The history cursor: the next page's start (a keyset cursor of a time and no keys).
std::optional<Timestamp> HistoryCursor(const http::Request& req) {
    auto cursor = http::KeysetCursor::FromParam(req.Query().Get("cursor"), 0);
    if (!cursor) return std::nullopt;
    return cursor->time;
}

asio::awaitable<http::Response> History(MarketService& svc, http::Request& req, SeriesKind kind) {
    RequireScope(req, kScopeRead);
    const std::string symbol = UpperSymbol(req);
    const Timestamp to = QueryTime(req, "to", Now());
    const Timestamp from = QueryTime(req, "from", to - std::chrono::hours(24));
    std::vector<http::FieldError> errors;
    Interval interval = Interval::k1m;
    if (auto iv = req.Query().Get("interval")) {
        if (auto parsed = ParseInterval(*iv)) {
            interval = *parsed;
        } else {
            errors.push_back({"interval", "invalid", "one of raw, 1m, 5m, 15m, 1h, 1d, 1w, 1mo"});
        }
    }
    int limit = kDefaultHistoryLimit;
    if (auto l = req.Query().Get("limit")) {
        auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), limit);
        if (ec != std::errc() || p != l->data() + l->size() || limit < 1 || limit > kMaxHistoryLimit) {
            errors.push_back({"limit", "out_of_range", fmt::format("an integer in 1..{}", kMaxHistoryLimit)});
        }
    }
    if (!(from < to)) errors.push_back({"from", "after_to", "from must be before to"});
    if (!errors.empty())
        throw Error(ErrorKind::kUnprocessable, "validation.failed", "invalid query", std::move(errors));
    const Timestamp start = BucketStart(from, interval);
    // A later page starts where the previous one ended (the cursor), not at the bucket of `from`.
    const auto after = HistoryCursor(req);
    auto page = co_await svc.History(kind, symbol, after.value_or(start), to, interval, limit);
    const std::vector<Bar>& bars = page.bars;
    json::array out;
    out.reserve(bars.size());
    for (const Bar& b : bars) {
        json::object o;
        if (b.time) o["time"] = FormatRfc3339(*b.time);
        if (b.date) o["date"] = FormatDate(*b.date);
        o["open"] = OptDecimal(b.open);
        o["high"] = OptDecimal(b.high);
        o["low"] = OptDecimal(b.low);
        o["close"] = DecimalText(b.close);
        o["volume"] = b.volume ? json::value(*b.volume) : json::value(nullptr);
        out.push_back(std::move(o));
    }
    json::value next = nullptr;
    if (page.more) next = json::value(http::KeysetCursor(NextStart(bars.back(), interval)).Encode());
    co_return http::JsonResponse(json::object{{"symbol", symbol},
                                              {"interval", IntervalName(interval)},
                                              {"from", FormatRfc3339(start)},
                                              {"to", FormatRfc3339(to)},
                                              {"items", std::move(out)},
                                              {"next_cursor", std::move(next)}});
}

asio::awaitable<http::Response> LatestOne(MarketService& svc, http::Request& req) {
    RequireScope(req, kScopeRead);
    const std::string symbol = UpperSymbol(req);
    auto p = co_await svc.Latest(symbol);
    if (!p) throw Error(ErrorKind::kNotFound, "market.no_price", "no price for " + symbol);
    co_return http::JsonResponse(LatestJson(*p));
}

Instrument ReadInstrument(const json::object& body) {
    http::FieldReader in(body);
    Instrument i;
    i.symbol = in.String("symbol", {.min_length = 1, .max_length = kMaxSymbol});
    i.name = in.String("name", {.min_length = 1, .max_length = kMaxInstrumentName});
    i.asset_class = AssetClass(in);
    i.sector = in.OptionalString("sector", {.min_length = 1, .max_length = kMaxClassification});
    i.industry = in.OptionalString("industry", {.min_length = 1, .max_length = kMaxClassification});
    i.country = in.OptionalString("country", {.min_length = kCountryCode, .max_length = kCountryCode});
    i.currency = in.String("currency", {.min_length = kCurrencyCode, .max_length = kCurrencyCode});
    i.exchange = in.OptionalString("exchange", {.min_length = 1, .max_length = kMaxExchange});
    i.exchange_timezone =
        in.OptionalString("exchange_timezone", {.min_length = 1, .max_length = kMaxTimezone}).value_or("UTC");
    i.fractional = in.OptionalBool("fractional").value_or(false);
    i.is_active = in.OptionalBool("is_active").value_or(true);
    in.AllowOnly({"symbol", "name", "asset_class", "sector", "industry", "country", "currency", "exchange",
                  "exchange_timezone", "fractional", "is_active"});
    if (in.Ok() && !IsValidSymbol(i.symbol)) {
        in.AddError("symbol", "invalid_symbol", "a symbol is 1-32 characters of A-Z a-z 0-9 ^ . = _ : -");
    }
    if (in.Ok() && !IsCurrencyCode(i.currency)) in.AddError("currency", "invalid_currency", "ISO 4217 code");
    in.Finish();
    return i;
}

InstrumentPatch ReadPatch(const json::object& body) {
    http::FieldReader in(body);
    InstrumentPatch p;
    auto nullable = [&](std::string_view field,
                        std::size_t max) -> std::optional<std::optional<std::string>> {
        auto it = body.find(field);
        if (it == body.end()) return std::nullopt;
        if (it->value().is_null()) return std::optional<std::string>();
        return in.OptionalString(field, {.min_length = 1, .max_length = max});
    };
    if (body.contains("name"))
        p.name = in.String("name", {.min_length = 1, .max_length = kMaxInstrumentName});
    if (body.contains("asset_class")) p.asset_class = AssetClass(in);
    p.sector = nullable("sector", kMaxClassification);
    p.industry = nullable("industry", kMaxClassification);
    p.country = nullable("country", kCountryCode);
    if (body.contains("currency"))
        p.currency = in.String("currency", {.min_length = kCurrencyCode, .max_length = kCurrencyCode});
    p.exchange = nullable("exchange", kMaxExchange);
    if (body.contains("exchange_timezone")) {
        p.exchange_timezone = in.String("exchange_timezone", {.min_length = 1, .max_length = kMaxTimezone});
    }
    p.fractional = in.OptionalBool("fractional");
    p.is_active = in.OptionalBool("is_active");
    in.AllowOnly({"name", "asset_class", "sector", "industry", "country", "currency", "exchange",
                  "exchange_timezone", "fractional", "is_active"});
    if (in.Ok() && p.currency && !IsCurrencyCode(*p.currency)) {
        in.AddError("currency", "invalid_currency", "ISO 4217 code");
    }
    in.Finish();
    return p;
}

}  // namespace

std::vector<PriceRow> ParsePriceBatch(const json::value& body, std::string_view list) {
    const json::array& items = BatchArray(body, list);
    std::vector<PriceRow> rows;
    rows.reserve(items.size());
    std::vector<http::FieldError> errors;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (!items[i].is_object()) {
            errors.push_back({fmt::format("{}[{}]", list, i), "not_object", "each element is an object"});
            continue;
        }
        ElementReader in(items[i].get_object(), list, i, errors);
        const std::size_t before = errors.size();
        auto time = in.Time("time");
        const json::string* symbol = in.Str("symbol", true);
        auto open = in.Price("open", false);
        auto high = in.Price("high", false);
        auto low = in.Price("low", false);
        auto close = in.Price("close", true);
        auto volume = in.Volume("volume");
        in.AllowOnly({"time", "symbol", "open", "high", "low", "close", "volume"});
        if (errors.size() == before) {
            rows.push_back(PriceRow{*time, std::string(*symbol), open, high, low, *close, volume});
        }
        if (errors.size() >= 100) break;
    }
    ThrowIfAny(errors);
    return rows;
}

std::vector<FxRow> ParseFxBatch(const json::value& body) {
    const json::array& items = BatchArray(body, "rates");
    std::vector<FxRow> rows;
    std::vector<http::FieldError> errors;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (!items[i].is_object()) {
            errors.push_back({fmt::format("rates[{}]", i), "not_object", "each element is an object"});
            continue;
        }
        ElementReader in(items[i].get_object(), "rates", i, errors);
        const std::size_t before = errors.size();
        auto time = in.Time("time");
        const json::string* base = in.Str("base", true);
        const json::string* quote = in.Str("quote", true);
        std::optional<Decimal> rate;
        if (const json::string* s = in.Str("rate", true)) {
            auto parsed = Decimal::ParseWithError(*s);
            if (!parsed || parsed.Value().Normalized().Scale() > 12 || parsed.Value().IntegerDigits() > 12) {
                in.Add("rate", "not_decimal", "must be a decimal string with at most 12 digits on each side");
            } else {
                rate = parsed.Value();
            }
        }
        in.AllowOnly({"time", "base", "quote", "rate"});
        if (errors.size() == before)
            rows.push_back(FxRow{*time, std::string(*base), std::string(*quote), *rate});
        if (errors.size() >= 100) break;
    }
    ThrowIfAny(errors);
    return rows;
}

namespace {

// What the handlers share; lives as long as the router (AddRoutes keeps it in the handlers).
struct MarketRoutes {
    ServiceForShard services;
    runtime::CpuPool* cpu = nullptr;
    MarketService& Service(const http::Request& req) const { return services(req.shard); }
};

template <SeriesKind kKind>
asio::awaitable<http::Response> IngestSeries(const MarketRoutes& m, http::Request& req) {
    return IngestPrices(m.Service(req), *m.cpu, req, kKind);
}

asio::awaitable<http::Response> IngestFxBatch(const MarketRoutes& m, http::Request& req) {
    RequireScope(req, kScopeWrite);
    auto rows = co_await m.cpu->Run([&req] { return ParseFxBatch(http::ParseJsonBody(req)); });
    auto result = co_await m.Service(req).IngestFx(std::move(rows));
    co_return http::JsonResponse(IngestJson(result));
}

// The `symbols` query of GET /api/v1/market/prices/latest: valid, 1-kMaxLatestSymbols, sorted
// and without repeats.
std::vector<std::string> LatestSymbols(const http::Request& req) {
    auto list = req.Query().Get("symbols").value_or("");
    std::vector<std::string> symbols;
    std::vector<http::FieldError> errors;
    while (!list.empty()) {
        auto comma = list.find(',');
        auto s = list.substr(0, comma);
        if (!IsValidSymbol(s)) {
            errors.push_back(
                {"symbols", "invalid_symbol", fmt::format("'{}' is not a symbol", s.substr(0, 40))});
            break;
        }
        symbols.emplace_back(s);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    if (symbols.empty() && errors.empty())
        errors.push_back({"symbols", "required", "a comma list of symbols"});
    if (symbols.size() > kMaxLatestSymbols) {
        errors.push_back({"symbols", "too_many", fmt::format("at most {} symbols", kMaxLatestSymbols)});
    }
    if (!errors.empty()) {
        throw Error(ErrorKind::kUnprocessable, "validation.failed", "invalid symbols", std::move(errors));
    }
    std::sort(symbols.begin(), symbols.end());
    symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
    return symbols;
}

asio::awaitable<http::Response> LatestOfMany(const MarketRoutes& m, http::Request& req) {
    RequireScope(req, kScopeRead);
    const std::vector<std::string> symbols = LatestSymbols(req);
    auto prices = co_await m.Service(req).LatestMany(symbols);
    json::array out;
    for (const auto& p : prices) out.push_back(LatestJson(p));
    // At most kMaxLatestSymbols symbols: one page, the list envelope with no next cursor.
    co_return http::JsonResponse(json::object{{"items", std::move(out)}, {"next_cursor", nullptr}});
}

asio::awaitable<http::Response> LatestOfOne(const MarketRoutes& m, http::Request& req) {
    return LatestOne(m.Service(req), req);
}

template <SeriesKind kKind>
asio::awaitable<http::Response> SeriesHistory(const MarketRoutes& m, http::Request& req) {
    return History(m.Service(req), req, kKind);
}

asio::awaitable<http::Response> FxRate(const MarketRoutes& m, http::Request& req) {
    RequireScope(req, kScopeRead);
    std::string base(req.Query().Get("base").value_or(""));
    std::string quote(req.Query().Get("quote").value_or(""));
    std::vector<http::FieldError> errors;
    if (!IsCurrencyCode(base)) errors.push_back({"base", "invalid_currency", "ISO 4217 code"});
    if (!IsCurrencyCode(quote)) errors.push_back({"quote", "invalid_currency", "ISO 4217 code"});
    if (!errors.empty()) {
        throw Error(ErrorKind::kUnprocessable, "validation.failed", "invalid pair", std::move(errors));
    }
    std::optional<Timestamp> at;
    if (req.Query().Has("at")) at = QueryTime(req, "at", Now());
    if (base == quote) {
        co_return http::JsonResponse(json::object{{"base", base}, {"quote", quote}, {"rate", "1"}});
    }
    auto fx = co_await m.Service(req).Fx(base, quote, at);
    co_return http::JsonResponse(json::object{{"base", base},
                                              {"quote", quote},
                                              {"rate", DecimalText(fx.rate)},
                                              {"time", FormatRfc3339(fx.time)},
                                              {"inverted", fx.inverted}});
}

asio::awaitable<http::Response> ListInstruments(const MarketRoutes& m, http::Request& req) {
    RequireScope(req, kScopeRead);
    auto page = http::ParsePage(req);
    InstrumentQuery q;
    q.limit = page.limit;
    q.after_symbol = page.cursor;
    if (auto t = req.Query().Get("q"); t && !t->empty()) {
        if (t->size() > kMaxSearchText) {
            throw Error(ErrorKind::kUnprocessable, "validation.failed", "query too long",
                        {{"q", "too_long", "at most 64 characters"}});
        }
        q.text = std::string(*t);
    }
    if (auto a = req.Query().Get("asset_class")) q.asset_class = std::string(*a);
    auto items = co_await m.Service(req).SearchInstruments(q);
    json::array out;
    for (const auto& i : items) out.push_back(InstrumentJson(i));
    json::value next = nullptr;
    if (items.size() == q.limit) next = json::value(http::EncodeCursor(items.back().symbol));
    co_return http::JsonResponse(json::object{{"items", std::move(out)}, {"next_cursor", next}});
}

asio::awaitable<http::Response> ShowInstrument(const MarketRoutes& m, http::Request& req) {
    RequireScope(req, kScopeRead);
    auto symbol = UpperSymbol(req);
    auto i = co_await m.Service(req).GetInstrument(symbol);
    co_return http::JsonResponse(InstrumentJson(i));
}

asio::awaitable<http::Response> AddInstrument(const MarketRoutes& m, http::Request& req) {
    RequireAdmin(req);
    auto instrument = ReadInstrument(http::ParseJsonObject(req));
    auto created = co_await m.Service(req).CreateInstrument(instrument);
    auto res = http::JsonResponse(InstrumentJson(created), 201);
    res.SetHeader("Location", "/api/v1/market/instruments/" + created.symbol);
    co_return res;
}

asio::awaitable<http::Response> ChangeInstrument(const MarketRoutes& m, http::Request& req) {
    RequireAdmin(req);
    auto symbol = UpperSymbol(req);
    auto patch = ReadPatch(http::ParseJsonObject(req));
    auto updated = co_await m.Service(req).UpdateInstrument(symbol, patch);
    co_return http::JsonResponse(InstrumentJson(updated));
}

// --- The route tables, one per group ---

using Routes = std::shared_ptr<const MarketRoutes>;

// A route of an authenticated caller; its handler checks the scope (reads need market:read,
// which every role has and an API key only when created with it).
http::RouteOptions Authed(std::string name, http::RouteContract contract) {
    http::RouteOptions o;
    o.name = std::move(name);
    o.require_auth = true;
    o.contract = std::move(contract);
    return o;
}

// An ingest batch: market:write, up to kMaxBatchBodyBytes, parsed on the CPU pool.
http::RouteOptions IngestOptions(std::string name, std::string_view batch) {
    http::RouteOptions o =
        Authed(std::move(name),
               {.request = js::Ref(batch),
                .responses = {{200, js::Ref("IngestResult")}},
                .codes = {"auth.insufficient_scope", "market.batch_too_large", "market.unknown_symbol"}});
    o.max_body_bytes = kMaxBatchBodyBytes;
    o.expensive = true;
    return o;
}

http::RouteContract HistoryContract() {
    auto intervals = js::Enum({"raw", "1m", "5m", "15m", "1h", "1d", "1w", "1mo"});
    auto bar = js::Object({js::Opt("time", js::DateTime()),
                           js::Opt("date", js::Date()),
                           {"open", js::Decimal().Nullable()},
                           {"high", js::Decimal().Nullable()},
                           {"low", js::Decimal().Nullable()},
                           {"close", js::Decimal()},
                           {"volume", js::Integer(0).Nullable()}});
    return {
        .query = {{"from", js::DateTime(), false, "default: 24 hours before `to`"},
                  {"to", js::DateTime(), false, "default: now"},
                  {"interval", intervals, false, "default 1m"},
                  {"limit", js::Integer(1, kMaxHistoryLimit), false, "bars per page (default 1000)"},
                  {"cursor", js::String(), false,
                   "next_cursor of the previous page (same from, to, interval)"}},
        .responses = {{200, js::Object({{"symbol", js::Ref("Symbol")},
                                        {"interval", intervals},
                                        {"from", js::DateTime()},
                                        {"to", js::DateTime()},
                                        {"next_cursor",
                                         js::String().Nullable().Describe(
                                             "pass as `cursor` for the next bars; null on the last page")},
                                        {"items", js::Array(bar)}})}},
        .codes = {"market.unknown_symbol"}};
}

void AddIngestRoutes(http::Router& router, const Routes& m) {
    router.Post("/api/v1/market/prices", http::Bind<IngestSeries<SeriesKind::kStock>>(m),
                IngestOptions("market.ingest_prices", "PriceBatch"));
    router.Post("/api/v1/market/indices", http::Bind<IngestSeries<SeriesKind::kIndex>>(m),
                IngestOptions("market.ingest_indices", "PriceBatch"));
    router.Post("/api/v1/market/fx", http::Bind<IngestFxBatch>(m),
                IngestOptions("market.ingest_fx", "FxBatch"));
}

void AddPriceRoutes(http::Router& router, const Routes& m) {
    auto latest =
        http::RouteContract{.responses = {{200, js::Ref("LatestPrice")}}, .codes = {"market.no_price"}};
    router.Get("/api/v1/market/prices/latest", http::Bind<LatestOfMany>(m),
               Authed("market.latest_many",
                      {.query = {{"symbols", js::String(1), true, "a comma list of at most 200 symbols"}},
                       .responses = {{200, js::Page(js::Ref("LatestPrice"))}}}));
    router.Get("/api/v1/market/prices/{symbol}/latest", http::Bind<LatestOfOne>(m),
               Authed("market.latest", latest));
    router.Get("/api/v1/market/indices/{symbol}/latest", http::Bind<LatestOfOne>(m),
               Authed("market.index_latest", latest));
    router.Get("/api/v1/market/prices/{symbol}", http::Bind<SeriesHistory<SeriesKind::kStock>>(m),
               Authed("market.history", HistoryContract()));
    router.Get("/api/v1/market/indices/{symbol}", http::Bind<SeriesHistory<SeriesKind::kIndex>>(m),
               Authed("market.index_history", HistoryContract()));
    auto fx = js::Object({{"base", js::Ref("Currency")},
                          {"quote", js::Ref("Currency")},
                          {"rate", js::Decimal()},
                          js::Opt("time", js::DateTime().Describe("absent when base = quote")),
                          js::Opt("inverted", js::Boolean())});
    router.Get(
        "/api/v1/market/fx", http::Bind<FxRate>(m),
        Authed("market.fx",
               {.query = {{"base", js::Ref("Currency"), true},
                          {"quote", js::Ref("Currency"), true},
                          {"at", js::DateTime(), false, "the rate in force then (default: the latest)"}},
                .responses = {{200, fx}},
                .codes = {"market.no_rate"}}));
}

void AddInstrumentRoutes(http::Router& router, const Routes& m) {
    router.Get("/api/v1/market/instruments", http::Bind<ListInstruments>(m),
               Authed("market.instruments",
                      {.query = {{"q", js::String(0, kMaxSearchText), false, "a part of the symbol or name"},
                                 {"asset_class", js::Ref("AssetClass")},
                                 {"limit", js::Integer(1, 200), false, "page size (default 50)"},
                                 {"cursor", js::String(), false, "next_cursor of the previous page"}},
                       .responses = {{200, js::Page(js::Ref("Instrument"))}}}));
    router.Get("/api/v1/market/instruments/{symbol}", http::Bind<ShowInstrument>(m),
               Authed("market.instrument",
                      {.responses = {{200, js::Ref("Instrument")}}, .codes = {"market.unknown_symbol"}}));
    router.Post(
        "/api/v1/market/instruments", http::Bind<AddInstrument>(m),
        Authed("market.create_instrument", {.request = InstrumentInput(true),
                                            .responses = {{201, js::Ref("Instrument")}},
                                            .codes = {"auth.admin_required", "market.instrument_exists"}}));
    router.Patch(
        "/api/v1/market/instruments/{symbol}", http::Bind<ChangeInstrument>(m),
        Authed("market.update_instrument", {.request = InstrumentInput(false),
                                            .responses = {{200, js::Ref("Instrument")}},
                                            .codes = {"auth.admin_required", "market.unknown_symbol"}}));
}

}  // namespace

void AddRoutes(http::Router& router, ServiceForShard services, runtime::CpuPool& cpu) {
    AddSchemas(router);
    auto routes =
        std::make_shared<const MarketRoutes>(MarketRoutes{.services = std::move(services), .cpu = &cpu});
    AddIngestRoutes(router, routes);
    AddPriceRoutes(router, routes);
    AddInstrumentRoutes(router, routes);
}

}  // namespace nn::market
