#include "infra/http/json.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_stack.hpp>

namespace nn::http {
namespace json = boost::json;

namespace {

enum class Violation { kNone, kDuplicateKey, kNul, kStringTooLong, kNumberRange };

// Duplicate-key detection without an allocation per key: every key of the document is appended
// to one byte buffer, and an open-addressing table of (object, key) entries points into it. Both
// grow geometrically, so a document costs O(log keys) allocations and O(1) expected work per key
// whatever its shape (many small objects, or one object of 100 000 keys).
class KeySet {
public:
    // Appends part of the key being read (a key may arrive in several parts).
    void AppendPart(std::string_view part) { bytes_.append(part.data(), part.size()); }

    // Ends the key being read (after AppendPart) as a key of `object`; false when that object
    // already holds it.
    bool Insert(std::uint32_t object) {
        const std::uint32_t begin = pending_begin_;
        const auto size = static_cast<std::uint32_t>(bytes_.size() - begin);
        const std::string_view key(bytes_.data() + begin, size);
        if (keys_.size() * 2 >= slots_.size()) Grow();
        const std::uint64_t hash = Hash(object, key);
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
            const std::uint32_t slot = slots_[i];
            if (slot == 0) {
                keys_.push_back(Key{hash, object, begin, size});
                slots_[i] = static_cast<std::uint32_t>(keys_.size());
                pending_begin_ = static_cast<std::uint32_t>(bytes_.size());
                return true;
            }
            const Key& k = keys_[slot - 1];
            if (k.hash == hash && k.object == object && KeyText(k) == key) return false;
        }
    }

private:
    struct Key {
        std::uint64_t hash;
        std::uint32_t object, begin, size;
    };

    static std::uint64_t Hash(std::uint32_t object, std::string_view key) {
        std::uint64_t h = 14695981039346656037ull ^ object;  // FNV-1a over the object id and the key
        for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
        return h ^ (h >> 29);
    }
    std::string_view KeyText(const Key& k) const { return {bytes_.data() + k.begin, k.size}; }

    void Grow() {
        std::vector<std::uint32_t> slots(slots_.empty() ? 64 : slots_.size() * 2, 0);
        const std::size_t mask = slots.size() - 1;
        for (std::uint32_t n = 1; n <= keys_.size(); ++n) {
            std::size_t i = keys_[n - 1].hash & mask;
            while (slots[i] != 0) i = (i + 1) & mask;
            slots[i] = n;
        }
        slots_ = std::move(slots);
    }

    std::string bytes_;
    std::vector<Key> keys_;
    std::vector<std::uint32_t> slots_;  // 1-based index into keys_; 0 = empty
    std::uint32_t pending_begin_ = 0;
};

// A basic_parser handler that builds the value like boost::json::parser does and enforces the
// rules the stock parser cannot: duplicate keys (the stock parser keeps the last one silently),
// NUL characters, string length, and non-finite numbers.
struct StrictHandler {
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    explicit StrictHandler(std::size_t max_string) : max_string_bytes(max_string) {}

    json::value_stack st;
    std::size_t max_string_bytes;
    Violation violation = Violation::kNone;
    std::vector<std::uint32_t> open_objects;  // ids of the objects being parsed, innermost last
    std::uint32_t next_object_id = 0;
    KeySet keys;

    bool Fail(Violation v, json::error_code& ec) {
        violation = v;
        ec = json::error::exception;
        return false;
    }
    bool CheckText(json::string_view s, std::size_t total, json::error_code& ec) {
        if (total > max_string_bytes) return Fail(Violation::kStringTooLong, ec);
        if (std::find(s.begin(), s.end(), '\0') != s.end()) return Fail(Violation::kNul, ec);
        return true;
    }

