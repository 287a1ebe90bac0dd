#include "infra/http/schema_validator.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "infra/http/contract.hpp"
#include "infra/http/problem.hpp"
#include "infra/http/schema.hpp"

namespace nn::http {
namespace {
namespace json = boost::json;
namespace js = schema;

json::object Root() {
    return json::object{
        {"components",
         {{"schemas",
           {{"Money",
             js::Object({{"amount", js::Decimal()}, {"currency", js::Pattern("^[A-Z]{3}$")}}).Json()},
            {"Problem", ProblemSchema().Json()}}}}}};
}

std::vector<std::string> Check(const Schema& s, std::string_view instance) {
    return ValidateSchema(s.Json(), json::parse(instance), Root());
}

TEST(SchemaValidator, AcceptsWhatTheSchemaDescribes) {
    auto s = js::Object({{"id", js::Uuid()},
                         {"name", js::String(1, 5)},
                         {"price", js::Decimal()},
                         {"at", js::DateTime()},
                         {"day", js::Date()},
                         {"kind", js::Enum({"A", "B"})},
                         {"n", js::Integer(0, 10)},
                         {"ratio", js::Number().Nullable()},
                         {"ok", js::Boolean()},
                         {"money", js::Ref("Money")},
                         {"tags", js::Array(js::String(), 2)},
                         js::Opt("note", js::String().Nullable())});
    EXPECT_EQ(Check(s, R"({"id":"0190a5f2-1c2b-7d3e-8f40-123456789abc","name":"abc","price":"-12.50",
                         "at":"2024-01-31T12:00:00.5+01:00","day":"2024-02-29","kind":"B","n":10,
                         "ratio":null,"ok":true,"money":{"amount":"1","currency":"USD"},"tags":["x"]})"),
              std::vector<std::string>{});
    EXPECT_TRUE(Check(js::Page(js::Integer()), R"({"items":[1,2],"next_cursor":null})").empty());
    EXPECT_TRUE(Check(js::Page(js::Integer()), R"({"items":[],"next_cursor":"abc"})").empty());
    EXPECT_TRUE(Check(js::Integer(), "3.0").empty());  // JSON Schema: an integral number is an integer
    EXPECT_TRUE(Check(js::Map(js::Integer()), R"({"a":1,"b":2})").empty());
}

// Each case must fail, with a message naming where.
TEST(SchemaValidator, RefusesWhatTheSchemaDoesNotDescribe) {
    struct Case {
        Schema schema;
        const char* instance;
        const char* expect;  // a part of the first error
    };
    const std::vector<Case> cases = {
        {js::Object({{"a", js::String()}}), R"({})", "\"a\" is missing"},
        {js::Object({{"a", js::String()}}), R"({"a":"x","b":1})", "/b: a field the schema does not list"},
        {js::Object({{"a", js::String()}}), R"({"a":1})", "/a: 1 is not of type string"},
        {js::String(2, 3), R"("a")", "1 characters, minLength 2"},
        {js::String(2, 3), R"("abcd")", "4 characters, maxLength 3"},
        {js::String(0, 2), R"("äöü")", "3 characters"},  // code points, not bytes
        {js::Decimal(), R"("1e5")", "does not match"},
        {js::Decimal(), R"("01.5")", "does not match"},
        {js::Decimal(), R"(1.5)", "not of type string"},
        {js::Uuid(), R"("not-a-uuid")", "not a valid uuid"},
        {js::DateTime(), R"("2024-01-31 12:00:00Z")", "not a valid date-time"},
        {js::DateTime(), R"("2024-01-31T12:00:00")", "not a valid date-time"},
        {js::Date(), R"("2024-13-01")", "not a valid date"},
        {js::Enum({"A", "B"}), R"("C")", "not one of"},
        {js::Integer(0, 10), R"(11)", "beyond maximum"},
        {js::Integer(0, 10), R"(-1)", "beyond minimum"},
        {js::Integer(), R"(1.5)", "not of type integer"},
        {js::Boolean(), R"("true")", "not of type boolean"},
        {js::String(), R"(null)", "not of type string"},
        {js::Array(js::Integer(), 2), R"([1,2,3])", "3 items, maxItems 2"},
        {js::Array(js::Integer()), R"([1,"2"])", "/1: \"2\" is not of type integer"},
        {js::Ref("Money"), R"({"amount":"1","currency":"usd"})", "/currency"},
        {js::Ref("Nothing"), R"({})", "does not resolve"},
        {js::Page(js::Integer()), R"({"items":[1]})", "\"next_cursor\" is missing"},
        {js::Page(js::Integer()), R"({"bars":[1],"next_cursor":null})", "\"items\" is missing"},
        {js::OneOf({js::Integer(), js::Number()}), R"(1)", "matches 2 of the oneOf"},
        {js::OneOf({js::Integer(), js::String()}), R"(true)", "matches none"},
        {js::AllOf({js::Object({{"a", js::Integer()}}).Open(), js::Object({{"b", js::Integer()}}).Open()}),
         R"({"a":1})", "\"b\" is missing"},
        {Schema(json::object{{"type", "string"}, {"format", "email"}}), R"("a@b")", "unsupported format"},
        {Schema(json::object{{"type", "string"}, {"contentEncoding", "base64"}}), R"("a")",
         "unsupported keyword"},
    };
    for (const auto& c : cases) {
        auto errors = Check(c.schema, c.instance);
        ASSERT_FALSE(errors.empty()) << c.instance << " passed " << json::serialize(c.schema.Json());
        bool named = false;
        for (const auto& e : errors) named = named || e.find(c.expect) != std::string::npos;
        EXPECT_TRUE(named) << c.expect << " not in: " << errors.front();
    }
}

TEST(SchemaValidator, NullableWrapsARefAndKeepsAnEnumOpenToNull) {
    EXPECT_TRUE(Check(js::Ref("Money").Nullable(), "null").empty());
    EXPECT_FALSE(Check(js::Ref("Money").Nullable(), "1").empty());
    EXPECT_TRUE(Check(js::Enum({"A"}).Nullable(), "null").empty());
    EXPECT_FALSE(Check(js::Enum({"A"}).Nullable(), R"("B")").empty());
    auto twice = js::String().Nullable().Nullable();
    EXPECT_EQ(json::serialize(twice.Json()), R"({"type":["string","null"]})");
}

TEST(SchemaValidator, TheProblemSchemaDescribesWhatProblemResponseWrites) {
    auto r = ProblemResponse(422, "validation.failed", "bad", "req-1", "/api/v1/x",
                             {{"name", "too_long", "at most 100 bytes"}});
    EXPECT_TRUE(ValidateSchema(ProblemSchema().Json(), json::parse(r.body), Root()).empty()) << r.body;
    auto bare = ProblemResponse(500, "internal", "x", "req-2", "");
    EXPECT_TRUE(ValidateSchema(ProblemSchema().Json(), json::parse(bare.body), Root()).empty()) << bare.body;
}

// The contract check on one answer, without a server.
class ContractViolationsTest : public ::testing::Test {
protected:
    ContractViolationsTest() {
        route_.method = Method::kPost;
        route_.pattern = "/things";
        route_.contract.request = js::Object({{"name", js::String(1, 10)}});
        route_.contract.responses = {{201, js::Object({{"id", js::Uuid()}})}, {204}};
        route_.contract.codes = {"thing.not_found"};
        document_ = Root();
    }
    std::vector<std::string> Violations(const Response& response, std::string body = R"({"name":"a"})") {
        Request request(Method::kPost, "/things", {{"Content-Type", "application/json"}}, std::move(body));
        return ContractViolations(&route_, request, response, document_);
    }
    Route route_;
    json::object document_;
};

TEST_F(ContractViolationsTest, ADeclaredAnswerPasses) {
    EXPECT_TRUE(
        Violations(Response(201, R"({"id":"0190a5f2-1c2b-7d3e-8f40-123456789abc"})", "application/json"))
            .empty());
    EXPECT_TRUE(Violations(Response::NoContent()).empty());
    EXPECT_TRUE(Violations(ProblemResponse(404, "thing.not_found", "no", "r", "/things")).empty());
}

TEST_F(ContractViolationsTest, AnAnswerOutsideTheContractIsNamed) {
    auto wrong_field = Violations(Response(201, R"({"id":"x"})", "application/json"));
    ASSERT_EQ(wrong_field.size(), 1u);
    EXPECT_NE(wrong_field[0].find("/id"), std::string::npos) << wrong_field[0];
    EXPECT_FALSE(Violations(Response(200, R"({})", "application/json")).empty());  // undeclared status
    EXPECT_FALSE(Violations(Response(201, "id=1", "text/plain")).empty());         // wrong media type
    EXPECT_FALSE(Violations(Response(204, "x", "text/plain")).empty());            // a body in a 204
    EXPECT_FALSE(Violations(Response(422, R"({"a":1})", "application/json")).empty());
    EXPECT_FALSE(Violations(Response(404, R"({"code":"x"})", "application/problem+json")).empty());
    // The route accepted a body its own request schema refuses: the reader and the document differ.
    auto accepted = Violations(Response::NoContent(), R"({"name":"far too long a name"})");
    ASSERT_EQ(accepted.size(), 1u);
    EXPECT_NE(accepted[0].find("accepted request"), std::string::npos) << accepted[0];
    // ...which is no violation when the route refused it.
    EXPECT_TRUE(Violations(ProblemResponse(422, "validation.failed", "no", "r", "/things"),
                           R"({"name":"far too long a name"})")
                    .empty());
}

// The route's codes are written by hand next to it: a refusal with a code it does not list (nor
// one every route may give) is a difference between the document and the server.
TEST_F(ContractViolationsTest, AProblemCodeTheRouteDoesNotListIsNamed) {
    auto unlisted = Violations(ProblemResponse(409, "things.taken", "no", "r", "/things"));
    ASSERT_EQ(unlisted.size(), 1u);
    EXPECT_NE(unlisted[0].find("things.taken is not among the route's codes (thing.not_found)"),
              std::string::npos)
        << unlisted[0];
    for (const char* common : {"validation.failed", "json.invalid", "http.body_too_large", "auth.required",
                               "rate_limited.concurrent", "pagination.bad_cursor"}) {
        EXPECT_TRUE(Violations(ProblemResponse(400, common, "no", "r", "/things")).empty()) << common;
    }
    EXPECT_TRUE(Violations(ProblemResponse(500, "things.broken", "no", "r", "/things")).empty())
        << "5xx codes are the server's, not the route's";
    EXPECT_TRUE(IsCommonProblemCode("db.unique_violation"));
    EXPECT_FALSE(IsCommonProblemCode("auth.invalid_credentials"));
}

}  // namespace
}  // namespace nn::http
