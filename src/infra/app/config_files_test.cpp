#include "infra/app/config_files.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/test_env.hpp"

namespace nn::app {
namespace {
namespace fs = std::filesystem;

runtime::EnvLookup Env(std::map<std::string, std::string> values) {
    return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
        if (auto it = values.find(name); it != values.end()) return it->second;
        return std::nullopt;
    };
}

class TempDir {
public:
    TempDir() : path_(fs::temp_directory_path() / test::UniqueName("nn_cfg_")) {
        fs::create_directories(path_);
    }
    ~TempDir() { fs::remove_all(path_); }
    const fs::path& Path() const { return path_; }
    void Write(const fs::path& rel, const std::string& text) const {
        fs::create_directories((path_ / rel).parent_path());
        std::ofstream(path_ / rel) << text;
    }

private:
    fs::path path_;
};

TEST(ParseEnvFile, ReadsShellExportsAndSystemdLines) {
    auto v = ParseEnvFile(
        "# comment\n"
        "export NEXANEST_DATABASE_URL='postgresql://postgres:p$w@127.0.0.1:5432/postgres'\n"
        "NEXANEST_REDIS_URL=redis://default:x@127.0.0.1:6379/0\r\n"
        "  NEXANEST_LOG_LEVEL = \"de\\\"bug\"  \n"
        "export PGPASSWORD='not ours'\n"
        "NEXANEST_BROKEN='unclosed\n"
        "not an assignment\n"
        "NEXANEST_EMPTY=\n");
    EXPECT_EQ(v.at("NEXANEST_DATABASE_URL"), "postgresql://postgres:p$w@127.0.0.1:5432/postgres");
    EXPECT_EQ(v.at("NEXANEST_REDIS_URL"), "redis://default:x@127.0.0.1:6379/0");
    EXPECT_EQ(v.at("NEXANEST_LOG_LEVEL"), "de\"bug");
    EXPECT_EQ(v.at("NEXANEST_EMPTY"), "");
    EXPECT_FALSE(v.contains("PGPASSWORD"));
    EXPECT_FALSE(v.contains("NEXANEST_BROKEN"));
    EXPECT_EQ(v.size(), 4u);
}

TEST(DetectLayout, SourceTreeReadsVarFiles) {
    auto layout = DetectLayout("/work/x/build/release/apps/nexanest/nexanest", Env({}));
    EXPECT_FALSE(layout.installed);
    ASSERT_EQ(layout.env_files.size(), 3u);
    EXPECT_EQ(layout.env_files[0], fs::path("var/env.sh"));
    auto moved = DetectLayout("/x/nexanest", Env({{"NEXANEST_VAR_DIR", "/srv/v"}}));
    EXPECT_EQ(moved.env_files[2], fs::path("/srv/v/app-secrets.env"));
}

TEST(DetectLayout, InstalledUnderUsrReadsEtcBesideIt) {
    TempDir root;
    root.Write("usr/share/nexanest/migrations/auth/README", "x");
    root.Write("etc/nexanest/nexanest.toml", "[log]\nlevel = \"warn\"\n");
    auto layout = DetectLayout(root.Path() / "usr/bin/nexanest", Env({}));
    ASSERT_TRUE(layout.installed);
    EXPECT_EQ(layout.config_dir, root.Path() / "etc/nexanest");
    ASSERT_EQ(layout.env_files.size(), 1u);
    EXPECT_EQ(layout.env_files[0], root.Path() / "etc/nexanest/nexanest.env");
    ASSERT_TRUE(layout.toml_file.has_value());

    auto opt = DetectLayout(root.Path() / "usr/bin/nexanest", Env({{"NEXANEST_CONFIG_DIR", "/srv/conf"}}));
    EXPECT_EQ(opt.config_dir, fs::path("/srv/conf"));
    EXPECT_FALSE(opt.toml_file.has_value());
}

TEST(DetectLayout, AnExplicitListReplacesTheDiscoveredFiles) {
    auto none = DetectLayout("/x/nexanest", Env({{"NEXANEST_ENV_FILES", ""}}));
    EXPECT_TRUE(none.env_files.empty());
    auto two = DetectLayout("/x/nexanest", Env({{"NEXANEST_ENV_FILES", "/a.env::/b.env"}}));
    ASSERT_EQ(two.env_files.size(), 2u);
    EXPECT_EQ(two.env_files[1], fs::path("/b.env"));
}

TEST(DetectLayout, BinWithoutShareIsNotInstalled) {
    TempDir root;
    root.Write("usr/bin/nexanest", "");
    EXPECT_FALSE(DetectLayout(root.Path() / "usr/bin/nexanest", Env({})).installed);
}

TEST(LoadDiscoveredConfig, EnvironmentWinsOverFilesOverToml) {
    TempDir root;
    root.Write("usr/share/nexanest/migrations/auth/README", "x");
    root.Write("etc/nexanest/nexanest.toml", "[log]\nlevel = \"warn\"\n[database]\nprefix = \"fromtoml\"\n");
    root.Write("etc/nexanest/nexanest.env",
               "NEXANEST_DB_SERVICE_PASSWORD=0123456789abcdef0123\nNEXANEST_DATABASE_PREFIX=fromfile\n"
               "NEXANEST_LOG_LEVEL=debug\n");
    auto layout = DetectLayout(root.Path() / "usr/bin/nexanest", Env({}));
    auto config = LoadDiscoveredConfig(std::nullopt, Env({{"NEXANEST_LOG_LEVEL", "error"}}), layout);
    EXPECT_EQ(config.log_level, "error");
    EXPECT_EQ(config.database_prefix, "fromfile");
    EXPECT_EQ(config.db_service_password.Reveal(), "0123456789abcdef0123");
    EXPECT_EQ(fs::path(config.migrations_dir), root.Path() / "usr/share/nexanest/migrations");
    EXPECT_EQ(fs::path(config.web_dir), root.Path() / "usr/share/nexanest/web");

    auto explicit_dir = LoadDiscoveredConfig(std::nullopt, Env({{"NEXANEST_MIGRATIONS_DIR", "/m"}}), layout);
    EXPECT_EQ(explicit_dir.migrations_dir, "/m");
}

TEST(LoadDiscoveredConfig, SourceTreeWithoutVarKeepsDefaults) {
    TempDir root;
    Layout layout;
    layout.env_files = {root.Path() / "var/env.sh"};
    auto config = LoadDiscoveredConfig(std::nullopt, Env({}), layout);
    EXPECT_TRUE(config.database_url.Empty());
    EXPECT_EQ(config.migrations_dir, "migrations");
    EXPECT_TRUE(config.web_dir.empty());

    root.Write("var/env.sh", "export NEXANEST_DATABASE_URL='postgresql://u:p@127.0.0.1:1/postgres'\n");
    auto found = LoadDiscoveredConfig(std::nullopt, Env({}), layout);
    EXPECT_EQ(found.database_url.Reveal(), "postgresql://u:p@127.0.0.1:1/postgres");
}

}  // namespace
}  // namespace nn::app
