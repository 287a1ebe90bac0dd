#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/decimal.hpp"
#include "core/time.hpp"
#include "market/model.hpp"

namespace nn::market {

// The records the market repository reads and writes (pg_repository.hpp holds the SQL).

struct Instrument {
    std::string symbol;
    std::string name;
    std::string asset_class;  // EQUITY, ETF, FUND, BOND, CRYPTO, COMMODITY, CASH, INDEX, OTHER
    std::optional<std::string> sector;
    std::optional<std::string> industry;
    std::optional<std::string> country;  // ISO 3166 alpha-2
    std::string currency;                // ISO 4217
    std::optional<std::string> exchange;
    std::string exchange_timezone = "UTC";  // defines the trading date of daily bars
    bool fractional = false;
    bool is_active = true;
    Timestamp created_at{};
    Timestamp updated_at{};
};

// Fields of a PATCH; unset fields keep their value.
struct InstrumentPatch {
    std::optional<std::string> name;
    std::optional<std::string> asset_class;
    std::optional<std::optional<std::string>> sector;
    std::optional<std::optional<std::string>> industry;
    std::optional<std::optional<std::string>> country;
    std::optional<std::string> currency;
    std::optional<std::optional<std::string>> exchange;
    std::optional<std::string> exchange_timezone;
    std::optional<bool> fractional;
    std::optional<bool> is_active;
};

struct InstrumentQuery {
    std::optional<std::string> text;  // symbol or name prefix, case-insensitive
    std::optional<std::string> asset_class;
    std::optional<std::string> after_symbol;  // keyset cursor
    std::size_t limit = 50;
};

// One bar of a history query. `date` is set for 1d/1w/1mo (trading dates), `time` otherwise.
struct Bar {
    std::optional<Timestamp> time;
    std::optional<Date> date;
    std::optional<Decimal> open;
    std::optional<Decimal> high;
    std::optional<Decimal> low;
    Decimal close;
    std::optional<std::int64_t> volume;
};

struct FxQuote {
    std::string base;
    std::string quote;
    Decimal rate;
    Timestamp time;
    bool inverted = false;  // derived from the quote/base rate
};

// What one committed ingest transaction did; payload is the event (JSON text) when a latest
// price moved, written to the outbox in the same transaction.
struct StoredBatch {
    std::int64_t inserted = 0;
    std::int64_t updated_latest = 0;
    std::optional<std::int64_t> outbox_id;
    std::optional<std::string> payload;
};

struct OutboxEvent {
    std::int64_t id = 0;
    std::string payload;
};

}  // namespace nn::market
