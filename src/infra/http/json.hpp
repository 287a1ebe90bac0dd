#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "infra/http/http_error.hpp"
#include "infra/http/request.hpp"
#include "infra/http/response.hpp"

namespace nn::http {

struct JsonLimits {
    std::size_t max_depth = 32;            // deeper → 400 json.too_deep
    std::size_t max_string_bytes = 65536;  // a longer string or key → 422 json.string_too_long
};

// Parses a whole JSON text strictly (RFC 8259 + the API rules of security.md §4.4). Throws
// HttpError with a stable code:
//   400 json.invalid          syntax error, BOM, NaN/Infinity, comments, trailing commas
//   400 json.trailing_data    anything but whitespace after the value
//   400 json.too_deep         nesting beyond max_depth
//   400 json.invalid_utf8     invalid UTF-8 or a lone trailing surrogate escape ("\\uDC00";
//                             a lone leading one is a syntax error to Boost.JSON: json.invalid)
//   400 json.duplicate_key    the same key twice in one object
//   400 json.nul_character    a NUL character in a string or key (PostgreSQL text cannot hold it)
//   400 json.number_out_of_range  a number that overflows a double (1e400)
//   422 json.string_too_long  a string or key longer than max_string_bytes
boost::json::value ParseJson(std::string_view text, const JsonLimits& limits = {});

// The request body as JSON: 415 http.unsupported_media_type unless Content-Type is
// application/json (parameters such as charset=utf-8 allowed); 400 json.empty_body when empty.
boost::json::value ParseJsonBody(const Request& request, const JsonLimits& limits = {});
// The same, and the top-level value must be an object (else 400 json.not_object).
boost::json::object ParseJsonObject(const Request& request, const JsonLimits& limits = {});

// A JSON response (application/json).
Response JsonResponse(const boost::json::value& value, int status = 200);

struct StringRules {
    std::size_t min_length = 1;
    std::size_t max_length = 1024;  // in bytes
};

struct IntRules {
    std::int64_t min = std::numeric_limits<std::int64_t>::min();
    std::int64_t max = std::numeric_limits<std::int64_t>::max();
};

// Reads typed fields from a JSON object and collects every problem before failing, so one 422
// names all wrong fields at once:
//
//     FieldReader in(ParseJsonObject(req));
//     auto name = in.String("name", {.max_length = 100});
//     auto quantity = in.Decimal("quantity");
//     auto note = in.OptionalString("note");
//     in.AllowOnly({"name", "quantity", "note"});
//     in.Finish();  // throws if anything above was wrong
//
// A failed getter returns an empty value; only use results after Finish() returned.
class FieldReader {
public:
    explicit FieldReader(const boost::json::object& object) : object_(object) {}

    std::string String(std::string_view field, StringRules rules = {});
    std::optional<std::string> OptionalString(std::string_view field, StringRules rules = {});
    // A string holding a plain decimal ("-12.5", "0.000001"; no exponent, no '+', no spaces,
    // at most max_digits significant digits). Money and quantities travel this way, never as
    // JSON numbers.
    std::string Decimal(std::string_view field, std::size_t max_digits = 38);
    std::optional<std::string> OptionalDecimal(std::string_view field, std::size_t max_digits = 38);
    std::int64_t Int(std::string_view field, IntRules rules = {});
    std::optional<std::int64_t> OptionalInt(std::string_view field, IntRules rules = {});
    bool Bool(std::string_view field);
    std::optional<bool> OptionalBool(std::string_view field);
    // One of `allowed` (exact match); the message lists them.
    std::string Enum(std::string_view field, std::initializer_list<std::string_view> allowed);
    std::optional<std::string> OptionalEnum(std::string_view field,
                                            std::initializer_list<std::string_view> allowed);
    // RFC 3339 timestamp with a zone ("2024-01-31T12:00:00Z", "...+01:00"), returned as sent.
    std::string Timestamp(std::string_view field);
    std::optional<std::string> OptionalTimestamp(std::string_view field);
    // Fields not in `allowed` are errors (code "unknown_field"): mass assignment is refused.
    void AllowOnly(std::initializer_list<std::string_view> allowed);

    // Records a problem found by the caller's own checks.
    void AddError(std::string field, std::string code, std::string message);
    bool Ok() const noexcept { return errors_.empty(); }
    const std::vector<FieldError>& Errors() const noexcept { return errors_; }

    // Throws HttpError listing every error: 400 "request.unknown_fields" when any field was
    // unknown, otherwise 422 "validation.failed".
    void Finish() const;

private:
    const boost::json::value* Find(std::string_view field, bool required);

    const boost::json::object& object_;
    std::vector<FieldError> errors_;
};

}  // namespace nn::http
