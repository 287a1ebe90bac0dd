#include "infra/db/text_array.hpp"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "infra/db/codec.hpp"
#include "infra/db/query.hpp"

namespace nn::db {
namespace {

struct LiteralCase {
    std::vector<std::optional<std::string>> items;
    std::string literal;
};

TEST(TextArray, LiteralQuotesAsPostgresPrints) {
    const std::vector<LiteralCase> cases{
        {{}, "{}"},
        {{"AAPL", "MSFT"}, "{AAPL,MSFT}"},
        {{"12.50", "2024-01-02"}, "{12.50,2024-01-02}"},
        {{"A,B"}, R"({"A,B"})"},
        {{"{x}"}, R"({"{x}"})"},
        {{R"(say "hi")"}, R"({"say \"hi\""})"},
        {{R"(back\slash)"}, R"({"back\\slash"})"},
        {{""}, R"({""})"},
        {{std::nullopt, "b"}, "{NULL,b}"},
        {{"NULL", "null", "Null"}, R"({"NULL","null","Null"})"},
        {{"nullable"}, "{nullable}"},
        {{"two words", "tab\there"}, "{\"two words\",\"tab\there\"}"},
        {{"héllo"}, "{héllo}"},
    };
    for (const auto& c : cases) EXPECT_EQ(ArrayLiteral(TextArray(c.items)), c.literal) << c.literal;
}

TEST(TextArray, IdsAsTheirText) {
    const auto a = *Uuid::Parse("0190a8c2-7b4e-7c3d-8e5f-0a1b2c3d4e5f");
    const auto b = *Uuid::Parse("0190a8c2-7b4e-7c3d-8e5f-0a1b2c3d4e60");
    const std::vector<PortfolioId> ids{PortfolioId(b), PortfolioId(a)};
    const TextArray array = IdArray(ids);
    ASSERT_EQ(array.items.size(), 2u);  // in order, one element each, none NULL
    EXPECT_EQ(array.items[0], b.ToString());
    EXPECT_EQ(array.items[1], a.ToString());
    EXPECT_TRUE(IdArray(std::vector<Uuid>{}).items.empty());
}

TEST(TextArray, FromPlainStrings) {
    const std::vector<std::string> plain{"a", "b"};
    const TextArray array(plain);
    ASSERT_EQ(array.items.size(), 2u);
    EXPECT_EQ(array.items[1], "b");
}

// The binary text[] of the wire: dims, has-null flag, element oid, length, lower bound, then a
// length (-1 for NULL) and the bytes of each element.
TEST(TextArray, BinaryParameterCarriesNullsAndRawBytes) {
    ParamValue p;
    ParamTraits<TextArray>::Write(
        TextArray(std::vector<std::optional<std::string>>{"a\"b", std::nullopt, ""}), p);
    EXPECT_TRUE(p.binary);
    EXPECT_EQ(ParamTraits<TextArray>::kOid, 1009u);
    const char* d = p.bytes.data();
    EXPECT_EQ(ReadBigEndian(d, 4), 1u);
    EXPECT_EQ(ReadBigEndian(d + 4, 4), 1u);  // has NULLs
    EXPECT_EQ(ReadBigEndian(d + 8, 4), oid::kText);
    EXPECT_EQ(ReadBigEndian(d + 12, 4), 3u);
    EXPECT_EQ(ReadBigEndian(d + 16, 4), 1u);
    EXPECT_EQ(ReadBigEndian(d + 20, 4), 3u);
    EXPECT_EQ(std::string(d + 24, 3), "a\"b");
    EXPECT_EQ(ReadBigEndian(d + 27, 4), 0xffffffffu);
    EXPECT_EQ(ReadBigEndian(d + 31, 4), 0u);
    EXPECT_EQ(p.bytes.size(), 35u);

    ParamValue no_null;
    ParamTraits<TextArray>::Write(TextArray(std::vector<std::string>{"x"}), no_null);
    EXPECT_EQ(ReadBigEndian(no_null.bytes.data() + 4, 4), 0u);
}

}  // namespace
}  // namespace nn::db
