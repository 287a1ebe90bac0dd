#include "market/model.hpp"

#include <fmt/format.h>

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <tuple>
#include <unordered_map>

namespace nn::market {

namespace {

constexpr int kMaxPriceScale = 10;
constexpr int kMaxPriceIntegerDigits = 18;

void CheckTime(std::vector<FieldError>& errors,
               std::string_view list,
               std::size_t i,
               Timestamp t,
               Timestamp now,
               const IngestLimits& limits) {
    if (t > now + limits.max_future) {
        errors.push_back(
            {ElementPath(list, i, "time"), "in_future",
             fmt::format("{} is in the future ({} is later than now + {}s)", ElementPath(list, i, "time"),
                         FormatRfc3339(t), limits.max_future.count())});
    } else if (t < limits.min_time) {
        errors.push_back(
            {ElementPath(list, i, "time"), "too_old",
             fmt::format("{} is before {}", ElementPath(list, i, "time"), FormatRfc3339(limits.min_time))});
    }
}

// The SAX handler of ParseCleanPriceBatch: a state machine over the one accepted shape. Any
// event it does not expect fails the parse (the caller falls back to the strict parser).
class CleanBatchHandler {
public:
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    CleanBatchHandler(std::string_view list, std::size_t max_string) : list_(list), max_string_(max_string) {}

    std::vector<PriceRow> rows;
    bool Complete() const noexcept { return state_ == State::kDone; }

    bool on_document_begin(boost::json::error_code&) { return true; }
    bool on_document_end(boost::json::error_code& ec) { return state_ == State::kDone || Fail(ec); }
    bool on_object_begin(boost::json::error_code& ec) {
        if (state_ == State::kStart) {
            state_ = State::kRootKey;
        } else if (state_ == State::kElement) {
            state_ = State::kField;
            seen_ = 0;
            row_ = PriceRow{};
        } else {
            return Fail(ec);
        }
        return true;
    }
    bool on_object_end(std::size_t, boost::json::error_code& ec) {
        if (state_ == State::kRootEnd) {
            state_ = State::kDone;
            return true;
        }
        // time, symbol and close are required
        constexpr unsigned kRequired = (1u << kTime) | (1u << kSymbol) | (1u << kClose);
        if (state_ != State::kField || (seen_ & kRequired) != kRequired) return Fail(ec);
        rows.push_back(std::move(row_));
        state_ = State::kElement;
        return true;
    }
    bool on_array_begin(boost::json::error_code& ec) {
        if (state_ != State::kArray) return Fail(ec);
        state_ = State::kElement;
        return true;
    }
    bool on_array_end(std::size_t, boost::json::error_code& ec) {
        if (state_ != State::kElement) return Fail(ec);
        state_ = State::kRootEnd;
        return true;
    }
    bool on_key_part(std::string_view s, std::size_t n, boost::json::error_code& ec) {
        if (n > max_string_) return Fail(ec);
        part_.append(s);
        return true;
    }
    bool on_key(std::string_view s, std::size_t n, boost::json::error_code& ec) {
        if (n > max_string_) return Fail(ec);
        const std::string_view key = Whole(s);
        if (state_ == State::kRootKey) {
            if (key != list_) return Fail(ec);
            state_ = State::kArray;
            return true;
        }
        if (state_ != State::kField) return Fail(ec);
        static constexpr std::string_view kNames[] = {"time", "symbol", "open",  "high",
                                                      "low",  "close",  "volume"};
        const auto* it = std::find(std::begin(kNames), std::end(kNames), key);
        if (it == std::end(kNames)) return Fail(ec);
        field_ = static_cast<Field>(it - std::begin(kNames));
        if (seen_ & (1u << field_)) return Fail(ec);
        seen_ |= 1u << field_;
        state_ = State::kValue;
        return true;
    }
    bool on_string_part(std::string_view s, std::size_t n, boost::json::error_code& ec) {
        if (n > max_string_) return Fail(ec);
        part_.append(s);
        return true;
    }
    bool on_string(std::string_view s, std::size_t n, boost::json::error_code& ec) {
        if (state_ != State::kValue || n > max_string_) return Fail(ec);
        const std::string_view v = Whole(s);
        if (v.find('\0') != std::string_view::npos) return Fail(ec);
        state_ = State::kField;
        switch (field_) {
            case kTime:
                if (auto t = ParseRfc3339(v)) {
                    row_.time = *t;
                    return true;
                }
                return Fail(ec);
            case kSymbol:
                for (char c : v) {
                    if (static_cast<unsigned char>(c) >= 0x80) return Fail(ec);
                }
                row_.symbol.assign(v);
                return true;
            case kOpen:
                return Price(v, row_.open, ec);
            case kHigh:
                return Price(v, row_.high, ec);
            case kLow:
                return Price(v, row_.low, ec);
            case kClose: {
                std::optional<Decimal> close;
                if (!Price(v, close, ec)) return false;
                row_.close = *close;
                return true;
            }
            case kVolume:
                return Fail(ec);  // a volume string: the strict reader decides
        }
        return Fail(ec);
    }
    bool on_number_part(std::string_view, boost::json::error_code&) { return true; }
    bool on_int64(std::int64_t i, std::string_view, boost::json::error_code& ec) {
        if (state_ != State::kValue || field_ != kVolume) return Fail(ec);
        row_.volume = i;
        state_ = State::kField;
        return true;
    }
    bool on_uint64(std::uint64_t, std::string_view, boost::json::error_code& ec) { return Fail(ec); }
    bool on_double(double, std::string_view, boost::json::error_code& ec) { return Fail(ec); }
    bool on_bool(bool, boost::json::error_code& ec) { return Fail(ec); }
    bool on_null(boost::json::error_code& ec) {
        // an optional field given as null is absent
        if (state_ != State::kValue || field_ == kTime || field_ == kSymbol || field_ == kClose)
            return Fail(ec);
        seen_ |= 1u << field_;
        state_ = State::kField;
        return true;
    }
    bool on_comment_part(std::string_view, boost::json::error_code& ec) { return Fail(ec); }
    bool on_comment(std::string_view, boost::json::error_code& ec) { return Fail(ec); }

private:
    enum class State { kStart, kRootKey, kArray, kElement, kField, kValue, kRootEnd, kDone };
    enum Field { kTime, kSymbol, kOpen, kHigh, kLow, kClose, kVolume };

