#include "core/actor.hpp"

#include <gtest/gtest.h>

namespace nn {
namespace {

TEST(Actor, RoleNamesRoundTripExceptSystem) {
    for (Role r : {Role::kUser, Role::kAdvisor, Role::kAdmin, Role::kSuperuser}) {
        EXPECT_EQ(ParseRole(RoleName(r)), r);
    }
    EXPECT_EQ(RoleName(Role::kSystem), "SYSTEM");
    EXPECT_EQ(ParseRole("SYSTEM"), std::nullopt);  // no account's role
    EXPECT_EQ(ParseRole("advisor"), std::nullopt);
}

TEST(Actor, SystemActsForNobodyOrForAnOwner) {
    EXPECT_TRUE(Actor::System().IsSystem());
    EXPECT_TRUE(Actor::System().user_id.Value().IsNil());
    const UserId owner = UserId::Generate();
    EXPECT_EQ(Actor::System(owner).user_id, owner);
    EXPECT_FALSE(Actor(owner, Role::kUser).IsAdvisor());
    EXPECT_TRUE(Actor(owner, Role::kAdvisor).IsAdvisor());
}

}  // namespace
}  // namespace nn
