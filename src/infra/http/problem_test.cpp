#include "infra/http/problem.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <exception>

#include <boost/json/parse.hpp>

#include "core/error.hpp"
#include "infra/http/http_error.hpp"

namespace nn::http {
namespace {

Response Answer(std::exception_ptr thrown) {
    Request request(Method::kPost, "/api/v1/things");
    request.request_id = "req-1";
    return ProblemFromException(std::move(thrown), request);
}

template <class E>
Response AnswerTo(E error) {
    return Answer(std::make_exception_ptr(std::move(error)));
}

TEST(Problem, AnErrorWithFieldErrorsIs422WithTheErrorsArray) {
    auto r = AnswerTo(Error(ErrorKind::kUnprocessable, "validation.failed", "the batch has invalid elements",
                            {{"prices[0].close", "not_decimal", "prices[0].close is not a decimal"},
                             {"prices[2].symbol", "unknown_symbol", "'ZZZ' is unknown"}}));
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
    const auto body = boost::json::parse(r.body).as_object();
    EXPECT_EQ(body.at("code"), "validation.failed");
    EXPECT_EQ(body.at("status"), 422);
    EXPECT_EQ(body.at("detail"), "the batch has invalid elements");
    EXPECT_EQ(body.at("instance"), "/api/v1/things");
    const auto& errors = body.at("errors").as_array();
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0], (boost::json::object{{"field", "prices[0].close"},
                                              {"code", "not_decimal"},
                                              {"message", "prices[0].close is not a decimal"}}));
    EXPECT_EQ(errors[1].at("field"), "prices[2].symbol");
    EXPECT_EQ(errors[1].at("code"), "unknown_symbol");
    EXPECT_TRUE(r.Header("Retry-After").empty());
}

TEST(Problem, AnErrorWithoutFieldErrorsHasNoErrorsArray) {
    auto r = AnswerTo(Error(ErrorKind::kConflict, "market.instrument_exists", "instrument X already exists"));
    EXPECT_EQ(r.status, 409);
    EXPECT_FALSE(boost::json::parse(r.body).as_object().contains("errors"));
}

TEST(Problem, ARetryHintIsTheRetryAfterHeader) {
    auto r = AnswerTo(
        Error(ErrorKind::kTooManyRequests, "auth.rate_limited", "too many login attempts; retry later")
            .WithRetryAfter(std::chrono::seconds(17)));
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(r.Header("Retry-After"), "17");
    EXPECT_EQ(boost::json::parse(r.body).as_object().at("code"), "auth.rate_limited");
}

TEST(Problem, ARetryHintBelowOneSecondIsSentAsOne) {
    auto r = AnswerTo(Error(ErrorKind::kTooManyRequests, "auth.rate_limited", "retry later")
                          .WithRetryAfter(std::chrono::seconds(0)));
    EXPECT_EQ(r.Header("Retry-After"), "1");
}

TEST(Problem, AnHttpErrorKeepsItsStatusHeadersAndFieldErrors) {
    auto r = AnswerTo(HttpError(405, "http.method_not_allowed", "use GET", {{"Allow", "GET"}},
                                {{"method", "not_allowed", "only GET"}}));
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.Header("Allow"), "GET");
    const auto body = boost::json::parse(r.body).as_object();
    ASSERT_EQ(body.at("errors").as_array().size(), 1u);
    EXPECT_EQ(body.at("errors").as_array()[0].at("field"), "method");
}

TEST(Problem, A401CarriesWwwAuthenticate) {
    auto r = AnswerTo(Error(ErrorKind::kUnauthorized, "auth.required", "authentication required"));
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.Header("WWW-Authenticate"), "Bearer");
}

}  // namespace
}  // namespace nn::http
