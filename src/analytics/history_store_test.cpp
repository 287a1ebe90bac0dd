// The fingerprint that decides whether a stored history still matches the ledger: its version
// (which every change of a transaction moves: ledger_deriver.cpp, read_scale_pgtest.cpp) and
// the portfolio currency.
#include "analytics/history_store.hpp"

#include <gtest/gtest.h>

namespace nn::analytics {
namespace {

TEST(HistoryFingerprint, NamesTheLedgerVersionAndCurrency) {
    const Currency usd = Currency::FromCode("USD");
    const std::string fp = LedgerFingerprint(7, usd);
    EXPECT_EQ(fp.size(), 64u);
    EXPECT_EQ(LedgerFingerprint(7, usd), fp);
    EXPECT_NE(LedgerFingerprint(8, usd), fp);
    EXPECT_NE(LedgerFingerprint(0, usd), fp);
    EXPECT_NE(LedgerFingerprint(7, Currency::FromCode("EUR")), fp);
}

}  // namespace
}  // namespace nn::analytics
