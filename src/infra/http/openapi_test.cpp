#include "infra/http/openapi.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace nn::http {
namespace {
namespace json = boost::json;

boost::asio::awaitable<Response> OpenApiNothing(Request&) {
    co_return Response();
}

TEST(OpenApi, ListsEveryRouteWithItsParametersSecurityAndBodyLimit) {
    Router router;
    router.Get("/api/v1/portfolios/{id}/transactions/{tx}", OpenApiNothing,
               {.name = "tx.get", .require_auth = true});
    router.Post("/api/v1/portfolios/{id}/transactions", OpenApiNothing,
                {.name = "tx.create",
                 .require_auth = true,
                 .max_body_bytes = 4096,
                 .contract = {.query = {{"dry_run", schema::Boolean(), false, "check only"}},
                              .request = schema::Object({{"symbol", schema::String(1, 32)}}),
                              .responses = {{201, schema::Ref("Tx")}, {200, schema::String(), "text/csv"}},
                              .codes = {"tx.refused"}}});
    router.AddComponent("Tx", schema::Object({{"id", schema::Uuid()}}));
    router.Delete("/api/v1/portfolios/{id}", OpenApiNothing,
                  {.name = "portfolio.delete", .require_auth = true});
    router.Get("/healthz", OpenApiNothing, {.name = "healthz"});

    auto doc = json::parse(OpenApiDocument(router, {.title = "T", .version = "9"})).as_object();
    EXPECT_EQ(doc.at("openapi").as_string(), "3.1.0");
    EXPECT_EQ(doc.at("info").at("version").as_string(), "9");
    const auto& paths = doc.at("paths").as_object();
    ASSERT_EQ(paths.size(), 4u);

    const auto& get = paths.at("/api/v1/portfolios/{id}/transactions/{tx}").at("get").as_object();
    EXPECT_EQ(get.at("operationId").as_string(), "get_api_v1_portfolios_id_transactions_tx");
    EXPECT_EQ(get.at("tags").as_array().at(0).as_string(), "portfolios");
    const auto& params = get.at("parameters").as_array();
    ASSERT_EQ(params.size(), 2u);
    EXPECT_EQ(params[0].at("name").as_string(), "id");
    EXPECT_EQ(params[1].at("name").as_string(), "tx");
    EXPECT_TRUE(params[1].at("required").as_bool());
    EXPECT_EQ(get.at("security").as_array().size(), 2u);
    EXPECT_TRUE(get.at("responses").as_object().contains("401"));
    EXPECT_FALSE(get.contains("requestBody"));

    const auto& post = paths.at("/api/v1/portfolios/{id}/transactions").at("post").as_object();
    EXPECT_EQ(post.at("requestBody").at("x-max-body-bytes").as_int64(), 4096);
    // The route's contract: query, request body, answers by status and media type, codes.
    EXPECT_EQ(post.at("parameters").as_array().at(1).at("in").as_string(), "query");
    EXPECT_EQ(post.at("parameters").as_array().at(1).at("schema").at("type").as_string(), "boolean");
    EXPECT_EQ(json::serialize(post.at("requestBody").at("content").at("application/json").at("schema")),
              R"({"type":"object","properties":{"symbol":{"type":"string","minLength":1,"maxLength":32}},)"
              R"("additionalProperties":false,"required":["symbol"]})");
    EXPECT_EQ(post.at("responses").at("201").at("content").at("application/json").at("schema").at("$ref"),
              "#/components/schemas/Tx");
    EXPECT_TRUE(post.at("responses").at("200").at("content").as_object().contains("text/csv"));
    EXPECT_EQ(post.at("responses").at("4XX").at("x-problem-codes").as_array().at(0), "tx.refused");
    EXPECT_TRUE(doc.at("components").at("schemas").as_object().contains("Tx"));
    EXPECT_TRUE(doc.at("components").at("schemas").as_object().contains("Problem"));
    // A route without a contract says only "2XX" (the contract test refuses that in the app).
    EXPECT_TRUE(get.at("responses").as_object().contains("2XX"));
    EXPECT_TRUE(paths.at("/api/v1/portfolios/{id}").as_object().contains("delete"));

    const auto& health = paths.at("/healthz").at("get").as_object();
    EXPECT_EQ(health.at("tags").as_array().at(0).as_string(), "operations");
    EXPECT_TRUE(health.at("security").as_array().at(0).as_object().empty());  // no credential
    EXPECT_FALSE(health.at("responses").as_object().contains("401"));
    EXPECT_FALSE(health.contains("description"));
    EXPECT_FALSE(health.contains("parameters"));
    EXPECT_EQ(health.at("responses").at("4XX").at("content").as_object().begin()->key(),
              "application/problem+json");
}

TEST(OpenApi, DescribesAndListsTheHeadersARouteReads) {
    Router router;
    router.Post(
        "/api/v1/auth/refresh", OpenApiNothing,
        {.name = "auth.refresh", .description = "Browser mode: the cookie.", .headers = {"X-Client"}});
    auto doc = json::parse(OpenApiDocument(router)).as_object();
    const auto& op = doc.at("paths").at("/api/v1/auth/refresh").at("post").as_object();
    EXPECT_EQ(op.at("description").as_string(), "Browser mode: the cookie.");
    const auto& params = op.at("parameters").as_array();
    ASSERT_EQ(params.size(), 1u);
    EXPECT_EQ(params[0].at("name").as_string(), "X-Client");
    EXPECT_EQ(params[0].at("in").as_string(), "header");
    EXPECT_FALSE(params[0].at("required").as_bool());
}

}  // namespace
}  // namespace nn::http
