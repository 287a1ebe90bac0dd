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
    cache.Store(user, Facts(Role::kAdmin), cache.Generation(user), t0);
    ASSERT_NE(cache.Find(user, t0 + 499ms), nullptr);
    EXPECT_EQ(cache.Find(user, t0 + 499ms)->role, Role::kAdmin);
    EXPECT_EQ(cache.Find(user, t0 + 500ms), nullptr);
    EXPECT_EQ(cache.Find(UserId::Generate(), t0), nullptr);
}

TEST(LocalLiveness, DropForgetsAtOnce) {
    LocalLiveness cache;
    const auto user = UserId::Generate();
    cache.Store(user, Facts(Role::kAdmin), cache.Generation(user));
    cache.Drop(user);
    EXPECT_EQ(cache.Find(user), nullptr);
}

// Facts read while a change of the user was being dropped may predate the change: not kept.
TEST(LocalLiveness, FactsReadAcrossADropOfTheUserAreNotStored) {
    LocalLiveness cache;
    const auto user = UserId::Generate();
    const auto before = cache.Generation(user);
    cache.Drop(user);
    cache.Store(user, Facts(Role::kAdmin), before);
    EXPECT_EQ(cache.Find(user), nullptr);
    cache.Store(user, Facts(Role::kUser), cache.Generation(user));
    ASSERT_NE(cache.Find(user), nullptr);
    EXPECT_EQ(cache.Find(user)->role, Role::kUser);
}

// A drop of a user of another stripe says nothing about this user's facts: a read across it is
// kept (one process-wide generation used to discard every read that overlapped any drop).
TEST(LocalLiveness, ADropOfAnUnrelatedUserKeepsTheRead) {
    LocalLiveness cache;
    const auto user = UserId::Generate();
    bool kept_across_unrelated_drop = false;
    for (int i = 0; i < 64 && !kept_across_unrelated_drop; ++i) {
        const auto before = cache.Generation(user);
        cache.Drop(UserId::Generate());
        if (cache.Generation(user) != before) continue;  // that user shares the stripe
        cache.Store(user, Facts(Role::kAdmin), before);
        kept_across_unrelated_drop = cache.Find(user) != nullptr;
        ASSERT_TRUE(kept_across_unrelated_drop);
    }
    EXPECT_TRUE(kept_across_unrelated_drop);
}

TEST(LocalLiveness, StaysBounded) {
    LocalLiveness cache(500ms, 160);
    const auto t0 = LivenessClock::now();
    for (int i = 0; i < 10000; ++i) {
        const auto user = UserId::Generate();
        cache.Store(user, Facts(Role::kUser), cache.Generation(user), t0);
    }
    EXPECT_LE(cache.Size(), 160u);
}

}  // namespace
}  // namespace nn::auth
