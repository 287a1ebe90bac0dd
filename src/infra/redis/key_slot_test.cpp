#include "infra/redis/key_slot.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "infra/redis/pipeline.hpp"
#include "infra/redis/url.hpp"

namespace nn::redis {
namespace {

TEST(RedisKeySlot, Crc16SpecVector) {
    // The check value the Redis Cluster specification gives for its CRC16 variant.
    EXPECT_EQ(Crc16("123456789"), 0x31C3);
    EXPECT_EQ(Crc16(""), 0);
}

TEST(RedisKeySlot, KnownSlots) {
    struct Case {
        const char* key;
        int slot;
    };
    const Case cases[] = {
        {"foo", 12182},
        {"bar", 5061},
        {"hello", 866},
        {"123456789", 0x31C3 % 16384},
    };
    for (const Case& c : cases) EXPECT_EQ(KeySlot(c.key), c.slot) << c.key;
}

TEST(RedisKeySlot, HashTags) {
    EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("{user1000}.followers"));
    EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("user1000"));
    EXPECT_EQ(KeySlot("foo{bar}{zap}"), KeySlot("bar"));   // the first tag only
    EXPECT_EQ(KeySlot("foo{{bar}}zap"), KeySlot("{bar"));  // up to the first '}'
    EXPECT_EQ(KeySlot("foo{}{bar}"), KeySlot("foo{}{bar}"));
    EXPECT_NE(KeySlot("foo{}{bar}"), KeySlot("bar"));  // an empty tag hashes the whole key
    EXPECT_EQ(KeySlot("foo{bar"), Crc16("foo{bar") % 16384);
}

TEST(RedisKeySlot, CommandTable) {
    auto slot = [](std::vector<std::string> argv) {
        Pipeline p;
        p.Add(argv);
        return p.Slot(0);
    };
    EXPECT_EQ(slot({"GET", "foo"}), 12182);
    EXPECT_EQ(slot({"PING"}), kNoKey);
    EXPECT_EQ(slot({"publish", "foo", "x"}), kNoKey);
    EXPECT_EQ(slot({"MGET", "{a}1", "{a}2"}), KeySlot("a"));
    EXPECT_EQ(slot({"MGET", "foo", "bar"}), kCrossSlot);
    EXPECT_EQ(slot({"MSET", "{a}1", "foo", "{a}2", "bar"}), KeySlot("a"));
    EXPECT_EQ(slot({"EVALSHA", "abc", "2", "{t}x", "{t}y", "foo", "bar"}), KeySlot("t"));
    EXPECT_EQ(slot({"EVAL", "return 1", "0", "foo"}), kNoKey);
    EXPECT_EQ(slot({"EVALSHA", "abc", "2", "foo", "bar"}), kCrossSlot);
    EXPECT_EQ(slot({"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "foo", ">"}), 12182);
    EXPECT_EQ(slot({"XREAD", "BLOCK", "10", "STREAMS", "{s}a", "{s}b", "0", "0"}), KeySlot("s"));
    EXPECT_EQ(slot({"XREAD", "STREAMS", "foo", "bar", "0", "0"}), kCrossSlot);
    EXPECT_EQ(slot({"XGROUP", "CREATE", "foo", "g", "$", "MKSTREAM"}), 12182);
    EXPECT_EQ(slot({"BLPOP", "foo", "5"}), 12182);
}

TEST(RedisKeySlot, PipelineKeepsSlotsWhenSplit) {
    Pipeline p;
    p.Add({"GET", "foo"}).Add({"GET", "bar"}).Add({"MULTI"});
    EXPECT_TRUE(p.HasTransaction());
    Pipeline part;
    part.AddFrom(p, 1);
    EXPECT_EQ(part.Size(), 1u);
    EXPECT_EQ(part.Slot(0), 5061);
    Pipeline direct{"GET", "bar"};
    EXPECT_EQ(part.Payload(), direct.Payload());
}

TEST(RedisUrl, ClusterSeeds) {
    Url u = ParseUrl("redis+cluster://:pw@127.0.0.1:7001,127.0.0.1:7002,[::1]:7003");
    EXPECT_TRUE(u.cluster);
    ASSERT_EQ(u.seeds.size(), 3u);
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, 7001);
    EXPECT_EQ(u.seeds[1].port, 7002);
    EXPECT_EQ(u.seeds[2].host, "::1");
    EXPECT_EQ(u.password.Reveal(), "pw");
    EXPECT_FALSE(ParseUrl("redis://h:1").cluster);
    EXPECT_THROW(ParseUrl("redis+cluster://h:1/2"), Error);
    EXPECT_THROW(ParseUrl("redis+cluster://h:1,"), Error);
}

}  // namespace
}  // namespace nn::redis
