#include "market/module.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/error.hpp"

namespace nn::market {
namespace {

runtime::EnvLookup MarketEnv(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

std::string MarketToml(const std::string& body) {
    auto path = std::filesystem::temp_directory_path() /
                ("nn_market_settings_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                 "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".toml");
    std::ofstream(path) << body;
    return path.string();
}

// The one-line reason LoadConfig gives for a market setting.
std::string Refusal(const std::optional<std::string>& toml, std::map<std::string, std::string> env) {
    try {
        runtime::LoadConfig(toml, MarketEnv(std::move(env)), Settings());
    } catch (const Error& e) {
        EXPECT_EQ(e.Code(), "config.invalid");
        return e.what();
    }
    return "accepted";
}

TEST(MarketSettings, DefaultsWithoutAnySource) {
    const auto o = OptionsFrom(runtime::LoadConfig(std::nullopt, MarketEnv({}), Settings()));
    const MarketOptions defaults;
    EXPECT_EQ(o.limits.max_rows, defaults.limits.max_rows);
    EXPECT_EQ(o.retention.raw, defaults.retention.raw);
    EXPECT_EQ(o.retention.bars_1m, defaults.retention.bars_1m);
    EXPECT_EQ(o.retention.bars_1h, defaults.retention.bars_1h);
    EXPECT_EQ(o.retention.bars_1d, defaults.retention.bars_1d);
    EXPECT_EQ(o.reconcile_window, defaults.reconcile_window);
}

TEST(MarketSettings, TomlKeysAreHonouredAndTheEnvironmentWins) {
    auto file = MarketToml(R"(
[market]
max_batch = 7
raw_retention_days = 0
1m_retention_days = 30
1h_retention_days = 400
1d_retention_days = 3650
reconcile_window_hours = 24
)");
    auto o = OptionsFrom(runtime::LoadConfig(file, MarketEnv({}), Settings()));
    EXPECT_EQ(o.limits.max_rows, 7u);
    EXPECT_EQ(o.retention.raw, std::nullopt);  // 0: forever
    EXPECT_EQ(o.retention.bars_1m, std::chrono::hours(24 * 30));
    EXPECT_EQ(o.retention.bars_1h, std::chrono::hours(24 * 400));
    EXPECT_EQ(o.retention.bars_1d, std::chrono::hours(24 * 3650));
    EXPECT_EQ(o.reconcile_window, std::chrono::hours(24));

    o = OptionsFrom(runtime::LoadConfig(file, MarketEnv({{"NEXANEST_MARKET_MAX_BATCH", "9"}}), Settings()));
    EXPECT_EQ(o.limits.max_rows, 9u);
    std::filesystem::remove(file);
}

TEST(MarketSettings, BadValuesAreRefusedWithOneLineNamingTheSetting) {
    EXPECT_EQ(Refusal(std::nullopt, {{"NEXANEST_MARKET_MAX_BATCH", "abc"}}),
              "configuration: NEXANEST_MARKET_MAX_BATCH = 'abc' must be a whole number from 1 to 10000000");
    EXPECT_EQ(Refusal(std::nullopt, {{"NEXANEST_MARKET_MAX_BATCH", "0"}}),
              "configuration: NEXANEST_MARKET_MAX_BATCH = '0' must be a whole number from 1 to 10000000");
    EXPECT_EQ(
        Refusal(std::nullopt, {{"NEXANEST_MARKET_RAW_RETENTION_DAYS", "-1"}}),
        "configuration: NEXANEST_MARKET_RAW_RETENTION_DAYS = '-1' must be a whole number from 0 to 36500");
    auto file = MarketToml("[market]\nreconcile_window_hours = \"3d\"\n");
    EXPECT_EQ(Refusal(file, {}), "configuration: market.reconcile_window_hours in " + file +
                                     " = '3d' must be a whole number from 0 to 876000");
    std::filesystem::remove(file);
}

TEST(MarketSettings, AValuePutIntoTheConfigByHandIsCheckedToo) {
    runtime::Config config;
    config.domain_settings["market.1d_retention_days"] = "many";
    EXPECT_THROW(OptionsFrom(config), Error);
}

}  // namespace
}  // namespace nn::market
