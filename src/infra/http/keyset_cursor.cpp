#include "infra/http/keyset_cursor.hpp"

#include <charconv>

#include "infra/http/http_error.hpp"
#include "infra/http/query.hpp"

namespace nn::http {
namespace {

std::int64_t WholeInt(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) KeysetCursor::Bad();
    return value;
}

}  // namespace

void KeysetCursor::Bad() {
    throw HttpError(400, "pagination.bad_cursor", "malformed cursor");
}

std::string KeysetCursor::Encode() const {
    std::string raw = std::to_string(ToPgMicros(time));
    for (const std::string& key : keys) {
        raw += '|';
        raw += key;
    }
    return EncodeCursor(raw);
}

std::optional<KeysetCursor> KeysetCursor::Decode(const std::optional<std::string>& raw,
                                                 std::size_t key_count) {
    if (!raw) return std::nullopt;
    std::vector<std::string_view> parts;
    std::string_view rest(*raw);
    for (;;) {
        const auto bar = rest.find('|');
        parts.push_back(rest.substr(0, bar));
        if (bar == std::string_view::npos) break;
        rest.remove_prefix(bar + 1);
    }
    if (parts.size() != key_count + 1) Bad();
    const auto time = FromPgMicros(WholeInt(parts[0]));
    if (!time) Bad();
    return KeysetCursor(*time, std::vector<std::string>(parts.begin() + 1, parts.end()));
}

std::optional<KeysetCursor> KeysetCursor::FromParam(std::optional<std::string_view> param,
                                                    std::size_t key_count) {
    if (!param) return std::nullopt;
    auto raw = Base64UrlDecode(*param);
    if (!raw || raw->empty()) Bad();
    return Decode(raw, key_count);
}

std::int64_t KeysetCursor::IntKey(std::size_t i) const {
    return WholeInt(keys.at(i));
}

}  // namespace nn::http
