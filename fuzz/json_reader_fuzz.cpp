// The strict JSON request reader (infra/http/json.hpp): ParseJson, ParseJsonObject over a
// request, and FieldReader's typed getters on whatever object comes out. Any exception other
// than HttpError, and any sanitizer report, is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/serialize.hpp>

#include "fuzz_check.hpp"
#include "infra/http/http_error.hpp"
#include "infra/http/json.hpp"
#include "infra/http/request.hpp"
#include "json_same.hpp"

namespace {
namespace json = boost::json;
using nn::http::FieldReader;
using nn::http::HttpError;

void CheckStatus(const HttpError& e) {
    NN_FUZZ_CHECK(e.Status() == 400 || e.Status() == 415 || e.Status() == 422);
    NN_FUZZ_CHECK(!e.Code().empty());
}

// The getters a handler uses, on the field names the dictionary and the seeds use.
void ReadFields(const json::object& object) {
    FieldReader in(object);
    (void)in.String("name", {.max_length = 100});
    (void)in.OptionalString("note", {.min_length = 0, .max_length = 500});
    (void)in.Decimal("quantity");
    (void)in.OptionalDecimal("price", 20);
    (void)in.Int("limit", {.min = 1, .max = 200});
    (void)in.OptionalInt("year");
    (void)in.Bool("active");
    (void)in.OptionalBool("archived");
    (void)in.Enum("type", {"BUY", "SELL", "DIVIDEND"});
    (void)in.OptionalEnum("currency", {"EUR", "USD", "GBP"});
    (void)in.Timestamp("executed_at");
    (void)in.OptionalTimestamp("until");
    in.AllowOnly({"name", "note", "quantity", "price", "limit", "year", "active", "archived", "type",
                  "currency", "executed_at", "until"});
    NN_FUZZ_CHECK(in.Ok() == in.Errors().empty());
    try {
        in.Finish();
        NN_FUZZ_CHECK(in.Ok());
    } catch (const HttpError& e) {
        NN_FUZZ_CHECK(!in.Ok());
        NN_FUZZ_CHECK(e.Status() == 400 || e.Status() == 422);
        NN_FUZZ_CHECK(!e.FieldErrors().empty());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    nn::http::JsonLimits limits;
    limits.max_string_bytes = 256;  // small, so the fuzzer reaches the limit
    limits.max_depth = 16;
    try {
        const json::value value = nn::http::ParseJson(text, limits);
        // What was accepted serialises to a text that is accepted again, with the same value.
        const std::string again = json::serialize(value);
        json::value reread;
        try {
            reread = nn::http::ParseJson(again, limits);
        } catch (const HttpError& e) {
            std::fprintf(stderr, "re-reading %s failed: %s\n", again.c_str(), e.what());
            NN_FUZZ_CHECK(!"serialised output refused");
        }
        NN_FUZZ_CHECK(nn::fuzz::SameJson(value, reread));
        if (value.is_object()) ReadFields(value.get_object());
    } catch (const HttpError& e) {
        CheckStatus(e);
    }

    nn::http::Request request(nn::http::Method::kPost, "/api/v1/x",
                              {{"Content-Type", "application/json; charset=utf-8"}}, std::string(text));
    try {
        (void)nn::http::ParseJsonObject(request, limits);
    } catch (const HttpError& e) {
        CheckStatus(e);
    }
    return 0;
}
