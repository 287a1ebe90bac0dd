// Reads at scale (issue 16): a period opened from a read checkpoint (and the transactions since)
// gives exactly what the full computation from every transaction gives, for performance
// (RebuildHistory) and statements (BuildStatement), over random ledgers (mixed types, splits,
// transfers, same-day trades, two currencies with and without trade rates, gaps in the market
// data, both cost methods), several ranges, checkpoints stored on the way and read back, and
// after back-dated inserts, edits and deletes (which drop the checkpoints from their day on, as
// the portfolio's writes do).
#include "analytics/read_checkpoint.hpp"

#include <gtest/gtest.h>

#include <random>

#include <boost/json/serialize.hpp>

#include "analytics/statement.hpp"
#include "core/error.hpp"
#include "portfolio/holdings.hpp"

namespace nn::analytics {
namespace {

using portfolio::Transaction;
using portfolio::TransactionType;

const Date kStart{std::chrono::year(2021), std::chrono::January, std::chrono::day(4)};
constexpr int kDays = 3 * 365;

struct Market {
    std::map<std::string, std::vector<DatedValue>> closes;
    std::map<std::string, std::vector<DatedValue>> rates;
};

Decimal Dec(std::mt19937& rng, int lo, int hi, int scale = 2) {
    std::uniform_int_distribution<int> d(lo * 100, hi * 100);
    return Decimal::Mul(Decimal::FromInt(d(rng)), Decimal::FromString("0.01"), scale);
}

// A valid ledger: sells and transfers out never exceed the position (no shorts), in time order.
std::vector<Transaction> RandomLedger(std::mt19937& rng, int count) {
    const std::vector<std::string> symbols{"AAA", "BBB", "EEE"};  // EEE trades in EUR
    std::map<std::string, Decimal> held;
    std::vector<Transaction> out;
    int day = 0;
    int minute = 0;
    for (int i = 0; i < count; ++i) {
        if (rng() % 3 != 0) {
            day += 1 + static_cast<int>(rng() % 3);  // several a day, now and then
            minute = static_cast<int>(rng() % 600);
        } else {
            minute = std::min(1439, minute + 1 + static_cast<int>(rng() % 30));
        }
        if (day >= kDays) break;
        Transaction t;
        t.id = TransactionId::Generate();
        t.executed_at = StartOfDay(AddDays(kStart, day)) + std::chrono::minutes(minute);
        t.created_at = TimestampFromString("2025-01-01T00:00:00Z") + std::chrono::seconds(i);
        // EEE trades rarely: its last trade is often before a period (a checkpoint carries it).
        const unsigned pick = rng() % 100;
        const std::string symbol = symbols[pick < 48 ? 0 : pick < 96 ? 1 : 2];
        const bool eur = symbol == "EEE" ? true : rng() % 5 == 0;
        t.currency = Currency::FromCode(eur ? "EUR" : "USD");
        if (eur && rng() % 3 != 0) t.fx_rate = Dec(rng, 1, 2, 4);
        const int kind = static_cast<int>(rng() % 100);
        if (kind < 15) {
            t.type = rng() % 4 == 0 ? TransactionType::kTransferIn : TransactionType::kDeposit;
            t.amount = Dec(rng, 100, 5000);
        } else if (kind < 20) {
            t.type = rng() % 3 == 0 ? TransactionType::kTransferOut : TransactionType::kWithdrawal;
            t.amount = Dec(rng, 10, 800);
        } else if (kind < 55 || held[symbol].IsZero()) {
            t.type = kind < 52 ? TransactionType::kBuy : TransactionType::kTransferIn;
            t.symbol = symbol;
            t.currency = Currency::FromCode(symbol == "EEE" ? "EUR" : "USD");
            if (symbol != "EEE") t.fx_rate.reset();
            t.quantity = Decimal::FromInt(1 + static_cast<int>(rng() % 20));
            t.price = Dec(rng, 5, 200);
            if (rng() % 2 == 0) t.fee = Dec(rng, 0, 5);
            held[symbol] += *t.quantity;
        } else if (kind < 78) {
            t.type = kind < 75 ? TransactionType::kSell : TransactionType::kTransferOut;
            t.symbol = symbol;
            t.currency = Currency::FromCode(symbol == "EEE" ? "EUR" : "USD");
            if (symbol != "EEE") t.fx_rate.reset();
            const Decimal half = Decimal::Div(held[symbol], Decimal::FromInt(2), 0);
            t.quantity = half.IsZero() ? held[symbol] : half;
            t.price = Dec(rng, 5, 200);
            if (rng() % 2 == 0) t.fee = Dec(rng, 0, 5);
            held[symbol] -= *t.quantity;
        } else if (kind < 88) {
            t.type = TransactionType::kDividend;
            t.symbol = symbol;
            t.currency = Currency::FromCode(symbol == "EEE" ? "EUR" : "USD");
            if (symbol != "EEE") t.fx_rate.reset();
            t.amount = Dec(rng, 1, 50);
            if (rng() % 2 == 0) t.fee = Dec(rng, 0, 1);
        } else if (kind < 93) {
            t.type = TransactionType::kInterest;
            t.amount = Dec(rng, 1, 20);
        } else if (kind < 96) {
            t.type = TransactionType::kFee;
            t.amount = Dec(rng, 1, 10);
        } else {
            t.type = TransactionType::kSplit;
            t.symbol = symbol;
            t.currency = Currency::FromCode(symbol == "EEE" ? "EUR" : "USD");
            t.fx_rate.reset();
            t.split_ratio = Decimal::FromInt(2);
            held[symbol] = Decimal::Mul(held[symbol], Decimal::FromInt(2), 10);
        }
        out.push_back(t);
    }
    return out;
}

Market RandomMarket(std::mt19937& rng) {
    Market m;
    for (int day = -30; day < kDays + 30; ++day) {
        const Date d = AddDays(kStart, day);
        // Weeks and months without a close or a rate: the last trade price and rate stand in.
        const std::map<std::string, std::pair<int, int>> silent{
            {"AAA", {200, 240}}, {"BBB", {300, 420}}, {"EEE", {500, 800}}};
        for (const auto& [symbol, gap] : silent) {
            if (rng() % 10 < 7 && !(day > gap.first && day < gap.second)) {
                m.closes[symbol].push_back({d, Dec(rng, 5, 200)});
            }
        }
        if (rng() % 10 < 8 && !(day > 400 && day < 470) && !(day > 650 && day < 760))
            m.rates["EUR"].push_back({d, Dec(rng, 1, 2, 4)});
    }
    return m;
}

std::map<std::string, std::vector<DatedValue>> Window(
    const std::map<std::string, std::vector<DatedValue>>& all, Date from, Date to) {
    std::map<std::string, std::vector<DatedValue>> out;
    for (const auto& [key, series] : all) {
        for (const DatedValue& v : series) {
            if (v.date >= from && v.date <= to) out[key].push_back(v);
        }
    }
    return out;
}

std::string Text(const History& h) {
    std::string out = h.period.opening_value.ToString() + "\n";
    for (const DayPoint& d : h.period.days) {
        out += FormatDate(d.date) + " " + d.value.ToString() + " " + d.inflow.ToString() + " " +
               d.outflow.ToString() + " " + d.income.ToString() + " " + d.fx_effect.ToString() + "\n";
    }
    for (const HistoryGap& g : h.gaps) out += FormatDate(g.date) + " " + g.what + "\n";
    return out;
}

// The full computation (the reference): every transaction, in replay order.
History FullHistory(const portfolio::Portfolio& p,
                    std::vector<Transaction> txs,
                    const std::map<std::string, std::string>& listed,
                    const Market& m,
                    Date first,
                    Date last) {
    portfolio::SortForReplay(txs);
    HistoryInputs in;
    in.base_currency = std::string(p.currency.Code());
    in.movements = ToMovements(txs, p.currency);
    in.instrument_currency = InstrumentCurrencies(txs, listed);
    in.closes = Window(m.closes, AddDays(first, -kLookbackDays), last);
    in.rates = Window(m.rates, AddDays(first, -kLookbackDays), last);
    return RebuildHistory(in, first, last);
}

// Stored checkpoints by day, encoded, as portfolio.read_checkpoints holds them.
using Store = std::map<Date, std::string>;

struct Opened {
    ReadCheckpoint cp;
    std::vector<Transaction> after;
    std::map<std::string, std::string> instrument_currency;
};

// As OpenPeriod does: the latest stored checkpoint on or before LatestOpening(first), the
// transactions after it up to `last`, advanced to the opening (storing what it passes).
Opened Open(Store& store,
            const portfolio::Portfolio& p,
            const std::vector<Transaction>& all,
            const std::map<std::string, std::string>& listed,
            Date first,
            Date last) {
    const Date opening = LatestOpening(first);
    std::optional<ReadCheckpoint> stored;
    auto it = store.upper_bound(opening);
    if (it != store.begin()) {
        stored = DecodeCheckpoint(std::prev(it)->second);
        EXPECT_TRUE(stored.has_value());
    }
    for (;;) {
        Opened o;
        o.cp = stored ? *stored : EmptyCheckpoint(p);
        for (const Transaction& t : all) {
            const Date d = ToDate(t.executed_at);
            if ((!o.cp.day || d > *o.cp.day) && d <= last) o.after.push_back(t);
        }
        portfolio::SortForReplay(o.after);
        SymbolCurrencies known = o.cp.currencies;
        AddCurrencies(known, o.after);
        o.instrument_currency = InstrumentCurrencies(known, listed);
        if (stored && !Usable(*stored, p, o.instrument_currency)) {
            stored.reset();
            continue;
        }
        for (const EncodedCheckpoint& cp : AdvanceTo(o.cp, p, opening, o.after, o.instrument_currency, 24)) {
            store[cp.day] = cp.state;
        }
        return o;
    }
}

History CheckpointHistory(Store& store,
                          const portfolio::Portfolio& p,
                          const std::vector<Transaction>& all,
                          const std::map<std::string, std::string>& listed,
                          const Market& m,
                          Date first,
                          Date last) {
    Opened o = Open(store, p, all, listed, first, last);
    HistoryInputs in;
    in.base_currency = std::string(p.currency.Code());
    in.movements = ToMovements(o.after, p.currency);
    in.instrument_currency = o.instrument_currency;
    in.closes = Window(m.closes, AddDays(first, -kLookbackDays), last);
    in.rates = Window(m.rates, AddDays(first, -kLookbackDays), last);
    return RebuildHistory(in, first, last, o.cp.history);
}

StatementInputs StatementBase(const portfolio::Portfolio& p,
                              const std::map<std::string, std::string>& listed,
                              const Market& m,
                              StatementPeriod period) {
    StatementInputs in;
    in.portfolio = p;
    in.period = period;
    in.as_of = period.end;
    in.instrument_currency = listed;
    in.closes = Window(m.closes, AddDays(period.start, -kLookbackDays), period.end);
    in.rates = Window(m.rates, AddDays(period.start, -kLookbackDays), period.end);
    return in;
}

std::string Rendered(const Statement& s) {
    return boost::json::serialize(StatementJson(s)) + "\n" + StatementCsv(s);
}

void ExpectSameReads(Store& store,
                     const portfolio::Portfolio& p,
                     const std::vector<Transaction>& txs,
                     const std::map<std::string, std::string>& listed,
                     const Market& m,
                     std::mt19937& rng,
                     const std::string& what) {
    for (int r = 0; r < 5; ++r) {
        const int a = static_cast<int>(rng() % kDays);
        const int b = std::min(kDays - 1, a + static_cast<int>(rng() % (r % 2 == 0 ? 40 : 400)));
        const Date first = AddDays(kStart, a), last = AddDays(kStart, b);
        EXPECT_EQ(Text(CheckpointHistory(store, p, txs, listed, m, first, last)),
                  Text(FullHistory(p, txs, listed, m, first, last)))
            << what << " performance " << FormatDate(first) << ".." << FormatDate(last);

        const Date month = AddDays(kStart, static_cast<int>(rng() % kDays));
        const StatementPeriod period = MonthlyPeriod(static_cast<int>(month.year()),
                                                     static_cast<int>(static_cast<unsigned>(month.month())));
        StatementInputs full = StatementBase(p, listed, m, period);
        full.transactions = txs;
        StatementInputs opened = StatementBase(p, listed, m, period);
        Opened o = Open(store, p, txs, listed, period.start, period.end);
        opened.opening = o.cp;
        opened.transactions = o.after;
        EXPECT_EQ(Rendered(BuildStatement(opened)), Rendered(BuildStatement(full)))
            << what << " statement " << FormatDate(period.start);
    }
}

bool Valid(const portfolio::Portfolio& p, const std::vector<Transaction>& txs) {
    return portfolio::Replay(txs, {p.currency, p.cost_basis_method, p.allow_short}).HasValue();
}

// What a write does to the stored checkpoints: those on or after its earliest day go.
void Invalidate(Store& store, Date from) {
    store.erase(store.lower_bound(from), store.end());
}

TEST(ReadCheckpoint, OpensPeriodsExactlyAsTheFullComputation) {
    int edits = 0;
    for (unsigned seed = 1; seed <= 12; ++seed) {
        std::mt19937 rng(seed);
        portfolio::Portfolio p;
        p.id = PortfolioId::Generate();
        p.currency = Currency::FromCode("USD");
        p.cost_basis_method =
            seed % 2 == 0 ? portfolio::CostBasisMethod::kFifo : portfolio::CostBasisMethod::kAverage;
        const std::map<std::string, std::string> listed =
            seed % 3 == 0 ? std::map<std::string, std::string>{}
                          : std::map<std::string, std::string>{{"EEE", "EUR"}};
        std::vector<Transaction> txs = RandomLedger(rng, 700);
        {
            auto replayed = portfolio::Replay(txs, {p.currency, p.cost_basis_method, p.allow_short});
            ASSERT_TRUE(replayed.HasValue()) << seed << " " << replayed.Error().message;
        }
        const Market m = RandomMarket(rng);
        Store store;
        ExpectSameReads(store, p, txs, listed, m, rng, "seed " + std::to_string(seed));
        EXPECT_FALSE(store.empty());

        // Back-dated changes: the checkpoints from their day on go, the earlier ones are used.
        for (int e = 0; e < 6; ++e) {
            std::vector<Transaction> changed = txs;
            const std::size_t at = rng() % changed.size();
            Date from = ToDate(changed[at].executed_at);
            const int kind = e % 3;
            if (kind == 0) {
                changed.erase(changed.begin() + static_cast<std::ptrdiff_t>(at));
            } else if (kind == 1) {
                Transaction& t = changed[at];
                if (t.amount) t.amount = *t.amount + Decimal::FromInt(1);
                if (t.price) t.price = *t.price + Decimal::FromInt(3);
                t.fee = t.fee + Decimal::FromString("0.5");
                t.executed_at -= std::chrono::hours(24 * static_cast<int>(rng() % 60));
                from = std::min(from, ToDate(t.executed_at));
            } else {
                Transaction t = changed[at];
                t.id = TransactionId::Generate();
                t.type = TransactionType::kDeposit;
                t.symbol.reset();
                t.quantity.reset();
                t.price.reset();
                t.split_ratio.reset();
                t.amount = Decimal::FromInt(250);
                changed.push_back(t);
            }
            if (!Valid(p, changed)) continue;
            ++edits;
            txs = std::move(changed);
            Invalidate(store, from);
            ExpectSameReads(store, p, txs, listed, m, rng,
                            "seed " + std::to_string(seed) + " edit " + std::to_string(e));
        }
    }
    EXPECT_GT(edits, 30);
}

// A history the ledger refuses (written around the checks): performance does not need the
// ledger and is answered as before; a statement gives the full replay's 422.
TEST(ReadCheckpoint, ARefusedLedgerFailsStatementsOnly) {
    std::mt19937 rng(7);
    portfolio::Portfolio p;
    p.id = PortfolioId::Generate();
    p.currency = Currency::FromCode("USD");
    std::vector<Transaction> txs = RandomLedger(rng, 400);
    Transaction oversold;
    oversold.id = TransactionId::Generate();
    oversold.type = TransactionType::kSell;
    oversold.symbol = "AAA";
    oversold.quantity = Decimal::FromInt(1'000'000);
    oversold.price = Decimal::FromInt(10);
    oversold.executed_at = StartOfDay(AddDays(kStart, 100)) + std::chrono::hours(1);
    txs.push_back(oversold);
    ASSERT_FALSE(Valid(p, txs));
    const std::map<std::string, std::string> listed{{"EEE", "EUR"}};
    const Market m = RandomMarket(rng);
    Store store;
    const Date first = AddDays(kStart, 300), last = AddDays(kStart, 330);
    EXPECT_EQ(Text(CheckpointHistory(store, p, txs, listed, m, first, last)),
              Text(FullHistory(p, txs, listed, m, first, last)));
    ASSERT_FALSE(store.empty());
    EXPECT_TRUE(DecodeCheckpoint(std::prev(store.end())->second)->refused.has_value());
    const StatementPeriod period = MonthlyPeriod(2022, 3);
    StatementInputs full = StatementBase(p, listed, m, period);
    full.transactions = txs;
    StatementInputs opened = StatementBase(p, listed, m, period);
    Opened o = Open(store, p, txs, listed, period.start, period.end);
    opened.opening = o.cp;
    opened.transactions = o.after;
    std::string full_error, opened_error;
    try {
        BuildStatement(full);
    } catch (const nn::Error& e) {
        full_error = e.Code() + " " + e.what();
    }
    try {
        BuildStatement(opened);
    } catch (const nn::Error& e) {
        opened_error = e.Code() + " " + e.what();
    }
    EXPECT_NE(full_error, "");
    EXPECT_EQ(opened_error, full_error);
}

TEST(ReadCheckpoint, EncodingRoundTripsAndRefusesOtherText) {
    std::mt19937 rng(99);
    portfolio::Portfolio p;
    p.currency = Currency::FromCode("USD");
    std::vector<Transaction> txs = RandomLedger(rng, 300);
    portfolio::SortForReplay(txs);
    ReadCheckpoint cp = EmptyCheckpoint(p);
    AdvanceTo(cp, p, AddDays(kStart, 400), txs, {{"EEE", "EUR"}});
    const std::string text = EncodeCheckpoint(cp);
    const std::optional<ReadCheckpoint> back = DecodeCheckpoint(text);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(EncodeCheckpoint(*back), text);
    EXPECT_FALSE(DecodeCheckpoint("").has_value());
    EXPECT_FALSE(DecodeCheckpoint("{}").has_value());
    EXPECT_FALSE(DecodeCheckpoint(R"({"v":2})").has_value());
    // Another portfolio currency or cost method: not usable.
    portfolio::Portfolio other = p;
    other.currency = Currency::FromCode("EUR");
    EXPECT_FALSE(Usable(cp, other, {{"EEE", "EUR"}}));
    other = p;
    other.cost_basis_method = portfolio::CostBasisMethod::kFifo;
    EXPECT_FALSE(Usable(cp, other, {{"EEE", "EUR"}}));
    EXPECT_TRUE(Usable(cp, p, {{"EEE", "EUR"}}));
}

}  // namespace
}  // namespace nn::analytics
