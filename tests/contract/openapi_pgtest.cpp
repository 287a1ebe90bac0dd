// The API contract of the whole app, registered as `nexanest serve` registers it: every route
// has a complete contract (no empty schema), every documented example matches its schema, and
// the served document is the one committed in web/src/lib/api/openapi.json, from which the
// dashboard's types are generated (NEXANEST_WRITE_OPENAPI=1 rewrites that file).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>

#include "apps/nexanest/modules.hpp"
#include "auth/test_keys.hpp"
#include "infra/app/app.hpp"
#include "infra/http/schema_validator.hpp"
#include "infra/http/test_server.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/suite_databases.hpp"
#include "tests/support/test_env.hpp"

namespace nn {
namespace {
namespace json = boost::json;

// The committed copy is indented two spaces per level, in the served key order, so that a
// change of the contract reads as a small diff.
void WritePretty(std::ostream& out, const json::value& v, int depth) {
    const std::string pad(2 * (depth + 1), ' ');
    const std::string close(2 * depth, ' ');
    if (v.is_object() && !v.get_object().empty()) {
        out << "{\n";
        bool first = true;
        for (const auto& [key, member] : v.get_object()) {
            out << (first ? "" : ",\n") << pad << json::serialize(json::string_view(key)) << ": ";
            WritePretty(out, member, depth + 1);
            first = false;
        }
        out << "\n" << close << "}";
    } else if (v.is_array() && !v.get_array().empty()) {
        out << "[\n";
        bool first = true;
        for (const auto& item : v.get_array()) {
            out << (first ? "" : ",\n") << pad;
            WritePretty(out, item, depth + 1);
            first = false;
        }
        out << "\n" << close << "]";
    } else {
        out << json::serialize(v);
    }
}

class OpenApiContract : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        databases_ = new test::SuiteDatabases(
            "t_oa_", {migrate::Database::kAuth, migrate::Database::kPortfolio, migrate::Database::kAnalytics,
                      migrate::Database::kNotifications, migrate::Database::kTimescale});
        auto config = test::AppConfig(*databases_, "all");
        config.threads = 1;
        config.public_url = "https://nexanest.test";
        auth::testing::PutTestKeys(config);
        host_ = new test::AppHost();
        app::RegisterModules(host_->MakeApp(config));
        host_->StartApp();
        const test::AppReply r = host_->Call("GET", "/api/v1/openapi.json");
        if (r.status != 200) throw std::runtime_error("the document was not served");
        text_ = new std::string(r.body);
        document_ = new json::object(json::parse(*text_).as_object());
    }
    static void TearDownTestSuite() {
        delete host_;  // stops the App, then its shard
        delete document_;
        delete text_;
        delete databases_;
    }

    // Calls `visit(schema, where)` on every schema of the document: components, parameters,
    // request and response bodies, and every schema nested in them.
    template <class Visit>
    static void EachSchema(const json::value& schema, const std::string& where, Visit& visit) {
        if (!schema.is_object()) return;
        visit(schema, where);
        const auto& o = schema.as_object();
        if (auto p = o.if_contains("properties")) {
            for (const auto& [name, sub] : p->as_object())
                EachSchema(sub, where + "." + std::string(name), visit);
        }
        for (const char* k : {"items", "additionalProperties"}) {
            if (auto sub = o.if_contains(k)) EachSchema(*sub, where + "." + k, visit);
        }
        for (const char* k : {"anyOf", "oneOf", "allOf"}) {
            if (auto list = o.if_contains(k)) {
                for (const auto& sub : list->as_array()) EachSchema(sub, where + "." + k, visit);
            }
        }
    }

    template <class Visit>
    static void EachDocumentSchema(Visit visit) {
        for (const auto& [name, schema] : document_->at("components").at("schemas").as_object()) {
            EachSchema(schema, "components." + std::string(name), visit);
        }
        for (const auto& [path, item] : document_->at("paths").as_object()) {
            for (const auto& [method, op] : item.as_object()) {
                const std::string where = std::string(method) + " " + std::string(path);
                if (auto params = op.as_object().if_contains("parameters")) {
                    for (const auto& p : params->as_array()) {
                        EachSchema(p.at("schema"), where + " ?" + std::string(p.at("name").as_string()),
                                   visit);
                    }
                }
                if (auto body = op.as_object().if_contains("requestBody")) {
                    for (const auto& [type, media] : body->at("content").as_object()) {
                        EachSchema(media.at("schema"), where + " request", visit);
                    }
                }
                for (const auto& [status, answer] : op.at("responses").as_object()) {
                    if (auto content = answer.as_object().if_contains("content")) {
                        for (const auto& [type, media] : content->as_object()) {
                            EachSchema(media.at("schema"), where + " " + std::string(status), visit);
                        }
                    }
                }
            }
        }
    }

