#include <gtest/gtest.h>

#include "core/error.hpp"
#include "infra/redis/url.hpp"

namespace nn::redis {
namespace {

TEST(RedisUrl, ServerForm) {
    Url u = ParseUrl("redis://default:s3cret@127.0.0.1:56379/0");
    EXPECT_EQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, 56379);
    EXPECT_EQ(u.user, "default");
    EXPECT_EQ(u.password.Reveal(), "s3cret");
    EXPECT_EQ(u.db, 0);
}

TEST(RedisUrl, Table) {
    struct Case {
        const char* url;
        const char* host;
        int port;
        const char* user;
        const char* password;
        int db;
    };
    const Case cases[] = {
        {"redis://localhost", "localhost", 6379, "", "", 0},
        {"redis://localhost/", "localhost", 6379, "", "", 0},
        {"redis://:pw@h:1/15", "h", 1, "", "pw", 15},
        {"redis://alice@h", "h", 6379, "alice", "", 0},
        {"redis://alice:@h", "h", 6379, "alice", "", 0},
        {"redis://u:p%40ss%3Aw0rd@h:6380/2", "h", 6380, "u", "p@ss:w0rd", 2},
        {"redis://u:a@b@h", "h", 6379, "u", "a@b", 0},
        {"redis://[::1]:7000/3", "::1", 7000, "", "", 3},
        {"redis://[::1]", "::1", 6379, "", "", 0},
        {"redis://:pw@:6390", "127.0.0.1", 6390, "", "pw", 0},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.url);
        Url u = ParseUrl(c.url);
        EXPECT_EQ(u.host, c.host);
        EXPECT_EQ(u.port, c.port);
        EXPECT_EQ(u.user, c.user);
        EXPECT_EQ(u.password.Reveal(), c.password);
        EXPECT_EQ(u.db, c.db);
    }
}

TEST(RedisUrl, RejectsBadInputWithoutLeakingThePassword) {
    const char* bad[] = {
        "http://h:1",
        "rediss://h:1",
        "redis://h:0",
        "redis://h:65536",
        "redis://h:x",
        "redis://h:",
        "redis://h/x",
        "redis://h/-1",
        "redis://[::1",
        "redis://u:p%4@h",
        "redis://u:p%zz@h",
        "redis://h?a=b",
        "redis://u:topsecret@h:99999",
    };
    for (const char* url : bad) {
        SCOPED_TRACE(url);
        try {
            ParseUrl(url);
            ADD_FAILURE() << "accepted";
        } catch (const nn::Error& e) {
            EXPECT_EQ(e.Code(), "redis.bad_url");
            EXPECT_EQ(std::string(e.what()).find("topsecret"), std::string::npos);
        }
    }
}

}  // namespace
}  // namespace nn::redis