    static bool Fail(boost::json::error_code& ec) {
        ec = boost::json::error::exception;
        return false;
    }
    // The whole key or string: the last piece, after any pieces the parser handed over first.
    std::string_view Whole(std::string_view last) {
        if (part_.empty()) return last;
        part_.append(last);
        whole_.swap(part_);
        part_.clear();
        return whole_;
    }
    bool Price(std::string_view text, std::optional<Decimal>& out, boost::json::error_code& ec) {
        auto p = ParsePrice(text);
        if (!p.value) return Fail(ec);
        out = p.value;
        return true;
    }

    std::string_view list_;
    std::size_t max_string_;
    State state_ = State::kStart;
    Field field_ = kTime;
    unsigned seen_ = 0;
    PriceRow row_;
    std::string part_;
    std::string whole_;
};

}  // namespace

std::string ElementPath(std::string_view list, std::size_t i, std::string_view field) {
    return fmt::format("{}[{}].{}", list, i, field);
}

std::optional<std::vector<PriceRow>> ParseCleanPriceBatch(std::string_view json,
                                                          std::string_view list,
                                                          std::size_t max_string_bytes) {
    boost::json::basic_parser<CleanBatchHandler> parser(boost::json::parse_options(), list, max_string_bytes);
    boost::json::error_code ec;
    const std::size_t used = parser.write_some(false, json.data(), json.size(), ec);
    if (ec || !parser.done() || used != json.size() || !parser.handler().Complete()) return std::nullopt;
    return std::move(parser.handler().rows);
}

std::string_view KindName(SeriesKind kind) noexcept {
    return kind == SeriesKind::kIndex ? "index" : "stock";
}

PriceParse ParsePrice(std::string_view text) {
    PriceParse out;
    auto parsed = Decimal::ParseWithError(text);
    if (!parsed) {
        out.code = "not_decimal";
        out.message = fmt::format("'{}' is not a decimal ({})", text.substr(0, 40), Describe(parsed.Error()));
        return out;
    }
    Decimal v = parsed.Value().Normalized();
    if (v.Scale() > kMaxPriceScale) {
        out.code = "too_precise";
        out.message = fmt::format("at most {} digits after the decimal point", kMaxPriceScale);
    } else if (v.IntegerDigits() > kMaxPriceIntegerDigits) {
        out.code = "too_large";
        out.message = fmt::format("at most {} digits before the decimal point", kMaxPriceIntegerDigits);
    } else if (!v.IsPositive()) {
        out.code = "not_positive";
        out.message = "must be greater than zero";
    } else {
        out.value = parsed.Value();
    }
    return out;
}

bool IsValidSymbol(std::string_view symbol) noexcept {
    if (symbol.empty() || symbol.size() > 32) return false;
    for (char c : symbol) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '^' ||
                  c == '.' || c == '=' || c == '_' || c == ':' || c == '-';
        if (!ok) return false;
    }
    return true;
}