    bool on_document_begin(json::error_code&) {
        st.reset();
        return true;
    }
    bool on_document_end(json::error_code&) { return true; }
    bool on_object_begin(json::error_code&) {
        open_objects.push_back(next_object_id++);
        return true;
    }
    bool on_object_end(std::size_t n, json::error_code&) {
        open_objects.pop_back();
        st.push_object(n);
        return true;
    }
    bool on_array_begin(json::error_code&) { return true; }
    bool on_array_end(std::size_t n, json::error_code&) {
        st.push_array(n);
        return true;
    }
    bool on_key_part(json::string_view s, std::size_t n, json::error_code& ec) {
        if (!CheckText(s, n, ec)) return false;
        keys.AppendPart({s.data(), s.size()});
        st.push_chars(s);
        return true;
    }
    bool on_key(json::string_view s, std::size_t n, json::error_code& ec) {
        if (!CheckText(s, n, ec)) return false;
        keys.AppendPart({s.data(), s.size()});
        if (!keys.Insert(open_objects.back())) return Fail(Violation::kDuplicateKey, ec);
        st.push_key(s);
        return true;
    }
    bool on_string_part(json::string_view s, std::size_t n, json::error_code& ec) {
        if (!CheckText(s, n, ec)) return false;
        st.push_chars(s);
        return true;
    }
    bool on_string(json::string_view s, std::size_t n, json::error_code& ec) {
        if (!CheckText(s, n, ec)) return false;
        st.push_string(s);
        return true;
    }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
        st.push_int64(i);
        return true;
    }
    bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
        st.push_uint64(u);
        return true;
    }
    bool on_double(double d, json::string_view, json::error_code& ec) {
        if (!std::isfinite(d)) return Fail(Violation::kNumberRange, ec);
        st.push_double(d);
        return true;
    }
    bool on_bool(bool b, json::error_code&) {
        st.push_bool(b);
        return true;
    }
    bool on_null(json::error_code&) {
        st.push_null();
        return true;
    }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }
};

// RFC 3629 UTF-8: no overlong forms, no surrogates (U+D800..DFFF), nothing above U+10FFFF.
bool ValidUtf8(std::string_view text) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    while (p < end) {
        const unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        int extra;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return false;
        }
        if (end - p <= extra) return false;
        if (p[1] < lo || p[1] > hi) return false;
        for (int i = 2; i <= extra; ++i) {
            if (p[i] < 0x80 || p[i] > 0xBF) return false;
        }
        p += extra + 1;
    }
    return true;
}

[[noreturn]] void Reject(int status, const char* code, const std::string& detail) {
    throw HttpError(status, code, detail);
}

bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

bool ValidDecimal(std::string_view s, std::size_t max_digits) {
    std::size_t i = 0, digits = 0;
    if (i < s.size() && s[i] == '-') ++i;
    const std::size_t int_start = i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
    const std::size_t int_len = i - int_start;
    if (int_len == 0 || (int_len > 1 && s[int_start] == '0')) return false;
    if (i < s.size() && s[i] == '.') {
        ++i;
        const std::size_t frac_start = i;
        while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
        if (i == frac_start) return false;
    }
    return i == s.size() && digits <= max_digits;
}

int TwoDigits(std::string_view s, std::size_t at) {
    return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

bool ValidTimestamp(std::string_view s) {
    // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
    if (s.size() < 20) return false;
    static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
    for (std::size_t i = 0; i < kShape.size(); ++i) {
        const char want = kShape[i];
        if (want == 'd' ? !IsDigit(s[i]) : (want == 'T' ? (s[i] != 'T' && s[i] != 't') : s[i] != want))
            return false;
    }
    const int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + TwoDigits(s, 2);
    const int month = TwoDigits(s, 5), day = TwoDigits(s, 8);
    const int hour = TwoDigits(s, 11), minute = TwoDigits(s, 14), second = TwoDigits(s, 17);
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1) return false;
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > kDays[month - 1] + (month == 2 && leap ? 1 : 0)) return false;
    // What ParseRfc3339 stores: no leap second (a :60 once passed here, failed there and was kept
    // as the epoch) and no year 0 (PostgreSQL's 1 BC).
    if (year == 0 || hour > 23 || minute > 59 || second > 59) return false;
    std::size_t i = kShape.size();
    if (s[i] == '.') {
        const std::size_t start = ++i;
        while (i < s.size() && IsDigit(s[i])) ++i;
        if (i == start || i - start > 9) return false;
    }
    if (i == s.size()) return false;
    if (s[i] == 'Z' || s[i] == 'z') return i + 1 == s.size();
    if ((s[i] != '+' && s[i] != '-') || s.size() - i != 6) return false;
    if (!IsDigit(s[i + 1]) || !IsDigit(s[i + 2]) || s[i + 3] != ':' || !IsDigit(s[i + 4]) ||
        !IsDigit(s[i + 5])) {
        return false;
    }
    return TwoDigits(s, i + 1) <= 23 && TwoDigits(s, i + 4) <= 59;
}