    inline static test::SuiteDatabases* databases_ = nullptr;
    inline static test::AppHost* host_ = nullptr;
    inline static std::string* text_ = nullptr;
    inline static json::object* document_ = nullptr;
};

// A route without a contract would be emitted with a bare "2XX" answer and no schema.
TEST_F(OpenApiContract, EveryRouteHasACompleteContract) {
    std::vector<std::string> incomplete;
    std::size_t operations = 0;
    for (const auto& route : host_->app().Routes().Routes()) {
        if (route->method == http::Method::kOptions || route->method == http::Method::kHead) continue;
        ++operations;
        const std::string name = std::string(http::MethodName(route->method)) + " " + route->pattern;
        const auto& c = route->contract;
        bool success = false;
        for (const auto& r : c.responses) {
            success = success || (r.status >= 200 && r.status < 400);
            const bool needs_schema = r.status != 204 && r.content_type == "application/json";
            if (needs_schema && r.schema.Empty())
                incomplete.push_back(name + ": an empty schema for " + std::to_string(r.status));
        }
        if (!success) incomplete.push_back(name + ": no success answer");
        if (c.request && c.request->Empty()) incomplete.push_back(name + ": an empty request schema");
        for (const auto& q : c.query) {
            if (q.schema.Empty()) incomplete.push_back(name + ": no schema for ?" + q.name);
        }
    }
    EXPECT_GT(operations, 80u);
    EXPECT_TRUE(incomplete.empty()) << [&] {
        std::string all;
        for (const auto& i : incomplete) all += i + "\n";
        return all;
    }();
    EXPECT_EQ(text_->find(R"("schema":{})"), std::string::npos);
    EXPECT_EQ(text_->find(R"("2XX")"), std::string::npos);
}

// Every schema uses only what the validator checks, every $ref resolves, and every example
// (in `examples`) matches the schema that documents it.
TEST_F(OpenApiContract, EveryExampleMatchesItsSchema) {
    std::vector<std::string> problems;
    std::size_t examples = 0;
    auto visit = [&](const json::value& schema, const std::string& where) {
        // Unsupported keywords and dangling $refs are reported whatever the instance.
        for (const auto& e : http::ValidateSchema(schema, nullptr, *document_)) {
            if (e.find("unsupported") != std::string::npos ||
                e.find("does not resolve") != std::string::npos) {
                problems.push_back(where + ": " + e);
            }
        }
        if (auto list = schema.as_object().if_contains("examples")) {
            for (const auto& example : list->as_array()) {
                ++examples;
                for (const auto& e : http::ValidateSchema(schema, example, *document_)) {
                    problems.push_back(where + " example " + json::serialize(example) + ": " + e);
                }
            }
        }
    };
    EachDocumentSchema(visit);
    EXPECT_GT(examples, 5u);
    EXPECT_TRUE(problems.empty()) << [&] {
        std::string all;
        for (const auto& p : problems) all += p + "\n";
        return all;
    }();
}

// The dashboard's types are generated from the committed copy; it must be the served document.
TEST_F(OpenApiContract, TheCommittedDocumentIsTheServedOne) {
    const std::string path = test::SourceDir() + "/web/src/lib/api/openapi.json";
    const json::value served = json::parse(*text_);
    if (const char* w = std::getenv("NEXANEST_WRITE_OPENAPI"); w != nullptr && std::string_view(w) == "1") {
        std::ofstream out(path);
        WritePretty(out, served, 0);
        out << "\n";
    }
    std::ifstream in(path);
    ASSERT_TRUE(in) << path << " is missing: run this test with NEXANEST_WRITE_OPENAPI=1";
    std::stringstream committed;
    committed << in.rdbuf();
    EXPECT_TRUE(json::parse(committed.str()) == served)
        << path << " differs from the served document: run this test with NEXANEST_WRITE_OPENAPI=1 "
        << "and commit the file (the dashboard's types come from it)";
}

}  // namespace
}  // namespace nn
