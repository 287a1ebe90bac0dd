#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "auth/module.hpp"
#include "auth/test_keys.hpp"
#include "core/error.hpp"

namespace nn::auth {
namespace {

runtime::EnvLookup AuthSettingsEnv(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

std::string AuthSettingsToml(const std::string& body) {
    auto path = std::filesystem::temp_directory_path() /
                ("nn_auth_settings_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                 "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".toml");
    std::ofstream(path) << body;
    return path.string();
}

// The one-line reason LoadConfig gives for an auth setting.
std::string AuthSettingsRefusal(const std::optional<std::string>& toml,
                                std::map<std::string, std::string> env) {
    try {
        runtime::LoadConfig(toml, AuthSettingsEnv(std::move(env)), Settings());
    } catch (const Error& e) {
        EXPECT_EQ(e.Code(), "config.invalid");
        return e.what();
    }
    return "accepted";
}

const std::string kJwtKey = "k1:" + std::string(43, 'A');
const std::string kPepper = "pepper-0123456789-0123456789-0123456789";
const std::string kFieldKey = "f1:" + std::string(43, 'B');

// auth declares its settings; infra's runtime::Config no longer knows them.
TEST(AuthSettings, AuthDeclaresItsSettingsTheSecretOnesAsSecrets) {
    std::map<std::string, std::pair<std::string, bool>> declared;
    for (const auto& s : Settings()) declared[s.toml_key] = {s.env, s.secret};
    const std::map<std::string, std::pair<std::string, bool>> expected = {
        {"auth.jwt_keys", {"NEXANEST_JWT_KEYS", true}},
        {"auth.api_key_pepper", {"NEXANEST_API_KEY_PEPPER", true}},
        {"auth.field_keys", {"NEXANEST_FIELD_KEYS", true}},
        {"auth.jwt_issuer", {"NEXANEST_JWT_ISSUER", false}},
        {"auth.jwt_audience", {"NEXANEST_JWT_AUDIENCE", false}},
        {"auth.access_token_ttl", {"NEXANEST_ACCESS_TOKEN_TTL", false}},
        {"auth.refresh_token_ttl", {"NEXANEST_REFRESH_TOKEN_TTL", false}},
        {"auth.session_max_lifetime", {"NEXANEST_SESSION_MAX_LIFETIME", false}},
    };
    EXPECT_EQ(declared, expected);
}

TEST(AuthSettings, DefaultsWithoutAnySource) {
    const auto config = runtime::LoadConfig(std::nullopt, AuthSettingsEnv({}), Settings());
    const AuthSettings s = SettingsFrom(config);
    const AuthSettings defaults;
    EXPECT_EQ(s.issuer, "nexanest");
    EXPECT_EQ(s.audience, "nexanest-api");
    EXPECT_EQ(s.access_ttl, defaults.access_ttl);
    EXPECT_EQ(s.refresh_ttl, defaults.refresh_ttl);
    EXPECT_EQ(s.session_max_lifetime, defaults.session_max_lifetime);
    const Keys keys = KeysFrom(config);
    EXPECT_TRUE(keys.jwt_keys.Empty());
    EXPECT_TRUE(keys.api_key_pepper.Empty());
    EXPECT_TRUE(keys.field_keys.Empty());
}

TEST(AuthSettings, TomlKeysAreHonouredAndTheEnvironmentWins) {
    auto file = AuthSettingsToml("[auth]\njwt_keys = \"" + kJwtKey + "\"\napi_key_pepper = \"" + kPepper +
                                 "\"\njwt_issuer = \"issuer.example\"\njwt_audience = \"toml-audience\"\n"
                                 "access_token_ttl = \"5m\"\nrefresh_token_ttl = \"2000s\"\n"
                                 "session_max_lifetime = 7200000\n");
    const auto config = runtime::LoadConfig(
        file,
        AuthSettingsEnv({{"NEXANEST_JWT_AUDIENCE", "env-audience"}, {"NEXANEST_FIELD_KEYS", kFieldKey}}),
        Settings());
    const AuthSettings s = SettingsFrom(config);
    EXPECT_EQ(s.issuer, "issuer.example");
    EXPECT_EQ(s.audience, "env-audience");
    EXPECT_EQ(s.access_ttl, std::chrono::seconds(300));
    EXPECT_EQ(s.refresh_ttl, std::chrono::seconds(2000));
    EXPECT_EQ(s.session_max_lifetime, std::chrono::seconds(7200));
    const Keys keys = KeysFrom(config);
    EXPECT_EQ(keys.jwt_keys.Reveal(), kJwtKey);
    EXPECT_EQ(keys.api_key_pepper.Reveal(), kPepper);
    EXPECT_EQ(keys.field_keys.Reveal(), kFieldKey);
    std::filesystem::remove(file);
}

// The secrets are held as Secrets: no plain-text value of the configuration holds them, and
// printed they are masked.
TEST(AuthSettings, SecretsAreNeverHeldOrPrintedInTheClear) {
    const auto config = runtime::LoadConfig(std::nullopt,
                                            AuthSettingsEnv({{"NEXANEST_JWT_KEYS", kJwtKey},
                                                             {"NEXANEST_API_KEY_PEPPER", kPepper},
                                                             {"NEXANEST_FIELD_KEYS", kFieldKey},
                                                             {"NEXANEST_JWT_ISSUER", "iss"}}),
                                            Settings());
    EXPECT_EQ(config.domain_settings.count("auth.jwt_issuer"), 1u);
    for (const auto& [key, value] : config.domain_settings) {
        for (const auto& secret : {kJwtKey, kPepper, kFieldKey}) {
            EXPECT_EQ(value.find(secret), std::string::npos) << key;
        }
    }
    EXPECT_EQ(config.domain_secrets.size(), 3u);
    std::ostringstream printed;
    const Keys keys = KeysFrom(config);
    printed << keys.jwt_keys << keys.api_key_pepper << keys.field_keys;
    EXPECT_EQ(printed.str(), "*********");
}

// The refusals are the ones runtime::Config gave before auth declared its settings.
TEST(AuthSettings, BadValuesAreRefusedWithTheSameOneLine) {
    EXPECT_EQ(AuthSettingsRefusal(std::nullopt, {{"NEXANEST_JWT_KEYS", "hunter2-without-kid"}}),
              "configuration: NEXANEST_JWT_KEYS must be kid:base64url-secret[,kid:secret...]");
    EXPECT_EQ(AuthSettingsRefusal(std::nullopt, {{"NEXANEST_API_KEY_PEPPER", "short-hunter2"}}),
              "configuration: NEXANEST_API_KEY_PEPPER must be at least 32 characters");
    EXPECT_EQ(AuthSettingsRefusal(std::nullopt, {{"NEXANEST_FIELD_KEYS", "hunter2"}}),
              "configuration: NEXANEST_FIELD_KEYS must be kid:base64url-32-byte-key[,kid:key...]");
    EXPECT_EQ(AuthSettingsRefusal(std::nullopt, {{"NEXANEST_JWT_ISSUER", ""}}),
              "configuration: NEXANEST_JWT_ISSUER = '' must be 1 to 200 characters");
    EXPECT_EQ(
        AuthSettingsRefusal(std::nullopt, {{"NEXANEST_JWT_AUDIENCE", std::string(201, 'a')}}),
        "configuration: NEXANEST_JWT_AUDIENCE = '" + std::string(201, 'a') + "' must be 1 to 200 characters");
    EXPECT_EQ(AuthSettingsRefusal(std::nullopt, {{"NEXANEST_ACCESS_TOKEN_TTL", "10h"}}),
              "configuration: NEXANEST_ACCESS_TOKEN_TTL = '10h' must be a positive duration such as 250ms, "
              "30s or 5m");
    EXPECT_EQ(AuthSettingsRefusal(std::nullopt, {{"NEXANEST_SESSION_MAX_LIFETIME", "0"}}),
              "configuration: NEXANEST_SESSION_MAX_LIFETIME = '0' must be a positive duration such as 250ms, "
              "30s or 5m");
    auto file = AuthSettingsToml("[auth]\njwt_keys = \"hunter2\"\n");
    EXPECT_EQ(AuthSettingsRefusal(file, {}),
              "configuration: auth.jwt_keys in " + file + " must be kid:base64url-secret[,kid:secret...]");
    std::filesystem::remove(file);
}

TEST(AuthSettings, KeysPutByHandAreCheckedWhenRead) {
    runtime::Config config;
    PutKeys(config, auth::testing::TestKeys());
    EXPECT_FALSE(KeysFrom(config).field_keys.Empty());

    runtime::Config bad;
    PutKeys(bad, {Secret(kJwtKey), Secret("short-hunter2"), Secret()});
    try {
        KeysFrom(bad);
        FAIL() << "a short pepper was read";
    } catch (const Error& e) {
        EXPECT_EQ(e.Code(), "config.invalid");
        EXPECT_EQ(std::string(e.what()), "configuration: auth.api_key_pepper must be at least 32 characters");
    }
}

}  // namespace
}  // namespace nn::auth
