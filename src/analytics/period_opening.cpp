#include "analytics/period_opening.hpp"

#include <spdlog/spdlog.h>

#include "analytics/market_reader.hpp"
#include "analytics/transaction_reader.hpp"
#include "infra/app/app.hpp"
#include "infra/db/errors.hpp"

namespace nn::analytics {
namespace asio = boost::asio;

namespace {

constexpr std::size_t kStoreBytes = 4 << 20;

}  // namespace

asio::awaitable<PeriodOpening> OpenPeriod(App& app,
                                          const MarketReads& market,
                                          portfolio::Service& portfolios,
                                          const Actor& actor,
                                          const portfolio::Portfolio& p,
                                          std::int64_t version,
                                          Date first,
                                          Date last,
                                          std::size_t page_size,
                                          std::size_t shard) {
    const Date opening = LatestOpening(first);
    const std::string base(p.currency.Code());
    std::optional<ReadCheckpoint> stored;
    if (const auto row = co_await portfolios.ReadCheckpoint(actor, p.id, opening, shard)) {
        stored = DecodeCheckpoint(row->state);
    }
    for (;;) {
        PeriodOpening out;
        out.checkpoint = stored ? *stored : EmptyCheckpoint(p);
        const std::optional<Timestamp> from =
            out.checkpoint.day ? std::optional(StartOfDay(AddDays(*out.checkpoint.day, 1))) : std::nullopt;
        out.after = co_await LoadTransactionsBetween(portfolios, actor, p.id, from,
                                                     StartOfDay(AddDays(last, 1)), page_size, shard);
        for (const auto& [symbol, holding] : out.checkpoint.ledger.holdings) out.symbols.insert(symbol);
        for (const auto& [currency, balance] : out.checkpoint.ledger.cash) {
            if (currency != p.currency) out.currencies.insert(std::string(currency.Code()));
        }
        for (const portfolio::Transaction& tx : out.after) {
            if (tx.symbol) out.symbols.insert(*tx.symbol);
            if (tx.currency != p.currency) out.currencies.insert(std::string(tx.currency.Code()));
        }
        const std::vector<std::string> symbol_list(out.symbols.begin(), out.symbols.end());
        out.listed = co_await LoadInstrumentCurrencies(market, symbol_list, shard);
        SymbolCurrencies known = out.checkpoint.currencies;
        AddCurrencies(known, out.after);
        out.instrument_currency = InstrumentCurrencies(known, out.listed);
        for (const auto& [symbol, currency] : out.instrument_currency) {
            if (currency != base) out.currencies.insert(currency);
        }
        if (stored && !Usable(*stored, p, out.instrument_currency)) {
            stored.reset();  // other settings or instrument currencies since: from the first transaction
            continue;
        }
        // Proportional to the transactions since the checkpoint: on the CPU pool, never on the
        // request's event loop.
        std::vector<portfolio::StoredReadCheckpoint> to_store = co_await app.Cpu().Run([&] {
            std::vector<portfolio::StoredReadCheckpoint> encoded;
            for (EncodedCheckpoint& cp :
                 AdvanceTo(out.checkpoint, p, opening, out.after, out.instrument_currency)) {
                encoded.push_back({cp.day, std::move(cp.state)});
            }
            return encoded;
        });
        // Best effort: a READ advisor may not write, and the answer does not depend on it. In
        // statements of a few megabytes at most (a first read of a long history passes many).
        std::size_t next = 0;
        while (next < to_store.size()) {
            std::vector<portfolio::StoredReadCheckpoint> chunk;
            std::size_t bytes = 0;
            while (next < to_store.size() &&
                   (chunk.empty() || bytes + to_store[next].state.size() <= kStoreBytes)) {
                bytes += to_store[next].state.size();
                chunk.push_back(std::move(to_store[next++]));
            }
            bool stored_chunk = false;
            try {
                stored_chunk =
                    co_await portfolios.StoreReadCheckpoints(actor, p, version, std::move(chunk), shard);
            } catch (const db::DbError& e) {
                spdlog::debug("analytics: read checkpoints of {} not stored: {}", p.id.ToString(), e.what());
            }
            if (!stored_chunk) break;
        }
        co_return out;
    }
}

}  // namespace nn::analytics