bool IsCurrencyCode(std::string_view code) noexcept {
    if (code.size() != 3) return false;
    for (char c : code) {
        if (c < 'A' || c > 'Z') return false;
    }
    return true;
}

namespace {

// Indices of all rows in (symbol, time) order, rows of one (symbol, time) in input order.
// Symbols are few (hundreds) and ticks many: number the symbols, sort the symbols, then bucket
// the rows by symbol rank (stable, so input order survives within a symbol) and sort a
// symbol's rows by time only when the feed did not send them in order already.
std::vector<std::uint32_t> SymbolTimeOrder(const std::vector<PriceRow>& rows) {
    std::unordered_map<std::string_view, std::uint32_t> ids;
    std::vector<std::uint32_t> id_of(rows.size());
    std::vector<std::string_view> names;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        auto [it, fresh] = ids.try_emplace(rows[i].symbol, static_cast<std::uint32_t>(names.size()));
        if (fresh) names.push_back(rows[i].symbol);
        id_of[i] = it->second;
    }
    std::vector<std::uint32_t> by_name(names.size());
    for (std::uint32_t k = 0; k < by_name.size(); ++k) by_name[k] = k;
    std::sort(by_name.begin(), by_name.end(), [&](auto a, auto b) { return names[a] < names[b]; });
    std::vector<std::uint32_t> rank(names.size());
    for (std::uint32_t r = 0; r < by_name.size(); ++r) rank[by_name[r]] = r;
    std::vector<std::uint32_t> start(names.size() + 1, 0);
    for (auto id : id_of) ++start[rank[id] + 1];
    for (std::size_t r = 1; r < start.size(); ++r) start[r] += start[r - 1];
    std::vector<std::uint32_t> order(rows.size());
    std::vector<std::uint32_t> next(start.begin(), start.end() - 1);
    for (std::uint32_t i = 0; i < rows.size(); ++i) order[next[rank[id_of[i]]]++] = i;

    auto earlier = [&](std::uint32_t a, std::uint32_t b) { return rows[a].time < rows[b].time; };
    for (std::size_t r = 0; r + 1 < start.size(); ++r) {
        auto first = order.begin() + start[r];
        auto last = order.begin() + start[r + 1];
        if (!std::is_sorted(first, last, earlier)) std::stable_sort(first, last, earlier);
    }
    return order;
}

