#include <gtest/gtest.h>

#include "infra/redis/pipeline.hpp"
#include "infra/redis/resp.hpp"

namespace nn::redis {
namespace {

using detail::RespReader;
using namespace std::string_literals;

std::vector<Reply> ParseAll(const std::string& bytes, std::size_t chunk) {
    RespReader reader;
    std::vector<Reply> out;
    Reply r;
    for (std::size_t i = 0; i < bytes.size(); i += chunk) {
        reader.Feed(bytes.data() + i, std::min(chunk, bytes.size() - i));
        while (reader.Next(r)) out.push_back(r);
    }
    return out;
}

TEST(RedisResp, FormatsArgvBinarySafe) {
    const std::string value = "a\0b\r\nc"s;
    Pipeline p;
    p.Add({"SET", "k", value});
    EXPECT_EQ(p.Size(), 1u);
    EXPECT_EQ(p.Payload(), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\na\0b\r\nc\r\n"s);
    // a printf-style directive in user data is sent verbatim
    p.Add(std::vector<std::string>{"GET", "%s%n"});
    EXPECT_EQ(p.Size(), 2u);
    EXPECT_NE(p.Payload().find("$4\r\n%s%n\r\n"), std::string::npos);
}

TEST(RedisResp, RejectsEmptyCommand) {
    Pipeline p;
    EXPECT_THROW(p.Add(std::vector<std::string>{}), nn::Error);
    EXPECT_TRUE(p.Empty());
}

TEST(RedisResp, ParsesEveryTypeInAnySplit) {
    const std::string bytes =
        "+OK\r\n"
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        ":-42\r\n"
        "$-1\r\n"
        "$5\r\na\r\n\0b\r\n"
        "*-1\r\n"
        "*3\r\n:1\r\n*2\r\n$1\r\nx\r\n$0\r\n\r\n$-1\r\n"s;
    std::vector<Reply> expected{
        Reply::Status("OK"),
        Reply::Error("WRONGTYPE Operation against a key holding the wrong kind of value"),
        Reply::Integer(-42),
        Reply::Nil(),
        Reply::String("a\r\n\0b"s),
        Reply::Nil(),
        Reply::Array(
            {Reply::Integer(1), Reply::Array({Reply::String("x"), Reply::String("")}), Reply::Nil()}),
    };
    for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{7}, bytes.size()}) {
        SCOPED_TRACE(chunk);
        std::vector<Reply> got = ParseAll(bytes, chunk);
        ASSERT_EQ(got.size(), expected.size());
        for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], expected[i]) << got[i].Describe();
    }
}

TEST(RedisResp, ProtocolErrorThrows) {
    RespReader reader;
    Reply r;
    EXPECT_THROW(
        {
            reader.Feed("!bogus\r\n", 8);
            reader.Next(r);
        },
        nn::Error);
}

// Found by fuzz/resp_fuzz: hiredis 0.14 reserved 8 bytes per announced element up front, so
// these 13 bytes made the reader allocate 8 GB.
TEST(RedisResp, RefusesAnArrayCountBeyondTheLimitBeforeAllocating) {
    Reply r;
    RespReader huge;
    huge.Feed("*1000000001\r\n", 13);
    EXPECT_THROW(huge.Next(r), nn::Error);

    const std::string at_limit = "*" + std::to_string(detail::kMaxArrayElements) + "\r\n";
    RespReader fits;
    fits.Feed(at_limit.data(), at_limit.size());
    EXPECT_FALSE(fits.Next(r));  // waits for the elements
    const std::string over = "*" + std::to_string(detail::kMaxArrayElements + 1) + "\r\n";
    RespReader too_many;
    too_many.Feed(over.data(), over.size());
    EXPECT_THROW(too_many.Next(r), nn::Error);
}

TEST(RedisReply, TypedAccess) {
    EXPECT_EQ(Reply::Integer(7).AsInteger(), 7);
    EXPECT_EQ(Reply::Status("PONG").AsString(), "PONG");
    EXPECT_EQ(Reply::Nil().AsOptionalString(), std::nullopt);
    EXPECT_TRUE(Reply::Nil().AsArray().empty());
    EXPECT_THROW(Reply::String("x").AsInteger(), nn::Error);
    try {
        Reply::Error("NOSCRIPT No matching script").AsString();
        ADD_FAILURE() << "no throw";
    } catch (const CommandError& e) {
        EXPECT_EQ(e.Prefix(), "NOSCRIPT");
        EXPECT_EQ(e.Code(), "redis.command_error");
    }
}

}  // namespace
}  // namespace nn::redis
