#include "infra/http/query.hpp"

#include <array>
#include <charconv>

#include <boost/url/encoding_opts.hpp>
#include <boost/url/params_encoded_view.hpp>
#include <boost/url/parse_query.hpp>

#include "infra/http/http_error.hpp"
#include "infra/http/request.hpp"

namespace nn::http {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<signed char, 256> MakeDecodeTable() {
    std::array<signed char, 256> table{};
    for (auto& v : table) v = -1;
    for (std::size_t i = 0; i < kAlphabet.size(); ++i)
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<signed char>(i);
    return table;
}
constexpr auto kDecode = MakeDecodeTable();

[[noreturn]] void BadQuery(const std::string& detail) {
    throw HttpError(400, "http.bad_query", detail);
}

}  // namespace

QueryParams QueryParams::Parse(std::string_view query) {
    QueryParams result;
    if (query.empty()) return result;
    // Boost.URL 1.81 parse_query reads its argument up to a NUL (strlen), past the end of a view
    // into the request target; a terminated copy keeps it inside the query.
    const std::string terminated(query);
    auto parsed = boost::urls::parse_query(boost::urls::string_view(terminated.c_str(), terminated.size()));
    if (!parsed) BadQuery("the query string is not valid percent-encoding");
    boost::urls::encoding_opts options;
    options.space_as_plus = true;
    for (const auto& param : *parsed) {
        std::string key = param.key.decode(options);
        std::string value = param.has_value ? param.value.decode(options) : std::string();
        if (key.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
            BadQuery("the query string holds a NUL character");
        }
        result.items_.emplace_back(std::move(key), std::move(value));
    }
    return result;
}

std::optional<std::string_view> QueryParams::Get(std::string_view name) const {
    for (const auto& [k, v] : items_) {
        if (k == name) return std::string_view(v);
    }
    return std::nullopt;
}

std::vector<std::string_view> QueryParams::GetAll(std::string_view name) const {
    std::vector<std::string_view> values;
    for (const auto& [k, v] : items_) {
        if (k == name) values.emplace_back(v);
    }
    return values;
}

std::string Base64UrlEncode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                           (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                           static_cast<unsigned char>(bytes[i + 2]);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
    } else if (rest == 2) {
        const unsigned v =
            (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
    }
    return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    unsigned acc = 0;
    int bits = 0;
    for (char c : text) {
        const int v = kDecode[static_cast<unsigned char>(c)];
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    // The leftover bits must be zero, or two spellings would decode to the same bytes.
    if ((acc & ((1U << bits) - 1)) != 0) return std::nullopt;
    return out;
}

std::string EncodeCursor(std::string_view raw) {
    return Base64UrlEncode(raw);
}

PageRequest ParsePage(const Request& request, const PageLimits& limits) {
    PageRequest page;
    page.limit = limits.default_limit;
    const QueryParams& query = request.Query();
    if (auto text = query.Get("limit")) {
        std::size_t value = 0;
        const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
        if (ec != std::errc() || end != text->data() + text->size() || value < 1 ||
            value > limits.max_limit) {
            const std::string message =
                "query parameter 'limit' must be an integer from 1 to " + std::to_string(limits.max_limit);
            throw HttpError(422, "validation.failed", message, {},
                            {FieldError{"limit", "out_of_range", message}});
        }
        page.limit = value;
    }
    if (auto text = query.Get("cursor")) {
        page.cursor = Base64UrlDecode(*text);
        if (!page.cursor || page.cursor->empty()) {
            throw HttpError(400, "pagination.bad_cursor", "the cursor is not one this server issued");
        }
    }
    return page;
}

std::optional<std::string> IdempotencyKey(const Request& request) {
    const std::size_t count = request.HeaderCount("Idempotency-Key");
    if (count == 0) return std::nullopt;
    const std::string_view key = request.Header("Idempotency-Key");
    bool ok = count == 1 && !key.empty() && key.size() <= 255;
    for (char c : key) ok = ok && c > 0x20 && c < 0x7F;
    if (!ok) {
        throw HttpError(400, "idempotency.bad_key",
                        "Idempotency-Key must be sent once, with 1 to 255 visible ASCII characters");
    }
    return std::string(key);
}

}  // namespace nn::http
