// CSV downloads neutralise formula cells (issue 15, item 13; OWASP "CSV Injection").
#include <gtest/gtest.h>

#include "analytics/statement.hpp"

namespace nn::analytics {
namespace {

TEST(CsvInjection, FormulaCellsGetAQuoteAndNumbersStay) {
    struct Case {
        const char* in;
        const char* out;
    };
    const Case cases[] = {
        {"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
        {"=1+1", "'=1+1"},
        {"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
        {"-2+3", "'-2+3"},
        {"@SUM(A1)", "'@SUM(A1)"},
        {"\tx", "'\tx"},
        {"\rx", "'\rx"},
        {"-", "'-"},
        {"-.", "'-."},
        {"-12.50", "-12.50"},
        {"+3", "+3"},
        {"-1e-5", "-1e-5"},
        {"-0.0000000001", "-0.0000000001"},
        {"AAPL", "AAPL"},
        {"", ""},
        {"12.5", "12.5"},
    };
    for (const auto& c : cases) EXPECT_EQ(NeutralizeCsvFormula(c.in), c.out) << c.in;
}

}  // namespace
}  // namespace nn::analytics