// SymbolTimeOrder without repeats of a (symbol, time): the first row of each key stays. A repeat
// that differs from that row is recorded in *differs_from (repeat index → first index).
std::vector<std::uint32_t> OrderDroppingRepeats(const std::vector<PriceRow>& rows,
                                                std::unordered_map<std::size_t, std::size_t>* differs_from) {
    std::vector<std::uint32_t> order = SymbolTimeOrder(rows);
    std::size_t kept = 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
        const std::uint32_t i = order[k];
        if (kept > 0) {
            const PriceRow& first = rows[order[kept - 1]];
            if (first.time == rows[i].time && first.symbol == rows[i].symbol) {
                if (differs_from != nullptr && !(first == rows[i])) differs_from->emplace(i, order[kept - 1]);
                continue;
            }
        }
        order[kept++] = i;
    }
    order.resize(kept);
    return order;
}

}  // namespace

std::vector<FieldError> ValidatePrices(const std::vector<PriceRow>& rows,
                                       Timestamp now,
                                       const IngestLimits& limits,
                                       std::string_view list,
                                       std::vector<std::uint32_t>* ingest_order) {
    std::vector<FieldError> errors;
    // Two different rows for one (symbol, time) are refused: each row that differs from the
    // first of its key is found on the way to IngestOrder(rows).
    std::unordered_map<std::size_t, std::size_t> differs_from;
    std::vector<std::uint32_t> order = OrderDroppingRepeats(rows, &differs_from);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const PriceRow& r = rows[i];
        if (!IsValidSymbol(r.symbol)) {
            errors.push_back({ElementPath(list, i, "symbol"), "invalid_symbol",
                              "a symbol is 1-32 characters of A-Z a-z 0-9 ^ . = _ : -"});
        }
        CheckTime(errors, list, i, r.time, now, limits);
        auto positive = [&](std::string_view field, const std::optional<Decimal>& v) {
            if (v && !v->IsPositive()) {
                errors.push_back({ElementPath(list, i, field), "not_positive", "must be greater than zero"});
            }
        };
        positive("open", r.open);
        positive("high", r.high);
        positive("low", r.low);
        positive("close", r.close);
        if (r.volume && *r.volume < 0) {
            errors.push_back({ElementPath(list, i, "volume"), "negative", "must not be negative"});
        }
        if (r.high && r.low && *r.high < *r.low) {
            errors.push_back({ElementPath(list, i, "high"), "below_low", "high is below low"});
        }
        auto within = [&](std::string_view field, const std::optional<Decimal>& v) {
            if (!v) return;
            if ((r.low && *v < *r.low) || (r.high && *v > *r.high)) {
                errors.push_back(
                    {ElementPath(list, i, field), "outside_range", "must lie within [low, high]"});
            }
        };
        within("open", r.open);
        within("close", r.close);
        if (auto it = differs_from.find(i); it != differs_from.end()) {
            errors.push_back(
                {ElementPath(list, i, "time"), "duplicate_in_batch",
                 fmt::format("{}[{}] has the same symbol and time with other values", list, it->second)});
        }
        if (errors.size() >= 100) break;  // enough to fix the feed; the response stays small
    }
    if (errors.empty() && ingest_order != nullptr) *ingest_order = std::move(order);
    return errors;
}

std::vector<FieldError> ValidateFx(const std::vector<FxRow>& rows,
                                   Timestamp now,
                                   const IngestLimits& limits,
                                   std::string_view list) {
    std::vector<FieldError> errors;
    std::map<std::tuple<std::string_view, std::string_view, Timestamp>, std::size_t> seen;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const FxRow& r = rows[i];
        if (!IsCurrencyCode(r.base))
            errors.push_back({ElementPath(list, i, "base"), "invalid_currency", "ISO 4217 code"});
        if (!IsCurrencyCode(r.quote)) {
            errors.push_back({ElementPath(list, i, "quote"), "invalid_currency", "ISO 4217 code"});
        } else if (r.base == r.quote) {
            errors.push_back({ElementPath(list, i, "quote"), "same_currency", "quote must differ from base"});
        }
        if (!r.rate.IsPositive())
            errors.push_back({ElementPath(list, i, "rate"), "not_positive", "must be greater than zero"});
        CheckTime(errors, list, i, r.time, now, limits);
        auto [it, fresh] =
            seen.emplace(std::make_tuple(std::string_view(r.base), std::string_view(r.quote), r.time), i);
        if (!fresh && !(rows[it->second] == r)) {
            errors.push_back(
                {ElementPath(list, i, "time"), "duplicate_in_batch",
                 fmt::format("{}[{}] has the same pair and time with another rate", list, it->second)});
        }
        if (errors.size() >= 100) break;
    }
    return errors;
}

