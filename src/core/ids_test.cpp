#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/error.hpp"

namespace nn {
namespace {

TEST(Uuid, ParsesCanonicalFormInEitherCase) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000"},
        {"123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000"},
        {"123E4567-E89B-12D3-A456-426614174000", "123e4567-e89b-12d3-a456-426614174000"},
        {"FFFFFFFF-ffff-FFFF-ffff-FFFFFFFFFFFF", "ffffffff-ffff-ffff-ffff-ffffffffffff"},
        {"017f22e2-79b0-7cc3-98c4-dc0c0c07398f", "017f22e2-79b0-7cc3-98c4-dc0c0c07398f"},  // RFC 9562 A.6
    };
    for (const auto& [input, canonical] : cases) {
        SCOPED_TRACE(input);
        const auto id = Uuid::Parse(input);
        ASSERT_TRUE(id.has_value());
        EXPECT_EQ(id->ToString(), canonical);
        EXPECT_EQ(Uuid::Parse(id->ToString()), id);
    }
    const Uuid id = *Uuid::Parse("123e4567-e89b-12d3-a456-426614174000");
    EXPECT_EQ(id.AsBytes()[0], 0x12);
    EXPECT_EQ(id.AsBytes()[15], 0x00);
    EXPECT_EQ(id.AsBytes()[14], 0x40);
    EXPECT_EQ(id.Version(), 1);
}

TEST(Uuid, RejectsEverythingElse) {
    for (const std::string bad : {
             "",
             "123e4567e89b12d3a456426614174000",        // no hyphens
             "{123e4567-e89b-12d3-a456-426614174000}",  // braces
             "urn:uuid:123e4567-e89b-12d3-a456-426614174000",
             "123e4567-e89b-12d3-a456-42661417400",    // 35 chars
             "123e4567-e89b-12d3-a456-4266141740000",  // 37 chars
             "123e4567-e89b-12d3-a456_426614174000",   // wrong separator
             "123e456-7e89b-12d3-a456-426614174000",   // hyphen misplaced
             "123e4567-e89b-12d3-a456-42661417400g",   // not hex
             " 23e4567-e89b-12d3-a456-426614174000",
             "123e4567-e89b-12d3-a456-42661417400 ",
             "+23e4567-e89b-12d3-a456-426614174000",
         }) {
        SCOPED_TRACE(bad);
        EXPECT_FALSE(Uuid::Parse(bad).has_value());
    }
    try {
        Uuid::FromString("nope");
        FAIL() << "no throw";
    } catch (const Error& e) {
        EXPECT_EQ(e.Code(), "uuid.invalid");
    }
}

TEST(Uuid, NilAndBytes) {
    EXPECT_TRUE(Uuid().IsNil());
    EXPECT_EQ(Uuid().ToString(), "00000000-0000-0000-0000-000000000000");
    Uuid::Bytes bytes{};
    bytes[15] = 1;
    EXPECT_FALSE(Uuid(bytes).IsNil());
    EXPECT_EQ(Uuid::FromBytes(bytes).ToString(), "00000000-0000-0000-0000-000000000001");
}

TEST(Uuid, V4HasVersionAndVariantBits) {
    std::set<Uuid> seen;
    for (int i = 0; i < 1000; ++i) {
        const Uuid id = Uuid::GenerateV4();
        EXPECT_EQ(id.Version(), 4);
        EXPECT_EQ(id.AsBytes()[8] & 0xC0, 0x80);
        EXPECT_EQ(id.ToString()[14], '4');
        EXPECT_TRUE(seen.insert(id).second);
    }
    // 122 random bits: over 1000 ids every free bit position takes both values.
    for (int bit = 0; bit < 128; ++bit) {
        if (bit >= 48 && bit < 52) continue;   // version
        if (bit == 64 || bit == 65) continue;  // variant
        int ones = 0;
        for (const Uuid& id : seen) ones += (id.AsBytes()[bit / 8] >> (7 - bit % 8)) & 1;
        EXPECT_GT(ones, 0) << "bit " << bit;
        EXPECT_LT(ones, 1000) << "bit " << bit;
    }
}

TEST(Uuid, V7CarriesTheTimeAndBits) {
    const auto before = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const Uuid id = Uuid::GenerateV7();
    const auto after = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    EXPECT_EQ(id.Version(), 7);
    EXPECT_EQ(id.ToString()[14], '7');
    EXPECT_EQ(id.AsBytes()[8] & 0xC0, 0x80);
    ASSERT_TRUE(id.V7Time().has_value());
    EXPECT_GE(*id.V7Time(), before);
    // The timestamp may run ahead by a millisecond only after 2048+ ids in one millisecond.
    EXPECT_LE(*id.V7Time(), after + std::chrono::milliseconds(1));
    EXPECT_FALSE(Uuid::GenerateV4().V7Time().has_value());
    // RFC 9562 A.6: 017F22E2-79B0-7CC3-98C4-DC0C0C07398F is Tuesday, February 22, 2022 2:22:22.00 PM
    // GMT-05:00.
    const auto rfc = Uuid::Parse("017F22E2-79B0-7CC3-98C4-DC0C0C07398F")->V7Time();
    ASSERT_TRUE(rfc.has_value());
    EXPECT_EQ(rfc->time_since_epoch().count(), 1645557742000);
}

TEST(Uuid, V7IsStrictlyIncreasingInOneProcess) {
    std::vector<Uuid> ids;
    ids.reserve(20000);
    for (int i = 0; i < 20000; ++i) ids.push_back(Uuid::GenerateV7());
    for (std::size_t i = 1; i < ids.size(); ++i) {
        ASSERT_LT(ids[i - 1], ids[i]) << i;
        // Text order agrees with byte order, as PostgreSQL's uuid ordering does.
        ASSERT_LT(ids[i - 1].ToString(), ids[i].ToString()) << i;
    }
}

TEST(Uuid, V7IsUniqueAcrossThreads) {
    constexpr int kThreads = 4;
    constexpr int kPerThread = 5000;
    std::vector<std::vector<Uuid>> per_thread(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) per_thread[t].push_back(Uuid::GenerateV7());
        });
    }
    for (auto& thread : threads) thread.join();
    std::unordered_set<Uuid> all;
    for (const auto& ids : per_thread) {
        EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
        all.insert(ids.begin(), ids.end());
    }
    EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(StrongId, TypedWrapper) {
    const UserId user = UserId::Generate();
    EXPECT_EQ(user.Value().Version(), 7);
    EXPECT_FALSE(user.IsNil());
    EXPECT_TRUE(UserId().IsNil());
    const auto parsed = UserId::Parse(user.ToString());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, user);
    EXPECT_FALSE(PortfolioId::Parse("not-a-uuid").has_value());
    const PortfolioId a = PortfolioId::Generate();
    const PortfolioId b = PortfolioId::Generate();
    EXPECT_LT(a, b);
    EXPECT_NE(a, b);
    std::unordered_set<PortfolioId> set{a, b, a};
    EXPECT_EQ(set.size(), 2U);
    EXPECT_EQ(fmt::format("{}", a), a.ToString());
    // Different entities are different types.
    static_assert(!std::is_convertible_v<UserId, PortfolioId>);
    static_assert(!std::is_convertible_v<Uuid, UserId>);
    static_assert(!std::is_same_v<TransactionId, HoldingId>);
    static_assert(!std::is_same_v<WatchlistId, ApiKeyId>);
    static_assert(!std::is_same_v<NotificationId, UserId>);
}

}  // namespace
}  // namespace nn
