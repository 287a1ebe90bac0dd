#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/ids.hpp"
#include "core/time.hpp"
#include "portfolio/model.hpp"

// The incremental ledger's pure part (docs/portfolio.md "Incremental ledger"): the replay
// order as a key, and a holding's derivation state as text for ledger_positions and
// ledger_checkpoints. No I/O.
namespace nn::portfolio {

// A transaction's place in SortForReplay order.
struct LedgerKey {
    Timestamp executed_at{};
    Timestamp created_at{};
    TransactionId id;
    friend auto operator<=>(const LedgerKey&, const LedgerKey&) = default;
    friend bool operator==(const LedgerKey&, const LedgerKey&) = default;
};

inline LedgerKey KeyOf(const Transaction& t) {
    return LedgerKey{t.executed_at, t.created_at, t.id};
}

// A checkpoint is stored after every kCheckpointEvery-th transaction of a symbol.
inline constexpr std::int64_t kCheckpointEvery = 256;

// A symbol's state after `count` of its transactions, the last one at `last`.
struct PositionState {
    Holding holding;  // without sales (only the full replay keeps them, for statements)
    std::int64_t count = 0;
    LedgerKey last;
};

// Every field of the holding but its symbol and sales, exactly (decimals keep their scale).
std::string EncodeHolding(const Holding& holding);
// nullopt when the text is not an encoded holding.
std::optional<Holding> DecodeHolding(std::string_view text, std::string symbol);

}  // namespace nn::portfolio
