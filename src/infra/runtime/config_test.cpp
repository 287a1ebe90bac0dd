#include "infra/runtime/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/error.hpp"

namespace nn::runtime {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

std::string WriteToml(const std::string& body) {
    auto path = std::filesystem::temp_directory_path() /
                ("nn_config_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".toml");
    std::ofstream(path) << body;
    return path.string();
}

TEST(ConfigTest, DefaultsWithoutAnySource) {
    auto c = LoadConfig(std::nullopt, Env({}));
    EXPECT_EQ(c.listen_host, "127.0.0.1");
    EXPECT_EQ(c.listen_port, 8080);
    EXPECT_EQ(c.database_prefix, "nexanest");
    EXPECT_TRUE(c.database_url.Empty());
}

TEST(ConfigTest, EnvironmentOverridesFile) {
    auto file = WriteToml(R"(
[http]
listen = "0.0.0.0:9000"
max_body_bytes = 4096
cors_origins = ["https://a.example", "https://b.example"]
[log]
level = "debug"
)");
    auto c = LoadConfig(file, Env({{"NEXANEST_LISTEN", "127.0.0.1:7000"}}));
    EXPECT_EQ(c.listen_port, 7000);
    EXPECT_EQ(c.max_body_bytes, 4096u);
    ASSERT_EQ(c.cors_origins.size(), 2u);
    EXPECT_EQ(c.cors_origins[1], "https://b.example");
    EXPECT_EQ(c.log_level, "debug");
    std::filesystem::remove(file);
}

TEST(ConfigTest, TrustedProxiesFromFileOrEnvironment) {
    EXPECT_TRUE(LoadConfig(std::nullopt, Env({})).trusted_proxies.empty());
    auto file = WriteToml("[http]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n");
    auto c = LoadConfig(file, Env({}));
    EXPECT_EQ(c.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
    c = LoadConfig(file, Env({{"NEXANEST_TRUSTED_PROXIES", "127.0.0.1, fd00::/8"}}));
    EXPECT_EQ(c.trusted_proxies, (std::vector<std::string>{"127.0.0.1", "fd00::/8"}));
    std::filesystem::remove(file);
}

TEST(ConfigTest, ConfigFileFromEnvironment) {
    auto file = WriteToml("[database]\nprefix = \"abc\"\n");
    auto c = LoadConfig(std::nullopt, Env({{"NEXANEST_CONFIG", file}}));
    EXPECT_EQ(c.database_prefix, "abc");
    std::filesystem::remove(file);
}

TEST(ConfigTest, DurationsAndPerDatabaseUrls) {
    auto c = LoadConfig(std::nullopt, Env({{"NEXANEST_REQUEST_TIMEOUT", "250ms"},
                                           {"NEXANEST_IDLE_TIMEOUT", "2m"},
                                           {"NEXANEST_DB_TIMEOUT", "3s"},
                                           {"NEXANEST_PORTFOLIO_DATABASE_URL", "postgresql://u:p@h:1/x"}}));
    EXPECT_EQ(c.request_timeout.count(), 250);
    EXPECT_EQ(c.idle_timeout.count(), 120'000);
    EXPECT_EQ(c.db_timeout.count(), 3000);
    ASSERT_EQ(c.database_urls.count("portfolio"), 1u);
    EXPECT_EQ(c.database_urls.at("portfolio").Reveal(), "postgresql://u:p@h:1/x");
}

// pgbouncer and a read replica (issue 19, docs/scale-out.md).
TEST(ConfigTest, PoolerAndReplicaSettings) {
    auto d = LoadConfig(std::nullopt, Env({}));
    EXPECT_TRUE(d.db_prepared_statements);
    EXPECT_TRUE(d.db_service_url.Empty());
    EXPECT_TRUE(d.db_replica_url.Empty());
    EXPECT_EQ(d.db_replica_max_lag.count(), 5000);
    auto c =
        LoadConfig(std::nullopt, Env({{"NEXANEST_DB_SERVICE_URL", "postgresql://127.0.0.1:6432/postgres"},
                                      {"NEXANEST_DB_PREPARED_STATEMENTS", "off"},
                                      {"NEXANEST_DB_REPLICA_URL", "postgresql://127.0.0.1:5433/postgres"},
                                      {"NEXANEST_DB_REPLICA_MAX_LAG", "2s"}}));
    EXPECT_FALSE(c.db_prepared_statements);
    EXPECT_EQ(c.db_service_url.Reveal(), "postgresql://127.0.0.1:6432/postgres");
    EXPECT_EQ(c.db_replica_url.Reveal(), "postgresql://127.0.0.1:5433/postgres");
    EXPECT_EQ(c.db_replica_max_lag.count(), 2000);
    auto file = WriteToml("[database]\nprepared_statements = false\n");
    EXPECT_FALSE(LoadConfig(file, Env({})).db_prepared_statements);
    std::filesystem::remove(file);
    EXPECT_THROW(LoadConfig(std::nullopt, Env({{"NEXANEST_DB_PREPARED_STATEMENTS", "sometimes"}})),
                 nn::Error);
    EXPECT_THROW(LoadConfig(std::nullopt, Env({{"NEXANEST_DB_REPLICA_URL", "mysql://x"}})), nn::Error);
}

TEST(ConfigTest, RedisClusterUrl) {
    const std::string url = "redis+cluster://default:pw@127.0.0.1:7001,127.0.0.1:7002";
    auto c = LoadConfig(std::nullopt, Env({{"NEXANEST_REDIS_URL", url}}));
    EXPECT_EQ(c.redis_url.Reveal(), url);
}

// Each service role may have its own database password (issue 15, item 17).
TEST(ConfigTest, PerRoleDatabasePasswords) {
    auto c = LoadConfig(std::nullopt, Env({{"NEXANEST_DB_SERVICE_PASSWORD", "shared-password-000"},
                                           {"NEXANEST_DB_PASSWORD_AUTH", "auth-only-password-1"},
                                           {"NEXANEST_DB_PASSWORD_NOTIFY", "notify-only-password"}}));
    ASSERT_EQ(c.db_role_passwords.size(), 2u);
    EXPECT_EQ(c.db_role_passwords.at("auth").Reveal(), "auth-only-password-1");
    EXPECT_EQ(c.db_role_passwords.at("notify").Reveal(), "notify-only-password");
    EXPECT_THROW(LoadConfig(std::nullopt, Env({{"NEXANEST_DB_PASSWORD_MARKET", "short"}})), Error);
}

struct BadCase {
    const char* env;
    const char* value;
    const char* expect_in_message;
};

class ConfigRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigRejects, NamesTheSettingAndWhatIsExpected) {
    const auto& p = GetParam();
    try {
        LoadConfig(std::nullopt, Env({{p.env, p.value}}));
        FAIL() << p.env << "=" << p.value << " was accepted";
    } catch (const Error& e) {
        std::string what = e.what();
        EXPECT_EQ(e.Code(), "config.invalid");
        EXPECT_NE(what.find(p.env), std::string::npos) << what;
        EXPECT_NE(what.find(p.expect_in_message), std::string::npos) << what;
    }
}

INSTANTIATE_TEST_SUITE_P(Table,
                         ConfigRejects,
                         ::testing::Values(BadCase{"NEXANEST_LISTEN", "8080", "HOST:PORT"},
                                           BadCase{"NEXANEST_LISTEN", "h:70000", "port"},
                                           BadCase{"NEXANEST_THREADS", "-1", "whole number"},
                                           BadCase{"NEXANEST_MAX_BODY_BYTES", "12", "1024"},
                                           BadCase{"NEXANEST_REQUEST_TIMEOUT", "10h", "duration"},
                                           BadCase{"NEXANEST_REQUEST_TIMEOUT", "0", "duration"},
                                           BadCase{"NEXANEST_LOG_LEVEL", "loud", "one of"},
                                           BadCase{"NEXANEST_LOG_FORMAT", "xml", "text or json"},
                                           BadCase{"NEXANEST_LOG_ACCESS", "sometimes", "on or off"},
                                           BadCase{"NEXANEST_CPU_NICE", "20", "0 to 19"},
                                           BadCase{"NEXANEST_DATABASE_URL", "mysql://x", "postgresql://"},
                                           BadCase{"NEXANEST_REDIS_URL", "http://x", "redis://"},
                                           BadCase{"NEXANEST_DATABASE_PREFIX", "Bad-Name", "a-z"},
                                           BadCase{"NEXANEST_SERVICES", "auth,billing", "billing"},
                                           BadCase{"NEXANEST_CORS_ORIGINS", "example.com", "origins"},
                                           BadCase{"NEXANEST_TRUSTED_PROXIES", "10.0.0.1,lb.example",
                                                   "lb.example"},
                                           BadCase{"NEXANEST_TRUSTED_PROXIES", "10.0.0.0/33", "CIDR"},
                                           BadCase{"NEXANEST_TRUSTED_PROXIES", "::/129", "CIDR"}));

TEST(ConfigTest, AccessLogAndCpuNice) {
    const auto defaults = LoadConfig(std::nullopt, Env({}));
    EXPECT_TRUE(defaults.access_log);
    EXPECT_EQ(defaults.cpu_nice, 10);
    const auto set =
        LoadConfig(std::nullopt, Env({{"NEXANEST_LOG_ACCESS", "off"}, {"NEXANEST_CPU_NICE", "0"}}));
    EXPECT_FALSE(set.access_log);
    EXPECT_EQ(set.cpu_nice, 0);
}

TEST(ConfigTest, SecretValuesNeverAppearInMessages) {
    const std::string secret = "mysql://user:hunter2-very-secret@host/db";
    try {
        LoadConfig(std::nullopt, Env({{"NEXANEST_DATABASE_URL", secret}}));
        FAIL() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    }
    try {
        LoadConfig(std::nullopt, Env({{"NEXANEST_DB_SERVICE_PASSWORD", "short-hunter2"}}));
        FAIL() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    }
}

// The domains' settings are theirs (auth::Settings()): without them LoadConfig neither reads nor
// checks NEXANEST_JWT_KEYS and friends.
TEST(ConfigTest, InfraKnowsNoDomainSetting) {
    const auto c = LoadConfig(std::nullopt, Env({{"NEXANEST_JWT_KEYS", "no-kid"},
                                                 {"NEXANEST_API_KEY_PEPPER", "short"},
                                                 {"NEXANEST_ACCESS_TOKEN_TTL", "10h"}}));
    EXPECT_TRUE(c.domain_settings.empty());
    EXPECT_TRUE(c.domain_secrets.empty());
}

TEST(ConfigTest, SecretDomainSettingIsKeptAsASecretAndNeverEchoed) {
    const auto token =
        SecretSetting("x.token", "NEXANEST_X_TOKEN", [](const std::string& v) -> std::optional<std::string> {
            if (v.size() < 12) return "at least 12 characters";
            return std::nullopt;
        });
    ASSERT_TRUE(token.secret);
    try {
        LoadConfig(std::nullopt, Env({{"NEXANEST_X_TOKEN", "hunter2"}}), {token});
        FAIL() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "configuration: NEXANEST_X_TOKEN must be at least 12 characters");
    }
    auto file = WriteToml("[x]\ntoken = \"hunter2\"\n");
    try {
        LoadConfig(file, Env({}), {token});
        FAIL() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "configuration: x.token in " + file + " must be at least 12 characters");
    }
    std::filesystem::remove(file);

    auto c = LoadConfig(std::nullopt, Env({{"NEXANEST_X_TOKEN", "hunter2-hunter2"}}), {token});
    EXPECT_TRUE(c.domain_settings.empty());
    EXPECT_EQ(SecretValue(c, token).Reveal(), "hunter2-hunter2");
    EXPECT_EQ(TextValue(c, token), std::nullopt);
    EXPECT_TRUE(SecretValue(LoadConfig(std::nullopt, Env({}), {token}), token).Empty());

    PutValue(c, token, "hunter2");  // by hand, checked when read, still not echoed
    try {
        SecretValue(c, token);
        FAIL() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "configuration: x.token must be at least 12 characters");
    }
}

