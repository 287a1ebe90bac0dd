#include "infra/http/keyset_cursor.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "infra/http/http_error.hpp"
#include "infra/http/query.hpp"

namespace nn::http {
namespace {

// The status and code a cursor failure answers with; 0 when nothing was thrown.
std::pair<int, std::string> Failure(const std::function<void()>& f) {
    try {
        f();
    } catch (const HttpError& e) {
        return {e.Status(), e.Code()};
    }
    return {0, ""};
}

const std::pair<int, std::string> kBadCursor{400, "pagination.bad_cursor"};

Timestamp At(std::int64_t micros) {
    return *FromPgMicros(micros);
}

TEST(KeysetCursor, RoundTripsTimeAndKeys) {
    const Uuid id = *Uuid::Parse("0190a3c4-5d6e-7f80-9a1b-2c3d4e5f6071");
    const KeysetCursor cursor(At(1717243200123456), {id.ToString()});
    const auto back = KeysetCursor::Decode(Base64UrlDecode(cursor.Encode()), 1);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->time, cursor.time);
    EXPECT_EQ(back->KeyAs<Uuid>(0), id);

    const auto pair = DecodeTimeIdCursor<Uuid>(Base64UrlDecode(cursor.Encode()));
    ASSERT_TRUE(pair);
    EXPECT_EQ(pair->first, cursor.time);
    EXPECT_EQ(pair->second, id);

    const KeysetCursor audit(At(-5), {"trading", "42"});
    const auto again = KeysetCursor::FromParam(audit.Encode(), 2);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->time, At(-5));
    EXPECT_EQ(again->keys[0], "trading");
    EXPECT_EQ(again->IntKey(1), 42);

    const KeysetCursor time_only(At(0), {});
    EXPECT_EQ(KeysetCursor::FromParam(time_only.Encode(), 0)->time, At(0));
}

TEST(KeysetCursor, FirstPageHasNone) {
    EXPECT_FALSE(KeysetCursor::Decode(std::nullopt, 1));
    EXPECT_FALSE(KeysetCursor::FromParam(std::nullopt, 0));
    EXPECT_FALSE(DecodeTimeIdCursor<Uuid>(std::nullopt));
}

TEST(KeysetCursor, GarbageAndTamperedCursorsAreBadRequests) {
    const std::string uuid = "0190a3c4-5d6e-7f80-9a1b-2c3d4e5f6071";
    // Decoded bytes that are not "<micros>|<uuid>".
    const std::vector<std::string> garbage{"",
                                           "x",
                                           "123",
                                           "|" + uuid,
                                           "12x|" + uuid,
                                           " 12|" + uuid,
                                           "1.5|" + uuid,
                                           "123|not-a-uuid",
                                           "123|" + uuid + "|7",
                                           "123|",
                                           "99999999999999999999|" + uuid};
    for (const std::string& raw : garbage) {
        EXPECT_EQ(Failure([&] { DecodeTimeIdCursor<Uuid>(raw); }), kBadCursor) << raw;
    }
    // A valid cursor of another shape: two keys where one is wanted, and the reverse.
    const std::string two = KeysetCursor(At(1), {"a", "1"}).Encode();
    EXPECT_EQ(Failure([&] { KeysetCursor::FromParam(two, 1); }), kBadCursor);
    const std::string one = KeysetCursor(At(1), {"a"}).Encode();
    EXPECT_EQ(Failure([&] { KeysetCursor::FromParam(one, 2); }), kBadCursor);
    EXPECT_EQ(Failure([&] { KeysetCursor::FromParam(one, 1)->IntKey(0); }), kBadCursor);
    // Not base64url, padded, empty.
    for (const char* param : {"***", "MTIz==", "", "MTIzfA"}) {
        EXPECT_EQ(Failure([&] { KeysetCursor::FromParam(std::string_view(param), 0); }), kBadCursor) << param;
    }
}

}  // namespace
}  // namespace nn::http
