#include "core/error.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace nn {
namespace {

TEST(Error, AKindCodeAndMessageAloneCarryNoFieldErrorsAndNoRetryHint) {
    const Error e(ErrorKind::kNotFound, "thing.not_found", "no such thing");
    EXPECT_EQ(e.Kind(), ErrorKind::kNotFound);
    EXPECT_EQ(e.Code(), "thing.not_found");
    EXPECT_STREQ(e.what(), "no such thing");
    EXPECT_TRUE(e.FieldErrors().empty());
    EXPECT_FALSE(e.RetryAfter().has_value());
}

TEST(Error, CarriesEveryFieldErrorInOrder) {
    const Error e(ErrorKind::kUnprocessable, "validation.failed", "invalid batch",
                  {{"prices[0].close", "not_decimal", "prices[0].close is not a decimal"},
                   {"prices[3].symbol", "unknown_symbol", "'ZZZ' is not a known instrument"}});
    ASSERT_EQ(e.FieldErrors().size(), 2u);
    EXPECT_EQ(e.FieldErrors()[0],
              (FieldError{"prices[0].close", "not_decimal", "prices[0].close is not a decimal"}));
    EXPECT_EQ(e.FieldErrors()[1].field, "prices[3].symbol");
    EXPECT_EQ(e.FieldErrors()[1].code, "unknown_symbol");
    EXPECT_EQ(e.FieldErrors()[1].message, "'ZZZ' is not a known instrument");
}

TEST(Error, ARetryHintSurvivesTheThrowAndTheCatchByBase) {
    try {
        throw Error(ErrorKind::kTooManyRequests, "auth.rate_limited", "retry later")
            .WithRetryAfter(std::chrono::seconds(42));
    } catch (const std::runtime_error& base) {
        const auto* e = dynamic_cast<const Error*>(&base);
        ASSERT_NE(e, nullptr);
        EXPECT_EQ(e->Kind(), ErrorKind::kTooManyRequests);
        ASSERT_TRUE(e->RetryAfter().has_value());
        EXPECT_EQ(*e->RetryAfter(), std::chrono::seconds(42));
    }
}

TEST(Error, FieldErrorsAndRetryHintAreKeptByACopy) {
    Error original(ErrorKind::kUnprocessable, "validation.failed", "bad", {{"q", "too_long", "at most 64"}});
    original.WithRetryAfter(std::chrono::seconds(3));
    const Error copy = original;
    ASSERT_EQ(copy.FieldErrors().size(), 1u);
    EXPECT_EQ(copy.FieldErrors()[0].field, "q");
    EXPECT_EQ(copy.RetryAfter(), std::chrono::seconds(3));
}

TEST(Error, EveryKindHasOneStatus) {
    const std::vector<std::pair<ErrorKind, int>> cases = {
        {ErrorKind::kBadRequest, 400},    {ErrorKind::kUnauthorized, 401},
        {ErrorKind::kForbidden, 403},     {ErrorKind::kNotFound, 404},
        {ErrorKind::kConflict, 409},      {ErrorKind::kPayloadTooLarge, 413},
        {ErrorKind::kUnprocessable, 422}, {ErrorKind::kTooManyRequests, 429},
        {ErrorKind::kInternal, 500},      {ErrorKind::kUnavailable, 503},
        {ErrorKind::kTimeout, 504},
    };
    for (const auto& [kind, status] : cases) EXPECT_EQ(HttpStatus(kind), status);
}

}  // namespace
}  // namespace nn
