// The CSV transaction import (portfolio/csv_import.hpp). Invariants: the bounds of issue 15
// hold for any file (at most kMaxImportErrors errors listed, error_count counts them all, no
// more lines than kMaxImportLines), errors come in line order, and the report serialises.
// ParseTransactionsCsv never throws: any exception is a finding.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json/serialize.hpp>

#include "fuzz_check.hpp"
#include "portfolio/csv_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace p = nn::portfolio;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // A fixed "now" (2025-10-09T08:53:20Z) keeps runs reproducible.
    const nn::Timestamp now{std::chrono::seconds(1'760'000'000)};
    std::size_t last_progress = 0;
    const p::CsvImport out = p::ParseTransactionsCsv(text, now, [&](std::size_t lines) {
        NN_FUZZ_CHECK(lines >= last_progress);
        last_progress = lines;
    });
    NN_FUZZ_CHECK(out.errors.size() <= p::kMaxImportErrors);
    NN_FUZZ_CHECK(out.error_count >= out.errors.size());
    NN_FUZZ_CHECK(out.error_count == 0 || !out.errors.empty());
    NN_FUZZ_CHECK(out.lines <= p::kMaxImportLines + 1);
    NN_FUZZ_CHECK(out.transactions.size() <= out.lines);
    std::size_t line = 0;
    for (const auto& e : out.errors) {
        NN_FUZZ_CHECK(e.line >= 1 && e.line >= line);
        NN_FUZZ_CHECK(!e.message.empty());
        line = e.line;
    }
    // What passed is what ReadTransaction documents (json_io.hpp).
    for (const auto& t : out.transactions) {
        NN_FUZZ_CHECK(t.executed_at <= now + std::chrono::seconds(300));
        NN_FUZZ_CHECK(!t.fee.IsNegative());
        if (t.quantity) NN_FUZZ_CHECK(t.quantity->IsPositive());
        if (t.price) NN_FUZZ_CHECK(!t.price->IsNegative());
        if (t.amount) NN_FUZZ_CHECK(t.amount->IsPositive());
    }
    (void)boost::json::serialize(p::ToJson(out));
    return 0;
}
