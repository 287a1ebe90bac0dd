#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nn::http {

class Request;

// Decoded query parameters in the order sent ('+' is a space, as in HTML forms).
class QueryParams {
public:
    QueryParams() = default;
    // Throws HttpError 400 "http.bad_query" on invalid percent-encoding or a NUL byte.
    static QueryParams Parse(std::string_view query);

    std::optional<std::string_view> Get(std::string_view name) const;  // first value
    std::vector<std::string_view> GetAll(std::string_view name) const;
    bool Has(std::string_view name) const { return Get(name).has_value(); }
    const std::vector<std::pair<std::string, std::string>>& Items() const noexcept { return items_; }

private:
    std::vector<std::pair<std::string, std::string>> items_;
};

// Cursor pagination: `?limit=N&cursor=C`. The cursor is opaque to clients: base64url (no
// padding) of whatever bytes the repository needs to continue (for example "<created_at>|<id>").
struct PageLimits {
    std::size_t default_limit = 50;
    std::size_t max_limit = 200;
};

struct PageRequest {
    std::size_t limit = 0;
    std::optional<std::string> cursor;  // decoded bytes; nullopt on the first page
};

// Throws HttpError 422 "validation.failed" (field "limit": not an integer in 1..max_limit) or
// 400 "pagination.bad_cursor" (not canonical base64url).
PageRequest ParsePage(const Request& request, const PageLimits& limits = {});
std::string EncodeCursor(std::string_view raw);

// RFC 4648 §5 alphabet without padding. Decoding is strict: padding, other characters and
// non-canonical final characters (non-zero pad bits) are refused, so one value has one spelling.
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

// The Idempotency-Key header: nullopt when absent; throws HttpError 400
// "idempotency.bad_key" unless it is 1..255 visible ASCII characters and sent once.
std::optional<std::string> IdempotencyKey(const Request& request);

}  // namespace nn::http
