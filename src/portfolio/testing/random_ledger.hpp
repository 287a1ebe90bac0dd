#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "portfolio/model.hpp"

// Random, valid ledgers for the incremental-ledger property test and the ledger benchmark:
// every transaction type, splits, short sales when allowed, several currencies (a symbol
// trades in one currency; foreign trades carry a rate, or none so base figures go missing).
// Deterministic for a seed. Test and benchmark code only.
namespace nn::portfolio::testing {

struct RandomLedgerOptions {
    std::size_t symbols = 8;
    bool allow_short = false;
    Currency base = Currency::FromCode("USD");
    Timestamp start = Timestamp{} + std::chrono::hours(24 * 365 * 50);  // 2020
    std::chrono::seconds step{3600};  // the mean distance between two transactions
    std::uint64_t split_rarity = 50;  // 1 in 50 of the 2 % picked for a split is one
};

class RandomLedger {
public:
    explicit RandomLedger(std::uint64_t seed, RandomLedgerOptions options = {})
        : rng_(seed), options_(options), now_(options.start), split_rarity_(options.split_rarity) {}

    std::string Symbol(std::size_t i) const { return "S" + std::to_string(i); }
    Currency CurrencyOf(std::size_t i) const {
        static const char* kCodes[] = {"USD", "EUR", "GBP"};
        return Currency::FromCode(kCodes[i % 3]);
    }

    // The next transaction, dated after every one made so far (several on one instant, too).
    Transaction Next() {
        if (Pick(10) != 0) now_ += std::chrono::seconds(1 + Pick(2 * options_.step.count()));
        Transaction t = Make(now_);
        return t;
    }

    // A transaction dated at `at` (a back-dated insert); it may fail against the ledger (a
    // sale of more than is held then), which the caller's derivation must refuse alike.
    Transaction At(Timestamp at) { return Make(at); }

    std::vector<Transaction> Many(std::size_t n) {
        std::vector<Transaction> out;
        out.reserve(n);
        for (std::size_t i = 0; i < n; ++i) out.push_back(Next());
        return out;
    }

    std::uint64_t Pick(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }

private:
    Decimal Amount(int lo, int hi, int scale) {
        const std::int64_t units =
            lo + static_cast<std::int64_t>(Pick(static_cast<std::uint64_t>(hi - lo + 1)));
        std::int64_t frac = 0;
        for (int i = 0; i < scale; ++i) frac = frac * 10 + static_cast<std::int64_t>(Pick(10));
        std::int64_t pow = 1;
        for (int i = 0; i < scale; ++i) pow *= 10;
        return Decimal::FromUnscaled(static_cast<__int128>(units) * pow + frac, scale);
    }

    Transaction Make(Timestamp at) {
        Transaction t;
        t.id = TransactionId::Generate();
        t.executed_at = at;
        t.created_at = at;
        const std::size_t s = Pick(options_.symbols);
        const std::string symbol = Symbol(s);
        const Currency currency = CurrencyOf(s);
        Decimal& held = held_[symbol];
        const std::uint64_t kind = Pick(100);
        t.currency = currency;
        if (currency != options_.base && Pick(20) != 0)
            t.fx_rate = Amount(0, 1, 6) + Decimal::FromUnscaled(5, 1);
        if (Pick(3) == 0) t.fee = Amount(0, 5, 2);
        if (kind < 40) {
            t.type = TransactionType::kBuy;
        } else if (kind < 70) {
            t.type = TransactionType::kSell;
        } else if (kind < 76) {
            t.type = Pick(2) ? TransactionType::kTransferIn : TransactionType::kTransferOut;
        } else if (kind < 84) {
            t.type = TransactionType::kDividend;
            t.symbol = symbol;
            t.amount = Amount(1, 200, 2);
            return t;
        } else if (kind < 88) {
            t.type = TransactionType::kInterest;
            if (Pick(2)) t.symbol = symbol;
            t.amount = Amount(1, 50, 2);
            return t;
        } else if (kind < 91) {
            t.type = TransactionType::kFee;
            if (Pick(2)) t.symbol = symbol;
            t.amount = Amount(1, 20, 2);
            return t;
        } else if (kind < 96) {
            t.type = kind < 94 ? TransactionType::kDeposit : TransactionType::kWithdrawal;
            t.amount = Amount(100, 5000, 2);
            t.fx_rate.reset();
            if (Pick(4) == 0) t.currency = CurrencyOf(Pick(3));
            if (t.currency != options_.base) t.fx_rate = Amount(0, 1, 6) + Decimal::FromUnscaled(5, 1);
            return t;
        } else if (kind < 98 && Pick(split_rarity_) == 0) {
            // Rare, as in life: a split rescales every open lot.
            t.type = TransactionType::kSplit;
            t.symbol = symbol;
            t.split_ratio = Pick(2) ? Decimal::FromInt(2) : Decimal::FromUnscaled(5, 1);
            held = Decimal::Mul(held, *t.split_ratio, kAmountScale).Normalized();
            return t;
        } else if (kind >= 98) {
            // A cash transfer (no symbol).
            t.type = Pick(2) ? TransactionType::kTransferIn : TransactionType::kTransferOut;
            t.amount = Amount(10, 1000, 2);
            return t;
        } else {
            t.type = TransactionType::kBuy;
        }
        t.symbol = symbol;
        const bool in = t.type == TransactionType::kBuy || t.type == TransactionType::kTransferIn;
        Decimal q = Amount(1, 50, Pick(3) == 0 ? 4 : 0);
        if (!in && !options_.allow_short) {
            // Sell at most what is held; nothing held: buy instead.
            if (!held.IsPositive()) {
                t.type =
                    t.type == TransactionType::kSell ? TransactionType::kBuy : TransactionType::kTransferIn;
            } else if (q > held) {
                q = Pick(2) ? held : Decimal::Div(held, Decimal::FromInt(2), 4).Normalized();
                if (!q.IsPositive()) q = held;
            }
        }
        const bool now_in = t.type == TransactionType::kBuy || t.type == TransactionType::kTransferIn;
        t.quantity = q;
        if (t.type == TransactionType::kBuy || t.type == TransactionType::kSell || Pick(2)) {
            t.price = Amount(1, 500, 2);
        }
        held = now_in ? held + q : held - q;
        return t;
    }

    std::mt19937_64 rng_;
    RandomLedgerOptions options_;
    Timestamp now_;
    std::uint64_t split_rarity_;
    std::map<std::string, Decimal> held_;
};

}  // namespace nn::portfolio::testing
