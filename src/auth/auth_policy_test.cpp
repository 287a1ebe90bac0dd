#include <gtest/gtest.h>

#include "auth/model.hpp"
#include "auth/password_policy.hpp"
#include "auth/permissions.hpp"
#include "auth/service.hpp"

namespace nn::auth {
namespace {

TEST(Permissions, OnlySuperuserTouchesElevatedRoles) {
    struct Case {
        Role actor, from, to;
        bool allowed;
    };
    const Case cases[] = {
        {Role::kAdmin, Role::kUser, Role::kAdvisor, true},
        {Role::kAdmin, Role::kAdvisor, Role::kUser, true},
        {Role::kAdmin, Role::kUser, Role::kAdmin, false},
        {Role::kAdmin, Role::kUser, Role::kSuperuser, false},
        {Role::kAdmin, Role::kAdmin, Role::kAdmin, false},
        {Role::kAdmin, Role::kSuperuser, Role::kUser, false},
        {Role::kSuperuser, Role::kUser, Role::kAdmin, true},
        {Role::kSuperuser, Role::kAdmin, Role::kUser, true},
        {Role::kSuperuser, Role::kUser, Role::kSuperuser, true},
        {Role::kUser, Role::kUser, Role::kAdvisor, false},
        {Role::kAdvisor, Role::kUser, Role::kAdvisor, false},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(CanChangeRole(c.actor, c.from, c.to), c.allowed)
            << RoleName(c.actor) << " " << RoleName(c.from) << "->" << RoleName(c.to);
    }
}

TEST(Permissions, TableByRole) {
    EXPECT_TRUE(RoleHas(Role::kUser, perm::kPortfolioWrite));
    EXPECT_FALSE(RoleHas(Role::kUser, perm::kMarketWrite));
    EXPECT_FALSE(RoleHas(Role::kUser, perm::kAdvisorClients));
    EXPECT_TRUE(RoleHas(Role::kAdvisor, perm::kAdvisorClients));
    EXPECT_FALSE(RoleHas(Role::kAdvisor, perm::kAdminUsersRead));
    EXPECT_TRUE(RoleHas(Role::kAdmin, perm::kAdminUsersWrite));
    EXPECT_TRUE(RoleHas(Role::kAdmin, perm::kMarketWrite));
    EXPECT_FALSE(RoleHas(Role::kAdmin, perm::kAdminRolesGrant));
    EXPECT_TRUE(RoleHas(Role::kSuperuser, perm::kAdminRolesGrant));
    EXPECT_FALSE(IsKnownPermission("root:all"));
    for (auto role : {Role::kUser, Role::kAdvisor, Role::kAdmin, Role::kSuperuser}) {
        EXPECT_EQ(ParseRole(RoleName(role)), role);
        for (auto p : PermissionsOf(role)) EXPECT_TRUE(IsKnownPermission(p)) << p;
    }
    EXPECT_FALSE(ParseRole("user").has_value());
}

TEST(PasswordPolicy, Asvs21) {
    EXPECT_EQ(CheckPassword("short", "a@b.c"), "too_short");
    EXPECT_EQ(CheckPassword("eleven char", "a@b.c"), "too_short");
    // Runs of spaces count once (ASVS 2.1.1): 11 visible + collapsed spaces.
    EXPECT_EQ(CheckPassword("abcde      fghij", "a@b.c"), "too_short");
    EXPECT_EQ(CheckPassword(std::string(129, 'x') + "y", "a@b.c"), "too_long");
    EXPECT_EQ(CheckPassword("Password1234", "a@b.c"), "common");
    EXPECT_EQ(CheckPassword("aaaaaaaaaaaaaaaa", "a@b.c"), "common");
    EXPECT_EQ(CheckPassword("my-johnsmith-secret", "johnsmith@example.com"), "contains_email");
    EXPECT_EQ(CheckPassword("abc\xff\xfe def ghij kl", "a@b.c"), "invalid_utf8");
    EXPECT_EQ(CheckPassword("tab\tinside password", "a@b.c"), "control_character");
    EXPECT_EQ(CheckPassword("correct horse battery", "a@b.c"), std::nullopt);
    EXPECT_EQ(CheckPassword("пароль-достаточно-длинный", "a@b.c"), std::nullopt);
    EXPECT_EQ(CheckPassword(std::string(128, 'x') + "", "a@b.c"), "common");  // one repeated char
    EXPECT_EQ(CheckPassword(std::string(64, 'x') + std::string(64, 'y'), "a@b.c"), std::nullopt);
}

TEST(PasswordPolicy, CommonPasswordsAndTheirVariants) {
    // Listed as they are (long entries of the shipped list).
    EXPECT_EQ(CheckPassword("1qaz2wsx3edc", "a@b.c"), "common");
    EXPECT_EQ(CheckPassword("LeaveMeAlone", "a@b.c"), "common");
    // A listed word with digits and symbols appended.
    EXPECT_EQ(CheckPassword("iloveyou2024!", "a@b.c"), "common");
    EXPECT_EQ(CheckPassword("Sunshine123456", "a@b.c"), "common");
    // A listed or very short chunk repeated.
    EXPECT_EQ(CheckPassword("qwertyqwerty", "a@b.c"), "common");
    EXPECT_EQ(CheckPassword("abcabcabcabc", "a@b.c"), "common");
    // Not common: a passphrase, a listed word inside other text, digits in the middle.
    EXPECT_EQ(CheckPassword("sunshine over the harbour", "a@b.c"), std::nullopt);
    EXPECT_EQ(CheckPassword("ruby-tuesday-kestrel-9", "a@b.c"), std::nullopt);
    EXPECT_EQ(CheckPassword("abcdabcdabce", "a@b.c"), std::nullopt);
}

TEST(Lockout, GrowingDelayCapped) {
    AuthSettings s;
    s.lockout_base = std::chrono::seconds(1);
    s.lockout_max = std::chrono::seconds(900);
    EXPECT_EQ(LockoutDelay(s, 0).count(), 1);
    EXPECT_EQ(LockoutDelay(s, 1).count(), 2);
    EXPECT_EQ(LockoutDelay(s, 5).count(), 32);
    EXPECT_EQ(LockoutDelay(s, 10).count(), 900);
    EXPECT_EQ(LockoutDelay(s, 1000).count(), 900);
}

}  // namespace
}  // namespace nn::auth