TEST(ConfigTest, DurationDomainSetting) {
    const auto ttl = DurationSetting("x.ttl", "NEXANEST_X_TTL");
    EXPECT_EQ(DurationValue(LoadConfig(std::nullopt, Env({{"NEXANEST_X_TTL", "2m"}}), {ttl}), ttl),
              std::chrono::milliseconds(120'000));
    EXPECT_EQ(DurationValue(LoadConfig(std::nullopt, Env({}), {ttl}), ttl), std::nullopt);
    try {
        LoadConfig(std::nullopt, Env({{"NEXANEST_X_TTL", "10h"}}), {ttl});
        FAIL() << "accepted";
    } catch (const Error& e) {
        EXPECT_EQ(
            std::string(e.what()),
            "configuration: NEXANEST_X_TTL = '10h' must be a positive duration such as 250ms, 30s or 5m");
    }
}

TEST(ConfigTest, BrokenTomlNamesFileAndLine) {
    auto file = WriteToml("[http]\nlisten = \n");
    try {
        LoadConfig(file, Env({}));
        FAIL() << "accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
    }
    std::filesystem::remove(file);
}

}  // namespace
}  // namespace nn::runtime

namespace nn::runtime {
namespace {

TEST(ConfigTest, PublicUrlFollowsTheListenPortUnlessSet) {
    EXPECT_EQ(LoadConfig(std::nullopt, Env({})).public_url, "http://127.0.0.1:8080");
    EXPECT_EQ(LoadConfig(std::nullopt, Env({{"NEXANEST_LISTEN", "0.0.0.0:9091"}})).public_url,
              "http://127.0.0.1:9091");
    EXPECT_EQ(LoadConfig(std::nullopt, Env({{"NEXANEST_LISTEN", "0.0.0.0:9091"},
                                            {"NEXANEST_PUBLIC_URL", "https://nexanest.example"}}))
                  .public_url,
              "https://nexanest.example");
}

TEST(ConfigTest, WebDirFromFileOrEnvironment) {
    EXPECT_EQ(LoadConfig(std::nullopt, Env({})).web_dir, "");
    auto file = WriteToml("[server]\nweb_dir = \"/srv/nexanest/web\"\n");
    EXPECT_EQ(LoadConfig(file, Env({})).web_dir, "/srv/nexanest/web");
    EXPECT_EQ(LoadConfig(file, Env({{"NEXANEST_WEB_DIR", "/opt/web"}})).web_dir, "/opt/web");
    EXPECT_THROW(LoadConfig(std::nullopt, Env({{"NEXANEST_WEB_DIR", ""}})), Error);
}

}  // namespace
}  // namespace nn::runtime
