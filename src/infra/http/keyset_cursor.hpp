#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.hpp"

namespace nn::http {

// A keyset cursor: where the next page starts, as the sort key of the last row sent. Its bytes
// are "<microseconds since the epoch>|<key>|<key>..." (a time and `key_count` keys, none holding
// '|'), sent base64url-encoded (EncodeCursor) and opaque to clients. Every cursor that is not
// such a value — garbage, tampered, another route's — is 400 "pagination.bad_cursor".
struct KeysetCursor {
    explicit KeysetCursor(Timestamp t) : time(t) {}
    KeysetCursor(Timestamp t, std::vector<std::string> k) : time(t), keys(std::move(k)) {}

    Timestamp time;
    std::vector<std::string> keys;

    // The encoded cursor a page sends as next_cursor.
    std::string Encode() const;

    // `raw` is the decoded cursor of PageRequest (nullopt on the first page). Throws
    // HttpError 400 "pagination.bad_cursor" unless it holds a time and exactly `key_count` keys.
    static std::optional<KeysetCursor> Decode(const std::optional<std::string>& raw, std::size_t key_count);
    // The same from the query parameter as sent (base64url), for routes without ParsePage.
    static std::optional<KeysetCursor> FromParam(std::optional<std::string_view> param,
                                                 std::size_t key_count);

    // Key `i` as an id type with a static Parse (Uuid, the StrongIds) or as a bigint; a key
    // that is neither is a bad cursor.
    template <class Id>
    Id KeyAs(std::size_t i) const {
        auto id = Id::Parse(keys.at(i));
        if (!id) Bad();
        return *id;
    }
    std::int64_t IntKey(std::size_t i) const;

    [[noreturn]] static void Bad();
};

// The common shape: a creation time and a row id ("created_at DESC, id DESC").
template <class Id>
std::optional<std::pair<Timestamp, Id>> DecodeTimeIdCursor(const std::optional<std::string>& raw) {
    auto cursor = KeysetCursor::Decode(raw, 1);
    if (!cursor) return std::nullopt;
    return std::make_pair(cursor->time, cursor->template KeyAs<Id>(0));
}

}  // namespace nn::http
