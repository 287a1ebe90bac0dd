#include "auth/local_liveness.hpp"

#include <gtest/gtest.h>

namespace nn::auth {
namespace {

using LivenessClock = LocalLiveness::Clock;
using namespace std::chrono_literals;

std::shared_ptr<const Liveness> Facts(Role role) {
    auto live = std::make_shared<Liveness>();
    live->role = role;
    live->is_active = true;
    live->live_sessions = {"s1"};
    return live;
}

TEST(LocalLiveness, KeepsFactsForItsTtlOnly) {
    LocalLiveness cache(500ms);
    const auto user = UserId::Generate();
    const auto t0 = LivenessClock::now();
    EXPECT_EQ(cache.Find(user, t0), nullptr);
    cache.Store(user, Facts(Role::kAdmin), cache.Generation(), t0);
    ASSERT_NE(cache.Find(user, t0 + 499ms), nullptr);
    EXPECT_EQ(cache.Find(user, t0 + 499ms)->role, Role::kAdmin);
    EXPECT_EQ(cache.Find(user, t0 + 500ms), nullptr);
    EXPECT_EQ(cache.Find(UserId::Generate(), t0), nullptr);
}

TEST(LocalLiveness, DropForgetsAtOnce) {
    LocalLiveness cache;
    const auto user = UserId::Generate();
    cache.Store(user, Facts(Role::kAdmin), cache.Generation());
    cache.Drop(user);
    EXPECT_EQ(cache.Find(user), nullptr);
}

// Facts read while a change was being dropped may predate the change: they are not kept.
TEST(LocalLiveness, FactsReadAcrossADropAreNotStored) {
    LocalLiveness cache;
    const auto user = UserId::Generate();
    const auto before = cache.Generation();
    cache.Drop(UserId::Generate());  // any drop: a read cannot tell whose change it raced
    cache.Store(user, Facts(Role::kAdmin), before);
    EXPECT_EQ(cache.Find(user), nullptr);
    cache.Store(user, Facts(Role::kUser), cache.Generation());
    ASSERT_NE(cache.Find(user), nullptr);
    EXPECT_EQ(cache.Find(user)->role, Role::kUser);
}

TEST(LocalLiveness, StaysBounded) {
    LocalLiveness cache(500ms, 160);
    const auto t0 = LivenessClock::now();
    for (int i = 0; i < 10000; ++i)
        cache.Store(UserId::Generate(), Facts(Role::kUser), cache.Generation(), t0);
    EXPECT_LE(cache.Size(), 160u);
}

}  // namespace
}  // namespace nn::auth
