#include "analytics/period_opening.hpp"

#include <spdlog/spdlog.h>

#include "analytics/market_reader.hpp"
#include "analytics/transaction_reader.hpp"
#include "infra/app/app.hpp"
#include "infra/db/errors.hpp"
#include "portfolio/holdings.hpp"

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
    const Timestamp until = StartOfDay(AddDays(last, 1));
    // The checkpoint and the transactions after it in one read snapshot; read again from the
    // first transaction only when the checkpoint cannot serve (unreadable, or other settings or
    // instrument currencies since it was stored).
    portfolio::Service::OpeningRead read =
        co_await portfolios.ReadOpening(actor, p.id, opening, until, page_size, shard);
    std::optional<ReadCheckpoint> stored;
    if (read.checkpoint) stored = DecodeCheckpoint(read.checkpoint->state);
    bool from_inception = read.checkpoint && !stored;
    for (;;) {
        if (from_inception) {
            read = co_await portfolios.ReadOpening(actor, p.id, std::nullopt, until, page_size, shard);
            stored.reset();
            from_inception = false;
        }
        PeriodOpening out;
        out.checkpoint = stored ? *stored : EmptyCheckpoint(p);
        CountTransactionRowsRead(read.after.size());
        out.after = std::move(read.after);
        portfolio::SortForReplay(out.after);
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
            from_inception = true;  // other settings or instrument currencies since
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
