#include "auth/live_answers.hpp"

#include <gtest/gtest.h>

namespace nn::auth {
namespace {

using AnswersClock = LiveAnswers::Clock;
using namespace std::chrono_literals;

std::shared_ptr<const std::string> Body(const char* text) {
    return std::make_shared<const std::string>(text);
}

TEST(LiveAnswers, FoundOnlyUnderTheSameLivenessCopy) {
    LiveAnswers answers;
    const auto user = UserId::Generate();
    auto copy = std::make_shared<const int>(1), next = std::make_shared<const int>(1);
    answers.Store(user, copy, Body("a"), answers.Generation(user));
    ASSERT_NE(answers.Find(user, copy), nullptr);
    EXPECT_EQ(*answers.Find(user, copy), "a");
    EXPECT_EQ(answers.Find(user, next), nullptr) << "a replaced copy";
    EXPECT_EQ(answers.Find(user, nullptr), nullptr) << "no copy (an API key)";
    EXPECT_EQ(answers.Find(UserId::Generate(), copy), nullptr) << "another user";
}

TEST(LiveAnswers, DropForgetsAtOnce) {
    LiveAnswers answers;
    const auto user = UserId::Generate();
    auto copy = std::make_shared<const int>(1);
    answers.Store(user, copy, Body("a"), answers.Generation(user));
    answers.Drop(user);
    EXPECT_EQ(answers.Find(user, copy), nullptr);
}

// An answer read while its user's answer was dropped may predate the change: not kept.
TEST(LiveAnswers, AnAnswerReadAcrossADropIsNotStored) {
    LiveAnswers answers;
    const auto user = UserId::Generate();
    auto copy = std::make_shared<const int>(1);
    const auto generation = answers.Generation(user);
    answers.Drop(user);
    answers.Store(user, copy, Body("stale"), generation);
    EXPECT_EQ(answers.Find(user, copy), nullptr);
}

// A liveness copy lives at most kLocalLivenessTtl, so an answer older than that can never be
// found again: it must not stay in memory until the cache is full (a list answer is up to
// 50 portfolios; 100 000 of them would be gigabytes).
TEST(LiveAnswers, AnswersOlderThanTheTtlAreNotKept) {
    LiveAnswers answers(500ms);
    const auto t0 = AnswersClock::now();
    auto copy = std::make_shared<const int>(1);
    for (int i = 0; i < 1000; ++i) {
        const auto user = UserId::Generate();
        answers.Store(user, copy, Body("old"), answers.Generation(user), t0);
    }
    const auto later = UserId::Generate();
    EXPECT_EQ(answers.Find(later, copy, t0 + 600ms), nullptr);
    // 4 000 new answers give each of the 16 stripes about 250, far past its next prune threshold
    // (at most 128 here), so every stripe prunes after the old answers expired; how the 1 000 old
    // ones spread over the stripes is random, which answer counts near the threshold made flaky.
    for (int i = 0; i < 4000; ++i) {
        const auto user = UserId::Generate();
        answers.Store(user, copy, Body("new"), answers.Generation(user), t0 + 600ms);
    }
    EXPECT_EQ(answers.Size(), 4000u) << "the answers stored at t0 are gone";
    const auto user = UserId::Generate();
    answers.Store(user, copy, Body("x"), answers.Generation(user), t0);
    EXPECT_NE(answers.Find(user, copy, t0 + 499ms), nullptr);
    EXPECT_EQ(answers.Find(user, copy, t0 + 500ms), nullptr) << "past the TTL";
}

}  // namespace
}  // namespace nn::auth
