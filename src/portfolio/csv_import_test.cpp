#include "portfolio/csv_import.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <string>

namespace nn::portfolio {
namespace {

const Timestamp kNow = TimestampFromString("2025-01-01T00:00:00Z");
const std::string kHeader = "type,symbol,quantity,price,currency,executed_at\n";

std::size_t ReportBytes(const CsvImport& import) {
    return boost::json::serialize(ToJson(import)).size();
}

// A megabyte of commas once produced a million errors (a 92 MB answer).
TEST(CsvImport, AMegabyteOfCommasGivesOneBoundedError) {
    const std::string commas(1 << 20, ',');
    CsvImport header_only = ParseTransactionsCsv(commas, kNow);
    EXPECT_EQ(header_only.error_count, 1u);
    EXPECT_LE(header_only.errors.size(), kMaxImportErrors);
    EXPECT_LT(ReportBytes(header_only), 4096u);

    CsvImport in_data = ParseTransactionsCsv(kHeader + commas, kNow);
    EXPECT_EQ(in_data.error_count, 1u);
    ASSERT_EQ(in_data.errors.size(), 1u);
    EXPECT_EQ(in_data.errors[0].line, 2u);
    EXPECT_LT(ReportBytes(in_data), 4096u);
}

TEST(CsvImport, OnlyTheFirstErrorsAreListedButAllAreCounted) {
    std::string text = kHeader;
    for (int i = 0; i < 5000; ++i) text += "BUY,AAPL,1,10,XXX,2024-01-02\n";
    CsvImport parsed = ParseTransactionsCsv(text, kNow);
    EXPECT_EQ(parsed.lines, 5000u);
    EXPECT_EQ(parsed.error_count, 5000u);
    ASSERT_EQ(parsed.errors.size(), kMaxImportErrors);
    EXPECT_EQ(parsed.errors.front().line, 2u);
    EXPECT_EQ(parsed.errors.back().line, 101u);
    const auto json = ToJson(parsed);
    EXPECT_EQ(json.at("error_count").as_uint64(), 5000u);
    EXPECT_TRUE(json.at("errors_truncated").as_bool());
    EXPECT_LT(ReportBytes(parsed), 16u << 10);
}

TEST(CsvImport, LongLinesAndWideRecordsAreRefusedAndTheRestIsRead) {
    std::string text = kHeader;
    text += "BUY,AAPL,1,10,USD,2024-01-02," + std::string(kMaxImportColumns, ',') + "\n";
    text += "BUY,\"" + std::string(kMaxImportLineBytes, 'x') + "\",1,10,USD,2024-01-02\n";
    text += "BUY,AAPL,1,10,USD,2024-01-02\n";
    CsvImport parsed = ParseTransactionsCsv(text, kNow);
    EXPECT_EQ(parsed.lines, 3u);
    ASSERT_EQ(parsed.errors.size(), 2u);
    EXPECT_EQ(parsed.errors[0].line, 2u);
    EXPECT_NE(parsed.errors[0].message.find("64 fields"), std::string::npos);
    EXPECT_EQ(parsed.errors[1].line, 3u);
    EXPECT_NE(parsed.errors[1].message.find("longer"), std::string::npos);
    EXPECT_EQ(parsed.transactions.size(), 1u);
}

TEST(CsvImport, AValidFileHasNoErrors) {
    CsvImport parsed = ParseTransactionsCsv(kHeader + "BUY,AAPL,2,10.5,USD,2024-01-02\n", kNow);
    EXPECT_EQ(parsed.error_count, 0u);
    EXPECT_TRUE(parsed.errors.empty());
    ASSERT_EQ(parsed.transactions.size(), 1u);
    EXPECT_FALSE(ToJson(parsed).at("errors_truncated").as_bool());
}

}  // namespace
}  // namespace nn::portfolio
