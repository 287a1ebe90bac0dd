#include "auth/verified_tokens.hpp"

#include <gtest/gtest.h>

#include <string>

namespace nn::auth {
namespace {

using Seconds = VerifiedTokens::Seconds;
constexpr std::chrono::seconds kLeeway{30};

Seconds At(std::int64_t s) {
    return Seconds(std::chrono::seconds(s));
}

Principal Bearer(const std::string& session, Seconds expires) {
    Principal p;
    p.user_id = *UserId::Parse("00000000-0000-4000-8000-000000000001");
    p.role = Role::kAdvisor;
    p.scopes = {"portfolio:read", "clients:read"};
    p.session_id = session;
    p.email_verified = true;
    p.expires_at = expires;
    return p;
}

TEST(VerifiedTokens, TheSameTokenIsFoundWithItsPrincipal) {
    VerifiedTokens tokens;
    Principal p = Bearer("s1", At(1'000));
    p.live = std::make_shared<int>(1);
    tokens.Store("header.payload.mac", p);
    const auto found = tokens.Find("header.payload.mac", At(900), kLeeway);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->user_id, p.user_id);
    EXPECT_EQ(found->role, Role::kAdvisor);
    EXPECT_EQ(found->scopes, p.scopes);
    EXPECT_EQ(found->session_id, "s1");
    EXPECT_TRUE(found->email_verified);
    EXPECT_EQ(found->expires_at, p.expires_at);
    EXPECT_EQ(found->live, nullptr) << "liveness is checked per request, never kept with the token";
    EXPECT_EQ(tokens.Hits(), 1u);
}

TEST(VerifiedTokens, AnyOtherTokenIsNotFound) {
    VerifiedTokens tokens;
    tokens.Store("header.payload.mac", Bearer("s1", At(1'000)));
    EXPECT_FALSE(tokens.Find("header.payload.maC", At(900), kLeeway));
    EXPECT_FALSE(tokens.Find("header.payload.ma", At(900), kLeeway));
    EXPECT_FALSE(tokens.Find("header.payload.mac ", At(900), kLeeway));
    EXPECT_FALSE(tokens.Find("", At(900), kLeeway));
    EXPECT_EQ(tokens.Hits(), 0u);
}

TEST(VerifiedTokens, AnExpiredTokenIsRefusedAsVerifyJwtWouldAndForgotten) {
    VerifiedTokens tokens;
    tokens.Store("t", Bearer("s1", At(1'000)));
    EXPECT_TRUE(tokens.Find("t", At(1'029), kLeeway)) << "within the leeway after exp";
    EXPECT_FALSE(tokens.Find("t", At(1'030), kLeeway)) << "now - leeway >= exp";
    EXPECT_EQ(tokens.Size(), 0u);
    EXPECT_FALSE(tokens.Find("t", At(900), kLeeway)) << "forgotten once expired";
}

TEST(VerifiedTokens, APrincipalWithoutExpiryIsNotKept) {
    VerifiedTokens tokens;
    Principal p = Bearer("s1", At(1'000));
    p.expires_at.reset();
    tokens.Store("t", p);
    EXPECT_EQ(tokens.Size(), 0u);
}

TEST(VerifiedTokens, StaysWithinItsBound) {
    VerifiedTokens tokens(32);
    for (int i = 0; i < 1'000; ++i) tokens.Store("token-" + std::to_string(i), Bearer("s", At(1'000)));
    EXPECT_LE(tokens.Size(), 32u);
    EXPECT_GT(tokens.Size(), 0u);
    EXPECT_TRUE(tokens.Find("token-999", At(900), kLeeway)) << "the newest is kept";
}

}  // namespace
}  // namespace nn::auth
