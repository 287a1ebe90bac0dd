#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include "infra/http/json.hpp"
#include "infra/http/test_server.hpp"
#include "tests/support/test_env.hpp"

namespace nn::http {
namespace {

namespace fs = std::filesystem;

// The code of the HttpError ParseJson throws, or "" when it accepts the text.
std::string RejectionCode(std::string_view text, const JsonLimits& limits = {}) {
    try {
        ParseJson(text, limits);
    } catch (const HttpError& e) {
        return e.Code();
    }
    return "";
}

int RejectionStatus(std::string_view text, const JsonLimits& limits = {}) {
    try {
        ParseJson(text, limits);
    } catch (const HttpError& e) {
        return e.Status();
    }
    return 0;
}

TEST(Json, StrictParsingTable) {
    struct Case {
        std::string text;
        std::string code;  // "" = accepted
    };
    const Case cases[] = {
        {R"({"a":1,"b":[true,null,"x"]})", ""},
        {" [1, 2.5, -3e2] \n", ""},
        {R"({"a":{"a":1},"b":{"a":2}})", ""},  // the same key in different objects is fine
        {R"({"a":1,"a":2})", "json.duplicate_key"},
        {R"({"x":{"a":1,"a":2}})", "json.duplicate_key"},
        {R"({"a\u0062":1,"ab":2})", "json.duplicate_key"},  // equal after unescaping
        {R"(["a\u0000b"])", "json.nul_character"},
        {R"({"a\u0000":1})", "json.nul_character"},
        {"[1] x", "json.trailing_data"},
        {"{} {}", "json.trailing_data"},
        {"[1,]", "json.invalid"},
        {"[NaN]", "json.invalid"},
        {"[Infinity]", "json.invalid"},
        {"// c\n[]", "json.invalid"},
        {"\xEF\xBB\xBF{}", "json.invalid"},  // BOM
        {"", "json.invalid"},
        {"[1e400]", "json.number_out_of_range"},
        {"[\"\xe6\x97\xa5\xd1\x88\xfa\"]", "json.invalid_utf8"},
        {"[\"\xc0\xaf\"]", "json.invalid_utf8"},      // overlong '/'
        {"[\"\xed\xa0\x80\"]", "json.invalid_utf8"},  // UTF-8-encoded surrogate
        {R"(["\uDFAA"])", "json.invalid_utf8"},       // lone trailing surrogate
        {R"(["\uD834"])", "json.invalid"},            // lone leading surrogate: a syntax error to Boost.JSON
        {R"(["\uD834\uDD1E"])", ""},                  // a valid pair (U+1D11E)
        {"[\"\xf0\x9d\x84\x9e\"]", ""},
        {std::string(32, '[') + std::string(32, ']'), ""},
        {std::string(33, '[') + std::string(33, ']'), "json.too_deep"},
        {std::string(100000, '['), "json.too_deep"},
    };
    for (const auto& c : cases) EXPECT_EQ(RejectionCode(c.text), c.code) << c.text.substr(0, 60);
}

TEST(Json, StringLengthLimitIs422) {
    const JsonLimits limits{.max_depth = 32, .max_string_bytes = 8};
    EXPECT_EQ(RejectionCode(R"(["12345678"])", limits), "");
    EXPECT_EQ(RejectionCode(R"(["123456789"])", limits), "json.string_too_long");
    EXPECT_EQ(RejectionStatus(R"(["123456789"])", limits), 422);
    EXPECT_EQ(RejectionCode(R"({"123456789":1})", limits), "json.string_too_long");
    EXPECT_EQ(RejectionStatus("[1] x"), 400);
}

TEST(Json, BodyNeedsJsonContentTypeAndObject) {
    auto status = [](const Request& r) {
        try {
            ParseJsonObject(r);
        } catch (const HttpError& e) {
            return e.Status();
        }
        return 0;
    };
    EXPECT_EQ(status(Request(Method::kPost, "/", {{"Content-Type", "application/json"}}, "{}")), 0);
    EXPECT_EQ(
        status(Request(Method::kPost, "/", {{"Content-Type", "Application/JSON ; charset=utf-8"}}, "{}")), 0);
    EXPECT_EQ(status(Request(Method::kPost, "/", {{"Content-Type", "text/plain"}}, "{}")), 415);
    EXPECT_EQ(status(Request(Method::kPost, "/", {}, "{}")), 415);
    EXPECT_EQ(status(Request(Method::kPost, "/", {{"Content-Type", "application/jsonx"}}, "{}")), 415);
    EXPECT_EQ(status(Request(Method::kPost, "/", {{"Content-Type", "application/json"}}, "")), 400);
    EXPECT_EQ(status(Request(Method::kPost, "/", {{"Content-Type", "application/json"}}, "[]")), 400);
}

// String bounds count characters, as the contract's JSON Schema and PostgreSQL's length() do.
TEST(Json, FieldReaderStringBoundsCountCharacters) {
    std::string cjk;
    for (int i = 0; i < 100; ++i) cjk += "\xe7\x8c\xab";  // 猫, three bytes
    boost::json::object body;
    body["name"] = cjk;
    body["longer"] = cjk + "\xf0\x9f\x90\x88";  // and one four-byte character
    body["short"] = "\xc3\xa9";                 // é: one character, two bytes
    FieldReader in(body);
    EXPECT_EQ(in.String("name", {.min_length = 1, .max_length = 100}), cjk);
    EXPECT_EQ(in.String("longer", {.min_length = 1, .max_length = 100}), "");
    EXPECT_EQ(in.String("short", {.min_length = 2, .max_length = 10}), "");
    std::vector<std::string> fields;
    for (const auto& e : in.Errors()) fields.push_back(e.field + ":" + e.code);
    EXPECT_EQ(fields, (std::vector<std::string>{"longer:too_long", "short:too_short"}));
}

TEST(Json, FieldReaderCollectsEveryError) {
    const boost::json::object body = ParseJson(R"({
        "name": "", "quantity": 1.5, "price": "12.50", "count": 3, "big": 99, "flag": "yes",
        "type": "HOLD", "at": "2024-02-30T00:00:00Z", "when": "2024-02-29T23:59:60.5+01:00",
        "neg": "-0.001", "lead": "007", "exp": "1e5", "role": "ADMIN", "year0": "0000-01-01T00:00:00Z"})")
                                         .as_object();
    FieldReader in(body);
    EXPECT_EQ(in.String("name"), "");
    EXPECT_EQ(in.Decimal("quantity"), "");
    EXPECT_EQ(in.Decimal("price"), "12.50");
    EXPECT_EQ(in.Int("count", {.min = 1, .max = 10}), 3);
    EXPECT_EQ(in.Int("big", {.min = 1, .max = 10}), 0);
    EXPECT_FALSE(in.Bool("flag"));
    EXPECT_EQ(in.Enum("type", {"BUY", "SELL"}), "");
    EXPECT_EQ(in.Timestamp("at"), "");
    EXPECT_EQ(in.Timestamp("when"), "");  // a leap second: ParseRfc3339 refuses it, so does this
    EXPECT_EQ(in.Timestamp("year0"), "");
    EXPECT_EQ(in.Decimal("neg"), "-0.001");
    EXPECT_EQ(in.Decimal("lead"), "");
    EXPECT_EQ(in.Decimal("exp"), "");
    EXPECT_EQ(in.String("missing"), "");
    EXPECT_FALSE(in.OptionalString("absent").has_value());
    ASSERT_FALSE(in.Ok());
    std::vector<std::string> fields;
    for (const auto& e : in.Errors()) fields.push_back(e.field + ":" + e.code);
    EXPECT_EQ(fields, (std::vector<std::string>{"name:too_short", "quantity:not_decimal", "big:not_integer",
                                                "flag:not_boolean", "type:not_allowed", "at:not_timestamp",
                                                "when:not_timestamp", "year0:not_timestamp",
                                                "lead:not_decimal", "exp:not_decimal", "missing:required"}));
    try {
        in.Finish();
        FAIL() << "Finish must throw";
    } catch (const HttpError& e) {
        EXPECT_EQ(e.Status(), 422);
        EXPECT_EQ(e.Code(), "validation.failed");
        EXPECT_EQ(e.FieldErrors().size(), 11u);
    }
    FieldReader strict(body);
    strict.AllowOnly({"name", "quantity", "price", "count", "big", "flag", "type", "at", "when", "neg",
                      "lead", "exp", "year0"});
    ASSERT_EQ(strict.Errors().size(), 1u);
    EXPECT_EQ(strict.Errors()[0].field, "role");
    try {
        strict.Finish();
        FAIL() << "Finish must throw";
    } catch (const HttpError& e) {
        EXPECT_EQ(e.Status(), 400);
        EXPECT_EQ(e.Code(), "request.unknown_fields");
    }
}

struct CorpusFile {
    std::string name;
    std::string content;
};

std::vector<CorpusFile> Corpus() {
    std::vector<CorpusFile> files;
    const fs::path dir = fs::path(test::SourceDir()) / "src/infra/http/testdata/jsontestsuite/test_parsing";
    for (const auto& entry : fs::directory_iterator(dir)) {
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream content;
        content << in.rdbuf();
        files.push_back({entry.path().filename().string(), content.str()});
    }
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return files;
}

// y_ files an API refuses on purpose (security.md §4.4): duplicate keys and NUL characters.
const std::set<std::string> kRefusedValid = {"json.duplicate_key", "json.nul_character"};

TEST(JsonTestSuite, ParserAcceptsYRejectsNAndNeverFailsInternally) {
    const auto files = Corpus();
    ASSERT_GE(files.size(), 300u);
    int accepted_y = 0;
    for (const auto& f : files) {
        const std::string code = RejectionCode(f.content);
        if (f.name.starts_with("y_")) {
            EXPECT_TRUE(code.empty() || kRefusedValid.count(code) == 1) << f.name << " → " << code;
            accepted_y += code.empty();
        } else if (f.name.starts_with("n_")) {
            EXPECT_FALSE(code.empty()) << f.name << " was accepted";
            EXPECT_EQ(RejectionStatus(f.content), 400) << f.name;
        }
    }
    EXPECT_GE(accepted_y, 90);
}

boost::asio::awaitable<Response> Echo(Request& request) {
    co_return JsonResponse(ParseJsonBody(request));
}

TEST(JsonTestSuite, EveryFileAsARequestBodyGetsA2xxOr4xx) {
    testing::TestServer ts;
    ts.routes().Post("/echo", Echo);
    testing::Client c(ts.Start());
    for (const auto& f : Corpus()) {
        auto r = c.Request("POST", "/echo", f.content, {{"Content-Type", "application/json"}});
        ASSERT_TRUE(r) << f.name;
        EXPECT_LT(r->status, 500) << f.name;
        if (f.name.starts_with("n_")) {
            EXPECT_EQ(r->status, 400) << f.name;
        }
        if (f.name.starts_with("y_") && r->status != 200) {
            EXPECT_EQ(r->status, 400) << f.name;
            const auto code = boost::json::parse(r->body).at("code").as_string();
            EXPECT_EQ(kRefusedValid.count(std::string(code)), 1u) << f.name << " → " << code;
        }
        if (f.name.starts_with("y_") && r->status == 200) {
            // What went in comes back out as the same value.
            EXPECT_EQ(boost::json::parse(r->body), ParseJson(f.content)) << f.name;
        }
    }
}

}  // namespace
}  // namespace nn::http
