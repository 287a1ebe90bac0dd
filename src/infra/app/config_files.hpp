#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infra/runtime/config.hpp"

// Where a nexanest process finds its configuration and its files when nobody says
// (docs/operations.md "Configuration"): the CLI works wherever the server works.
//
// - From the source tree (`make run`): the files `make run` writes under ./var (env.sh,
//   app-secrets.env, db-role-passwords.env), relative to the working directory.
// - Installed (the binary is <prefix>/bin/nexanest next to <prefix>/share/nexanest): the
//   configuration folder /etc/nexanest (nexanest.toml and the secrets in nexanest.env, the file
//   the systemd unit names as EnvironmentFile), migrations and the dashboard under
//   <prefix>/share/nexanest.
//
// The process environment always wins over these files, and `--config FILE` / NEXANEST_CONFIG
// over the discovered TOML file.
namespace nn::app {

// Parses an environment file: `NAME=value` lines as systemd's EnvironmentFile= reads them, or
// the `export NAME='value'` lines of a shell file. Blank lines and `#` comments are skipped;
// a value may be 'single-quoted' (taken literally), "double-quoted" (\" \\ \$ \` escapes) or
// bare (trimmed). Lines that are not assignments are ignored. Only NEXANEST_* names are kept.
std::map<std::string, std::string> ParseEnvFile(std::string_view text);

// Where this binary lives and what that implies.
struct Layout {
    bool installed = false;            // <prefix>/bin/nexanest with <prefix>/share/nexanest/migrations
    std::filesystem::path prefix;      // set when installed
    std::filesystem::path share_dir;   // <prefix>/share/nexanest when installed
    std::filesystem::path config_dir;  // /etc/nexanest (prefix /usr) or <prefix>/etc/nexanest
    std::vector<std::filesystem::path> env_files;    // in order, later ones winning
    std::optional<std::filesystem::path> toml_file;  // the discovered TOML file, when it exists
};

// The layout for an executable at `exe` (see the namespace comment). `env` supplies
// NEXANEST_CONFIG_DIR (overrides the configuration folder) and NEXANEST_VAR_DIR (the folder of
// the source-tree files, default "var"), and NEXANEST_ENV_FILES (a ':'-separated list of
// environment files replacing the discovered ones; empty: none).
Layout DetectLayout(const std::filesystem::path& exe, const runtime::EnvLookup& env);

// The running executable (/proc/self/exe).
std::filesystem::path SelfExe();

// An environment lookup: `env` first, then the layout's environment files (read once, now).
// A file that exists but cannot be read is an error naming it.
runtime::EnvLookup WithEnvFiles(const Layout& layout, runtime::EnvLookup env);

// The configuration as every subcommand loads it: flags and environment over the environment
// files over the TOML file (explicit, else discovered); then the installed defaults for the
// migrations and dashboard folders when the configuration left them unset. `domain_settings`
// as runtime::LoadConfig takes them.
runtime::Config LoadDiscoveredConfig(const std::optional<std::string>& toml_file,
                                     const runtime::EnvLookup& env,
                                     const Layout& layout,
                                     const std::vector<runtime::DomainSetting>& domain_settings = {});

}  // namespace nn::app