std::string Quoted(std::string_view field) {
    return "field '" + std::string(field) + "'";
}

}  // namespace

json::value ParseJson(std::string_view text, const JsonLimits& limits) {
    if (!ValidUtf8(text)) Reject(400, "json.invalid_utf8", "the body is not valid UTF-8");
    json::parse_options options;
    options.max_depth = limits.max_depth;
    json::basic_parser<StrictHandler> parser(options, limits.max_string_bytes);
    json::error_code ec;
    const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
    switch (parser.handler().violation) {
        case Violation::kNone:
            break;
        case Violation::kDuplicateKey:
            Reject(400, "json.duplicate_key", "an object holds the same key twice");
        case Violation::kNul:
            Reject(400, "json.nul_character", "a string holds a NUL character");
        case Violation::kStringTooLong:
            throw HttpError(422, "json.string_too_long",
                            "a string is longer than " + std::to_string(limits.max_string_bytes) + " bytes");
        case Violation::kNumberRange:
            Reject(400, "json.number_out_of_range", "a number is too large");
    }
    if (ec == json::error::too_deep) {
        Reject(400, "json.too_deep",
               "the JSON nests deeper than " + std::to_string(limits.max_depth) + " levels");
    }
    if (ec == json::error::illegal_leading_surrogate || ec == json::error::illegal_trailing_surrogate) {
        Reject(400, "json.invalid_utf8", "a string holds an unpaired UTF-16 surrogate escape");
    }
    if (ec == json::error::exponent_overflow)
        Reject(400, "json.number_out_of_range", "a number is too large");
    if (ec == json::error::extra_data || (!ec && used < text.size())) {
        Reject(400, "json.trailing_data",
               "the body continues after the JSON value (byte " + std::to_string(used) + ")");
    }
    if (ec || !parser.done()) {
        Reject(400, "json.invalid", "the body is not valid JSON (at byte " + std::to_string(used) + ")");
    }
    return parser.handler().st.release();
}

json::value ParseJsonBody(const Request& request, const JsonLimits& limits) {
    std::string_view type = request.Header("Content-Type");
    type = type.substr(0, type.find(';'));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    std::string lowered(type);
    std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (lowered != "application/json") {
        throw HttpError(415, "http.unsupported_media_type", "send the body as application/json",
                        {{"Accept-Post", "application/json"}});
    }
    if (request.Body().empty()) Reject(400, "json.empty_body", "the request needs a JSON body");
    return ParseJson(request.Body(), limits);
}

json::object ParseJsonObject(const Request& request, const JsonLimits& limits) {
    json::value value = ParseJsonBody(request, limits);
    if (!value.is_object()) Reject(400, "json.not_object", "the body must be a JSON object");
    return std::move(value.get_object());
}

Response JsonResponse(const json::value& value, int status) {
    return Response(status, json::serialize(value), "application/json");
}

const json::value* FieldReader::Find(std::string_view field, bool required) {
    const auto it = object_.find(field);
    if (it == object_.end() || it->value().is_null()) {
        if (required) AddError(std::string(field), "required", Quoted(field) + " is required");
        return nullptr;
    }
    return &it->value();
}

std::optional<std::string> FieldReader::OptionalString(std::string_view field, StringRules rules) {
    const json::value* v = Find(field, false);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) {
        AddError(std::string(field), "not_string", Quoted(field) + " must be a string");
        return std::nullopt;
    }
    const json::string& s = v->get_string();
    // Characters (code points), as JSON Schema's minLength and maxLength and PostgreSQL's length()
    // count them: counted in bytes, a name of 40 Chinese characters was "too long" for 100.
    // The parser has checked the UTF-8, so every byte that is not a continuation starts one.
    const auto characters = static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
    if (characters < rules.min_length) {
        AddError(
            std::string(field), "too_short",
            Quoted(field) + " must be at least " + std::to_string(rules.min_length) + " characters long");
        return std::nullopt;
    }
    if (characters > rules.max_length) {
        AddError(std::string(field), "too_long",
                 Quoted(field) + " must be at most " + std::to_string(rules.max_length) + " characters long");
        return std::nullopt;
    }
    return std::string(s);
}

std::string FieldReader::String(std::string_view field, StringRules rules) {
    if (Find(field, true) == nullptr) return {};
    return OptionalString(field, rules).value_or(std::string());
}

