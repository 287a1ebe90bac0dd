#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/secret.hpp"

namespace nn::runtime {

enum class LogFormat { kText, kJson };

// A setting a domain owns (market::Settings(), auth::Settings()): named by the domain with its
// TOML key, environment variable and check, then loaded and checked by LoadConfig with the table
// of config.cpp, so a bad value stops every subcommand at start like any other. The domain reads
// the checked value back with CountValue, DurationValue, TextValue or SecretValue.
struct DomainSetting {
    std::string toml_key;  // dotted path in the TOML file, e.g. "market.max_batch"
    std::string env;       // environment variable, e.g. "NEXANEST_MARKET_MAX_BATCH"
    // Returns what is expected when the value is not acceptable.
    std::function<std::optional<std::string>(const std::string&)> check;
    // A key or password: kept as a Secret (Config::domain_secrets), and a refusal names the
    // setting and what is expected, never the value.
    bool secret = false;
};

// A whole number from `min` to `max`.
DomainSetting CountSetting(std::string toml_key, std::string env, std::uint64_t min, std::uint64_t max);

// A positive duration: "250ms", "30s", "5m" or a plain number of milliseconds.
DomainSetting DurationSetting(std::string toml_key, std::string env);

// A secret setting whose value `check` accepts.
DomainSetting SecretSetting(std::string toml_key,
                            std::string env,
                            std::function<std::optional<std::string>(const std::string&)> check);

// Every setting of the process. Sources, later ones winning: built-in defaults, the TOML file
// (`--config FILE` or NEXANEST_CONFIG), then NEXANEST_* environment variables. The table in
// config.cpp names each setting once with its TOML key, environment variable and check;
// docs/configuration.md lists them.
struct Config {
    // server
    std::string listen_host = "127.0.0.1";
    std::uint16_t listen_port = 8080;
    std::size_t threads = 0;  // 0: one event loop per core
    std::size_t max_connections = 10000;
    std::size_t max_body_bytes = 1 << 20;
    std::size_t max_header_bytes = 16 << 10;
    std::chrono::milliseconds request_timeout{30'000};
    std::chrono::milliseconds idle_timeout{60'000};
    std::chrono::milliseconds shutdown_drain{10'000};
    std::vector<std::string> cors_origins;
    // Load balancers whose X-Forwarded-For gives the client address (IPs or CIDR networks);
    // empty: the TCP peer is the client (http::TrustedProxies).
    std::vector<std::string> trusted_proxies;
    std::string services = "all";  // comma list of auth,portfolio,market,analytics,notify

    // storage
    Secret database_url;  // administrative URL (migrations); also the host for services
    std::string database_prefix = "nexanest";
    Secret db_service_password;                   // password of the nexanest_<service> roles
    std::map<std::string, Secret> database_urls;  // per database (auth, portfolio, ...), optional
    // Per service role (auth, portfolio, market, analytics, notify), optional: that role's own
    // password instead of db_service_password (NEXANEST_DB_PASSWORD_<SERVICE>).
    std::map<std::string, Secret> db_role_passwords;
    std::size_t db_pool_size = 8;  // per database per event loop
    // Where the services connect instead of database_url's host (a pooler such as pgbouncer):
    // host, port and options of this URL, with each role's name, password and database.
    Secret db_service_url;
    // false: unnamed statements only (a transaction-mode pooler; db::ConnectOptions).
    bool db_prepared_statements = true;
    // A streaming replica (same derivation as db_service_url) for reads that tolerate staleness,
    // used while its measured lag is at most db_replica_max_lag (db::ReadRouter).
    Secret db_replica_url;
    std::chrono::milliseconds db_replica_max_lag{5'000};
    std::chrono::milliseconds db_timeout{5'000};
    Secret redis_url;
    std::chrono::milliseconds redis_timeout{1'000};

    // mail
    Secret smtp_url;  // smtp://user:pass@host:port or smtps://; empty: .eml files in var/mail
    std::string mail_from = "NexaNest <no-reply@nexanest.localhost>";
    // Base of links in emails and the dashboard's origin (browser-mode CSRF check); without a
    // setting, http://127.0.0.1:<listen port>.
    std::string public_url = "http://127.0.0.1:8080";
    // The built web dashboard served at "/"; empty: the app looks for web/dist (apps/nexanest).
    std::string web_dir;
    // Opens /metrics and the per-check detail of /readyz to requests carrying it in the
    // X-Ops-Token header; without it, only loopback peers see them (docs/operations).
    Secret ops_token;

    // runtime
    std::size_t cpu_threads = 2;
    int cpu_nice = 10;  // the CPU pool's threads run this many nice steps below the event loops
    std::string log_level = "info";
    LogFormat log_format = LogFormat::kText;
    bool access_log = true;  // one line per HTTP request, batched (docs/configuration.md)
    std::string var_dir = "var";
    std::string migrations_dir = "migrations";

    // The values given for the domains' settings (DomainSetting), by TOML key, as given and
    // checked; absent: the domain's default. Secret settings are in domain_secrets instead.
    std::map<std::string, std::string> domain_settings;
    std::map<std::string, Secret> domain_secrets;
};

// The value of a domain setting when one was given. Each throws nn::Error(kUnprocessable,
// "config.invalid") naming the setting when a value put into the Config without LoadConfig
// (tests, PutValue) is not acceptable.
std::optional<std::uint64_t> CountValue(const Config& config, const DomainSetting& setting);
std::optional<std::chrono::milliseconds> DurationValue(const Config& config, const DomainSetting& setting);
std::optional<std::string> TextValue(const Config& config, const DomainSetting& setting);
// Empty when not given.
Secret SecretValue(const Config& config, const DomainSetting& setting);

// Puts a value of a domain setting into a Config built without LoadConfig (tests, benchmarks),
// where LoadConfig would: domain_secrets for a secret, domain_settings otherwise. It is checked
// when read back.
void PutValue(Config& config, const DomainSetting& setting, std::string value);

// Reads an environment variable; injectable so tests do not touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnv();

// Builds the configuration. Throws nn::Error(kUnprocessable, "config.invalid") with a message
// naming the setting, its source and what is expected; a message never contains a value of a
// secret setting. `domain_settings` are checked and loaded with the others (apps/nexanest passes
// every domain's; a domain setting that is not passed is neither read nor checked).
Config LoadConfig(const std::optional<std::string>& toml_file,
                  const EnvLookup& env,
                  const std::vector<DomainSetting>& domain_settings = {});

// The five databases of DESIGN.md §2.
inline const std::vector<std::string> kDatabases = {"auth", "portfolio", "analytics", "notifications",
                                                    "timescale"};

}  // namespace nn::runtime
