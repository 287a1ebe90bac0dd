#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/time.hpp"
#include "portfolio/model.hpp"

// CSV import of transactions (pure): every line is checked with the same rules as the JSON API,
// and every bad line is reported with its reason.
namespace nn::portfolio {

struct CsvLineError {
    std::size_t line = 0;  // 1-based, the header is line 1
    std::string field;
    std::string message;
};

struct CsvImport {
    std::vector<Transaction> transactions;
    std::vector<CsvLineError> errors;  // the first kMaxImportErrors, in line order
    std::size_t error_count = 0;       // every error found, including those not listed
    std::size_t lines = 0;             // data lines read
};

inline constexpr std::size_t kMaxImportLines = 100'000;
// Bounds that keep a hostile file's cost (memory, the error report, CPU) small: a header may
// name at most kMaxImportColumns columns, a line may be at most kMaxImportLineBytes long, and
// only the first kMaxImportErrors errors are listed (error_count counts them all).
inline constexpr std::size_t kMaxImportColumns = 64;
inline constexpr std::size_t kMaxImportLineBytes = 16 << 10;
inline constexpr std::size_t kMaxImportErrors = 100;

// Header names are matched case-insensitively after trimming, with the aliases of common broker
// exports (docs/portfolio.md "CSV import"): e.g. "Action"/"Transaction Type" → type,
// "Ticker"/"Instrument" → symbol, "Shares"/"Qty" → quantity, "Price / share" → price,
// "Total"/"Net Amount" → amount, "Commission"/"IBCommission" → fee, "Date"/"Trade Date"/"Time"
// → executed_at (a bare YYYY-MM-DD date means midnight UTC). Types accept BUY/SELL and the
// "Market buy"/"Market sell" spellings. `progress` (optional) is called with the lines done.
CsvImport ParseTransactionsCsv(std::string_view text,
                               Timestamp now,
                               const std::function<void(std::size_t)>& progress = {});

boost::json::object ToJson(const CsvImport& import);

}  // namespace nn::portfolio
