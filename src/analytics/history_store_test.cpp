// The fingerprint that decides whether a stored history still matches the transactions.
#include "analytics/history_store.hpp"

#include <gtest/gtest.h>

namespace nn::analytics {
namespace {

portfolio::Transaction Deposit(const char* amount, const char* at) {
    portfolio::Transaction t;
    t.id = TransactionId::Generate();
    t.type = portfolio::TransactionType::kDeposit;
    t.amount = Decimal::FromString(amount);
    t.executed_at = TimestampFromString(at);
    return t;
}

TEST(HistoryFingerprint, OrderFreeAndSensitiveToWhatTheHistoryReads) {
    const Currency usd = Currency::FromCode("USD");
    const std::vector<portfolio::Transaction> txs{Deposit("100", "2024-02-29T10:00:00Z"),
                                                  Deposit("50", "2024-03-01T10:00:00Z")};
    const std::string fp = TransactionsFingerprint(txs, usd);
    EXPECT_EQ(fp.size(), 64u);
    EXPECT_EQ(TransactionsFingerprint({txs[1], txs[0]}, usd), fp);  // the page order does not matter

    struct Change {
        const char* what;
        void (*apply)(std::vector<portfolio::Transaction>&);
    };
    const Change changes[] = {
        {"amount", [](auto& v) { v[0].amount = Decimal::FromString("101"); }},
        {"date", [](auto& v) { v[0].executed_at = TimestampFromString("2024-02-28T10:00:00Z"); }},
        {"fee", [](auto& v) { v[1].fee = Decimal::FromString("1"); }},
        {"fx_rate", [](auto& v) { v[1].fx_rate = Decimal::FromString("1.1"); }},
        {"deleted", [](auto& v) { v.pop_back(); }},
    };
    for (const Change& c : changes) {
        std::vector<portfolio::Transaction> changed = txs;
        c.apply(changed);
        EXPECT_NE(TransactionsFingerprint(changed, usd), fp) << c.what;
    }
    EXPECT_NE(TransactionsFingerprint(txs, Currency::FromCode("EUR")), fp);
}

}  // namespace
}  // namespace nn::analytics
