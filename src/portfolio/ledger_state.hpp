#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// A checkpoint is stored after every kCheckpointEvery-th transaction of a symbol while its state
// is small, and further apart as it grows (CheckpointStride).
inline constexpr std::int64_t kCheckpointEvery = 256;

// The distance between a symbol's checkpoints while it has `open_lots` open FIFO lots: the
// smallest `every` * 2^k of at least an eighth of the lots. A checkpoint stores every open lot, so
// at a fixed distance a position that only grows (a savings plan: every purchase an open lot)
// would store O(n^2 / every) lots over n transactions (100 000 purchases: some 20 million lots by
// count, a 100 000-line import that never finished); spaced by its size, a checkpoint stores at most nine
// lots per transaction since the one before it (the lots grow by at most one per transaction, and
// consecutive checkpoints are at least the smaller of their strides apart), so O(n) in all. What
// it costs: a back-dated change replays up to one stride of its symbol (256 while it has at most
// 2 048 open lots).
constexpr std::int64_t CheckpointStride(std::size_t open_lots, std::int64_t every) {
    std::int64_t stride = every;
    while (static_cast<std::size_t>(stride) * 8 < open_lots) stride *= 2;
    return stride;
}

// Whether the state after a symbol's `count`-th transaction, with `open_lots` open lots, is a
// checkpoint. The rule depends only on the state there, so the incremental and the full derivation
// place checkpoints alike.
constexpr bool IsCheckpoint(std::int64_t count, std::size_t open_lots, std::int64_t every) {
    return count % CheckpointStride(open_lots, every) == 0;
}

// A symbol's state after `count` of its transactions, the last one at `last`.
struct PositionState {
    Holding holding;  // without sales (only the full replay keeps them, for statements)
    std::int64_t count = 0;
    LedgerKey last;
};

// Every field of the holding but its symbol and sales, exactly (decimals keep their scale), with
// every open lot, their numbering and totals (checkpoints, read checkpoints, and a stored
// position of at most a page of lots). Every lot must be loaded (throws LotsNotLoaded otherwise).
std::string EncodeHolding(const Holding& holding);
// nullopt when the text is not an encoded holding with its lots (EncodeHolding, or the v1 text
// of earlier releases, whose lots are numbered from 0).
std::optional<Holding> DecodeHolding(std::string_view text, std::string symbol);

// A stored position (ledger_positions) of more than a page of open lots: the same without the
// lots, which are stored apart in pages of `lots_per_page` by number (page n: the lots numbered
// n * lots_per_page to the next page's first, EncodeLotPage), so an append writes the pages it
// changes, not every open lot. A position of at most a page of them is stored as EncodeHolding
// writes it, with no page.
inline constexpr std::int64_t kLotsPerPage = 64;
std::string EncodePosition(const Holding& holding, std::int64_t lots_per_page);
struct DecodedState {
    Holding holding;
    // 0: the lots were in the text (every one loaded); otherwise none is loaded, they are in pages
    // of this many.
    std::int64_t lots_per_page = 0;
};
// Either encoding (EncodeHolding or EncodePosition); nullopt when it is neither.
std::optional<DecodedState> DecodeState(std::string_view text, std::string symbol);

// One page of a position's lots: the number of its first and the lots, oldest first.
struct LotPage {
    std::int64_t first_seq = 0;
    std::vector<Lot> lots;
};
std::string EncodeLotPage(std::int64_t first_seq, const std::vector<const Lot*>& lots);
std::optional<LotPage> DecodeLotPage(std::string_view text);
// A stored position with every one of its pages (in order): the whole holding, or nullopt when
// they do not fit together (or a position holding its lots has pages).
std::optional<Holding> AssemblePosition(std::string_view state,
                                        std::string symbol,
                                        const std::vector<std::string>& pages);

}  // namespace nn::portfolio