std::vector<std::uint32_t> IngestOrder(const std::vector<PriceRow>& rows) {
    return OrderDroppingRepeats(rows, nullptr);
}

std::vector<PartialBar> FoldPartials(const std::vector<PriceRow>& rows,
                                     const std::vector<std::uint32_t>& order,
                                     PartialGrouping grouping) {
    std::vector<PartialBar> out;
    for (auto i : order) {
        const PriceRow& r = rows[i];
        const Timestamp bucket = std::chrono::floor<std::chrono::minutes>(r.time);
        const Decimal& high = r.high ? *r.high : r.close;
        const Decimal& low = r.low ? *r.low : r.close;
        const std::int64_t volume = r.volume.value_or(0);
        if (grouping == PartialGrouping::kMinute && !out.empty() && out.back().bucket == bucket &&
            out.back().symbol == r.symbol) {
            // order is by time within a symbol, so this tick is the latest of the partial
            PartialBar& p = out.back();
            if (p.high < high) p.high = high;
            if (low < p.low) p.low = low;
            p.close = r.close;
            p.close_time = r.time;
            p.close_volume = r.volume;
            if (__builtin_add_overflow(p.volume, volume, &p.volume)) {
                // the bigint rollup column could not hold it either
                throw Error(ErrorKind::kUnprocessable, "validation.failed",
                            "the batch's volumes overflow a bigint",
                            {{ElementPath("prices", i, "volume"), "too_large",
                              "the volumes of one symbol's minute sum beyond 2^63 - 1"}});
            }
            ++p.tick_count;
            continue;
        }
        out.push_back(PartialBar{r.symbol, bucket, r.open ? *r.open : r.close, high, low, r.close, volume, 1,
                                 r.time, r.time, r.volume});
    }
    return out;
}

std::optional<Interval> ParseInterval(std::string_view text) noexcept {
    static constexpr std::pair<std::string_view, Interval> kNames[] = {
        {"raw", Interval::kRaw}, {"1m", Interval::k1m}, {"5m", Interval::k5m}, {"15m", Interval::k15m},
        {"1h", Interval::k1h},   {"1d", Interval::k1d}, {"1w", Interval::k1w}, {"1mo", Interval::k1mo}};
    for (auto [name, value] : kNames) {
        if (name == text) return value;
    }
    return std::nullopt;
}

std::string_view IntervalName(Interval interval) noexcept {
    switch (interval) {
        case Interval::kRaw:
            return "raw";
        case Interval::k1m:
            return "1m";
        case Interval::k5m:
            return "5m";
        case Interval::k15m:
            return "15m";
        case Interval::k1h:
            return "1h";
        case Interval::k1d:
            return "1d";
        case Interval::k1w:
            return "1w";
        case Interval::k1mo:
            return "1mo";
    }
    return "raw";
}

std::string PriceKey(std::string_view symbol) {
    return fmt::format("nn:price:{}", symbol);
}

std::string EncodeCachedPrice(Timestamp time, const Decimal& price) {
    return fmt::format("{}|{}", time.time_since_epoch().count(), price.ToNormalizedString());
}

std::optional<LatestPrice> DecodeCachedPrice(std::string_view symbol, std::string_view value) {
    auto bar = value.find('|');
    if (bar == std::string_view::npos) return std::nullopt;
    std::int64_t micros = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + bar, micros);
    if (ec != std::errc() || p != value.data() + bar) return std::nullopt;
    auto price = Decimal::Parse(value.substr(bar + 1));
    if (!price) return std::nullopt;
    LatestPrice out;
    out.symbol = std::string(symbol);
    out.time = Timestamp(std::chrono::microseconds(micros));
    out.price = *price;
    return out;
}

}  // namespace nn::market