std::optional<std::string> FieldReader::OptionalDecimal(std::string_view field, std::size_t max_digits) {
    const json::value* v = Find(field, false);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string() || !ValidDecimal(v->get_string(), max_digits)) {
        AddError(std::string(field), "not_decimal",
                 Quoted(field) + " must be a string holding a decimal (like \"12.50\", at most " +
                     std::to_string(max_digits) + " digits)");
        return std::nullopt;
    }
    return std::string(v->get_string());
}

std::string FieldReader::Decimal(std::string_view field, std::size_t max_digits) {
    if (Find(field, true) == nullptr) return {};
    return OptionalDecimal(field, max_digits).value_or(std::string());
}

std::optional<std::int64_t> FieldReader::OptionalInt(std::string_view field, IntRules rules) {
    const json::value* v = Find(field, false);
    if (v == nullptr) return std::nullopt;
    std::optional<std::int64_t> value;
    if (v->is_int64()) value = v->get_int64();
    if (v->is_uint64() &&
        v->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        value = static_cast<std::int64_t>(v->get_uint64());
    }
    if (!value || *value < rules.min || *value > rules.max) {
        AddError(std::string(field), "not_integer",
                 Quoted(field) + " must be an integer from " + std::to_string(rules.min) + " to " +
                     std::to_string(rules.max));
        return std::nullopt;
    }
    return value;
}

std::int64_t FieldReader::Int(std::string_view field, IntRules rules) {
    if (Find(field, true) == nullptr) return 0;
    return OptionalInt(field, rules).value_or(0);
}

std::optional<bool> FieldReader::OptionalBool(std::string_view field) {
    const json::value* v = Find(field, false);
    if (v == nullptr) return std::nullopt;
    if (!v->is_bool()) {
        AddError(std::string(field), "not_boolean", Quoted(field) + " must be true or false");
        return std::nullopt;
    }
    return v->get_bool();
}

bool FieldReader::Bool(std::string_view field) {
    if (Find(field, true) == nullptr) return false;
    return OptionalBool(field).value_or(false);
}

std::optional<std::string> FieldReader::OptionalEnum(std::string_view field,
                                                     std::initializer_list<std::string_view> allowed) {
    const json::value* v = Find(field, false);
    if (v == nullptr) return std::nullopt;
    if (v->is_string()) {
        const std::string_view s = v->get_string();
        if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) return std::string(s);
    }
    std::string list;
    for (std::string_view a : allowed) {
        if (!list.empty()) list += ", ";
        list += a;
    }
    AddError(std::string(field), "not_allowed", Quoted(field) + " must be one of: " + list);
    return std::nullopt;
}

std::string FieldReader::Enum(std::string_view field, std::initializer_list<std::string_view> allowed) {
    if (Find(field, true) == nullptr) return {};
    return OptionalEnum(field, allowed).value_or(std::string());
}

std::optional<std::string> FieldReader::OptionalTimestamp(std::string_view field) {
    const json::value* v = Find(field, false);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string() || !ValidTimestamp(v->get_string())) {
        AddError(std::string(field), "not_timestamp",
                 Quoted(field) + " must be an RFC 3339 timestamp such as \"2024-01-31T12:00:00Z\"");
        return std::nullopt;
    }
    return std::string(v->get_string());
}

std::string FieldReader::Timestamp(std::string_view field) {
    if (Find(field, true) == nullptr) return {};
    return OptionalTimestamp(field).value_or(std::string());
}

void FieldReader::AllowOnly(std::initializer_list<std::string_view> allowed) {
    for (const auto& entry : object_) {
        const std::string_view key = entry.key();
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            AddError(std::string(key), "unknown_field", Quoted(key) + " is not accepted here");
        }
    }
}

void FieldReader::AddError(std::string field, std::string code, std::string message) {
    errors_.push_back(FieldError{std::move(field), std::move(code), std::move(message)});
}

void FieldReader::Finish() const {
    if (errors_.empty()) return;
    const bool unknown = std::any_of(errors_.begin(), errors_.end(),
                                     [](const FieldError& e) { return e.code == "unknown_field"; });
    std::string detail = errors_.front().message;
    if (errors_.size() > 1) detail += " (and " + std::to_string(errors_.size() - 1) + " more)";
    if (unknown) throw HttpError(400, "request.unknown_fields", detail, {}, errors_);
    throw HttpError(422, "validation.failed", detail, {}, errors_);
}

}  // namespace nn::http
