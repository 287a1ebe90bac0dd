#include "infra/runtime/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>
#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "core/error.hpp"

namespace nn::runtime {
namespace {

[[noreturn]] void Invalid(const std::string& message) {
    throw Error(ErrorKind::kUnprocessable, "config.invalid", "configuration: " + message);
}

struct Setting {
    std::string toml_key;  // dotted path in the TOML file
    std::string env;       // environment variable
    bool secret;           // never echo the value
    // Applies a textual value; returns an explanation when it is not acceptable.
    std::function<std::optional<std::string>(Config&, const std::string&)> apply;
};

std::optional<std::uint64_t> ParseUnsigned(const std::string& s) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

// Accepts "250ms", "30s", "5m" or a plain number of milliseconds.
std::optional<std::chrono::milliseconds> ParseDuration(const std::string& s) {
    std::size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
    auto n = ParseUnsigned(s.substr(0, digits));
    if (!n) return std::nullopt;
    std::string unit = s.substr(digits);
    if (unit.empty() || unit == "ms") return std::chrono::milliseconds(*n);
    if (unit == "s") return std::chrono::milliseconds(*n * 1000);
    if (unit == "m") return std::chrono::milliseconds(*n * 60'000);
    return std::nullopt;
}

std::vector<std::string> SplitList(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto comma = s.find(',', start);
        auto item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        while (!item.empty() && item.front() == ' ') item.erase(item.begin());
        while (!item.empty() && item.back() == ' ') item.pop_back();
        if (!item.empty()) out.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

// "10.0.0.7", "10.0.0.0/8", "::1", "fd00::/8" (what http::TrustedProxies::Parse accepts).
bool IpOrNetwork(const std::string& s) {
    const auto slash = s.find('/');
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(s.substr(0, slash), ec);
    if (ec || (address.is_v6() && address.to_v6().scope_id() != 0)) return false;
    if (slash == std::string::npos) return true;
    const auto prefix = ParseUnsigned(s.substr(slash + 1));
    return prefix && *prefix <= (address.is_v4() ? 32u : 128u);
}

template <typename T>
Setting Count(const char* key, const char* env, T Config::*field, std::uint64_t min, std::uint64_t max) {
    return {key, env, false, [=](Config& c, const std::string& v) -> std::optional<std::string> {
                auto n = ParseUnsigned(v);
                if (!n || *n < min || *n > max) return fmt::format("a whole number from {} to {}", min, max);
                c.*field = static_cast<T>(*n);
                return std::nullopt;
            }};
}

constexpr const char* kDurationExpected = "a positive duration such as 250ms, 30s or 5m";

Setting Duration(const char* key, const char* env, std::chrono::milliseconds Config::*field) {
    return {key, env, false, [=](Config& c, const std::string& v) -> std::optional<std::string> {
                auto d = ParseDuration(v);
                if (!d || d->count() <= 0) return kDurationExpected;
                c.*field = *d;
                return std::nullopt;
            }};
}

std::optional<std::string> CheckUrl(const std::string& v, const std::vector<std::string>& schemes) {
    std::string names;
    for (const auto& scheme : schemes) {
        if (v.rfind(scheme + "://", 0) == 0) return std::nullopt;
        names += (names.empty() ? "" : " or ") + scheme + "://";
    }
    return "a URL starting with " + names;
}

Setting Url(const char* key, const char* env, Secret Config::*field, std::vector<std::string> schemes) {
    return {key, env, true, [=](Config& c, const std::string& v) -> std::optional<std::string> {
                if (auto problem = CheckUrl(v, schemes)) return problem;
                c.*field = Secret(v);
                return std::nullopt;
            }};
}

// Long on purpose: the settings table, one entry per setting (docs/configuration.md lists the same).
std::vector<Setting> Settings() {
    std::vector<Setting> s = {
        {"http.listen", "NEXANEST_LISTEN", false,
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             auto colon = v.rfind(':');
             if (colon == std::string::npos || colon == 0) return "HOST:PORT, for example 127.0.0.1:8080";
             auto port = ParseUnsigned(v.substr(colon + 1));
             if (!port || *port > 65535) return "HOST:PORT with a port from 0 to 65535";
             c.listen_host = v.substr(0, colon);
             c.listen_port = static_cast<std::uint16_t>(*port);
             return std::nullopt;
         }},
        Count("http.threads", "NEXANEST_THREADS", &Config::threads, 0, 256),
        Count("http.max_connections", "NEXANEST_MAX_CONNECTIONS", &Config::max_connections, 1, 1'000'000),
        Count("http.max_body_bytes", "NEXANEST_MAX_BODY_BYTES", &Config::max_body_bytes, 1024, 1ULL << 30),
        Count("http.max_header_bytes", "NEXANEST_MAX_HEADER_BYTES", &Config::max_header_bytes, 1024, 1 << 20),
        Duration("http.request_timeout", "NEXANEST_REQUEST_TIMEOUT", &Config::request_timeout),
        Duration("http.idle_timeout", "NEXANEST_IDLE_TIMEOUT", &Config::idle_timeout),
        Duration("http.shutdown_drain", "NEXANEST_SHUTDOWN_DRAIN", &Config::shutdown_drain),
        {"http.cors_origins", "NEXANEST_CORS_ORIGINS", false,
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             c.cors_origins = SplitList(v);
             for (const auto& o : c.cors_origins) {
                 if (o != "*" && o.rfind("http://", 0) != 0 && o.rfind("https://", 0) != 0) {
                     return "a comma-separated list of origins such as https://app.example.com";
                 }
             }
             return std::nullopt;
         }},
        {"http.trusted_proxies", "NEXANEST_TRUSTED_PROXIES", false,
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             c.trusted_proxies = SplitList(v);
             for (const auto& entry : c.trusted_proxies) {
                 if (!IpOrNetwork(entry)) {
                     return "a comma-separated list of IP addresses or CIDR networks such as "
                            "10.0.0.0/8 (got '" +
                            entry + "')";
                 }
             }
             return std::nullopt;
         }},
        {"server.services", "NEXANEST_SERVICES", false,
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             static const std::vector<std::string> known = {"all",    "auth",      "portfolio",
                                                            "market", "analytics", "notify"};
             auto list = SplitList(v);
             if (list.empty())
                 return "a comma-separated list of auth, portfolio, market, analytics, notify or all";
             for (const auto& name : list) {
                 if (std::find(known.begin(), known.end(), name) == known.end()) {
                     return "a comma-separated list of auth, portfolio, market, analytics, notify or all "
                            "(got '" +
                            name + "')";
                 }
             }
             c.services = v;
             return std::nullopt;
         }},
        Url("database.url", "NEXANEST_DATABASE_URL", &Config::database_url, {"postgresql", "postgres"}),
        {"database.prefix", "NEXANEST_DATABASE_PREFIX", false,
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             bool ok = !v.empty() && v.size() <= 40 && v[0] >= 'a' && v[0] <= 'z';
             for (char ch : v) ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_');
             if (!ok) return "1 to 40 characters a-z, 0-9 or _, starting with a letter";
             c.database_prefix = v;
             return std::nullopt;
         }},
        {"database.service_password", "NEXANEST_DB_SERVICE_PASSWORD", true,
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v.size() < 16) return "at least 16 characters";
             c.db_service_password = Secret(v);
             return std::nullopt;
         }},
        Count("database.pool_size", "NEXANEST_DB_POOL_SIZE", &Config::db_pool_size, 1, 512),
        Url("database.service_url", "NEXANEST_DB_SERVICE_URL", &Config::db_service_url,
            {"postgresql", "postgres"}),
        {"database.prepared_statements", "NEXANEST_DB_PREPARED_STATEMENTS", false,
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v == "on" || v == "true" || v == "1") {
                 c.db_prepared_statements = true;
             } else if (v == "off" || v == "false" || v == "0") {
                 c.db_prepared_statements = false;
             } else {
                 return "on or off";
             }
             return std::nullopt;
         }},
        Url("database.replica_url", "NEXANEST_DB_REPLICA_URL", &Config::db_replica_url,
            {"postgresql", "postgres"}),
        Duration("database.replica_max_lag", "NEXANEST_DB_REPLICA_MAX_LAG", &Config::db_replica_max_lag),
        Duration("database.timeout", "NEXANEST_DB_TIMEOUT", &Config::db_timeout),
        Url("redis.url", "NEXANEST_REDIS_URL", &Config::redis_url, {"redis", "redis+cluster"}),
        Duration("redis.timeout", "NEXANEST_REDIS_TIMEOUT", &Config::redis_timeout),
        Url("mail.smtp_url", "NEXANEST_SMTP_URL", &Config::smtp_url, {"smtp", "smtps"}),
        {"mail.from", "NEXANEST_MAIL_FROM", false,
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v.find('@') == std::string::npos || v.find_first_of("\r\n") != std::string::npos) {
                 return "an address such as 'NexaNest <no-reply@example.com>'";
             }
             c.mail_from = v;
             return std::nullopt;
         }},
        {"server.public_url", "NEXANEST_PUBLIC_URL", false,
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (auto problem = CheckUrl(v, {"http", "https"})) return problem;
             c.public_url = v;
             return std::nullopt;
         }},
        {"server.ops_token", "NEXANEST_OPS_TOKEN", true,
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v.size() < 24) return "at least 24 characters";
             c.ops_token = Secret(v);
             return std::nullopt;
         }},
        {"server.web_dir", "NEXANEST_WEB_DIR", false,
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v.empty()) return "a directory path";
             c.web_dir = v;
             return std::nullopt;
         }},
        Count("runtime.cpu_threads", "NEXANEST_CPU_THREADS", &Config::cpu_threads, 1, 64),
        Count("runtime.cpu_nice", "NEXANEST_CPU_NICE", &Config::cpu_nice, 0, 19),
        {"log.level", "NEXANEST_LOG_LEVEL", false,
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             static const std::vector<std::string> levels = {"trace", "debug", "info",
                                                             "warn",  "error", "off"};
             if (std::find(levels.begin(), levels.end(), v) == levels.end()) {
                 return "one of trace, debug, info, warn, error, off";
             }
             c.log_level = v;
             return std::nullopt;
         }},
        {"log.format", "NEXANEST_LOG_FORMAT", false,
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v == "text") {
                 c.log_format = LogFormat::kText;
             } else if (v == "json") {
                 c.log_format = LogFormat::kJson;
             } else {
                 return "text or json";
             }
             return std::nullopt;
         }},
        {"log.access", "NEXANEST_LOG_ACCESS", false,
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v == "on") {
                 c.access_log = true;
             } else if (v == "off") {
                 c.access_log = false;
             } else {
                 return "on or off";
             }
             return std::nullopt;
         }},
        {"runtime.var_dir", "NEXANEST_VAR_DIR", false,
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v.empty()) return "a directory path";
             c.var_dir = v;
             return std::nullopt;
         }},
        {"database.migrations_dir", "NEXANEST_MIGRATIONS_DIR", false,
         [](Config& c, const std::string& v) -> std::optional<std::string> {
             if (v.empty()) return "a directory path";
             c.migrations_dir = v;
             return std::nullopt;
         }},
    };
    for (const char* service : {"auth", "portfolio", "market", "analytics", "notify"}) {
        std::string upper;
        for (const char* ch = service; *ch != 0; ++ch)
            upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(*ch))));
        const std::string name(service);
        s.push_back({"database.passwords." + name, "NEXANEST_DB_PASSWORD_" + upper, true,
                     [name](Config& c, const std::string& v) -> std::optional<std::string> {
                         if (v.size() < 16) return "at least 16 characters";
                         c.db_role_passwords[name] = Secret(v);
                         return std::nullopt;
                     }});
    }
    for (const auto& db : kDatabases) {
        std::string upper;
        for (char ch : db) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
        s.push_back({"database.urls." + db, "NEXANEST_" + upper + "_DATABASE_URL", true,
                     [db](Config& c, const std::string& v) -> std::optional<std::string> {
                         if (auto err = CheckUrl(v, {"postgresql", "postgres"})) return err;
                         c.database_urls[db] = Secret(v);
                         return std::nullopt;
                     }});
    }
    return s;
}

std::optional<std::string> TomlValue(const toml::table& root, const std::string& dotted) {
    auto node = root.at_path(dotted);
    if (!node) return std::nullopt;
    if (auto v = node.value<std::string>()) return *v;
    if (auto v = node.value<int64_t>()) return std::to_string(*v);
    if (auto v = node.value<bool>()) return *v ? "true" : "false";
    if (auto* arr = node.as_array()) {
        std::string joined;
        for (const auto& item : *arr) {
            auto sv = item.value<std::string>();
            if (!sv) Invalid(dotted + " (TOML): must be a list of strings");
            joined += (joined.empty() ? "" : ",") + *sv;
        }
        return joined;
    }
    Invalid(dotted + " (TOML): unsupported value type");
}

}  // namespace

DomainSetting CountSetting(std::string toml_key, std::string env, std::uint64_t min, std::uint64_t max) {
    return {std::move(toml_key), std::move(env),
            [min, max](const std::string& v) -> std::optional<std::string> {
                auto n = ParseUnsigned(v);
                if (!n || *n < min || *n > max) return fmt::format("a whole number from {} to {}", min, max);
                return std::nullopt;
            },
            false};
}

DomainSetting DurationSetting(std::string toml_key, std::string env) {
    return {std::move(toml_key), std::move(env),
            [](const std::string& v) -> std::optional<std::string> {
                auto d = ParseDuration(v);
                if (!d || d->count() <= 0) return kDurationExpected;
                return std::nullopt;
            },
            false};
}

DomainSetting SecretSetting(std::string toml_key,
                            std::string env,
                            std::function<std::optional<std::string>(const std::string&)> check) {
    return {std::move(toml_key), std::move(env), std::move(check), true};
}

std::optional<std::string> TextValue(const Config& config, const DomainSetting& setting) {
    auto it = config.domain_settings.find(setting.toml_key);
    if (it == config.domain_settings.end()) return std::nullopt;
    if (auto problem = setting.check(it->second)) {
        Invalid(fmt::format("{} = '{}' must be {}", setting.toml_key, it->second, *problem));
    }
    return it->second;
}

std::optional<std::uint64_t> CountValue(const Config& config, const DomainSetting& setting) {
    auto v = TextValue(config, setting);
    if (!v) return std::nullopt;
    return ParseUnsigned(*v);
}

std::optional<std::chrono::milliseconds> DurationValue(const Config& config, const DomainSetting& setting) {
    auto v = TextValue(config, setting);
    if (!v) return std::nullopt;
    return ParseDuration(*v);
}

Secret SecretValue(const Config& config, const DomainSetting& setting) {
    auto it = config.domain_secrets.find(setting.toml_key);
    if (it == config.domain_secrets.end()) return {};
    if (auto problem = setting.check(it->second.Reveal())) {
        Invalid(fmt::format("{} must be {}", setting.toml_key, *problem));
    }
    return it->second;
}

void PutValue(Config& config, const DomainSetting& setting, std::string value) {
    if (setting.secret) {
        config.domain_secrets[setting.toml_key] = Secret(std::move(value));
    } else {
        config.domain_settings[setting.toml_key] = std::move(value);
    }
}

EnvLookup ProcessEnv() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
    };
}

Config LoadConfig(const std::optional<std::string>& toml_file,
                  const EnvLookup& env,
                  const std::vector<DomainSetting>& domain_settings) {
    Config config;
    std::optional<toml::table> file;
    std::optional<std::string> path = toml_file;
    if (!path) path = env("NEXANEST_CONFIG");
    if (path) {
        try {
            file = toml::parse_file(*path);
        } catch (const toml::parse_error& e) {
            Invalid(
                fmt::format("{}: {} (line {})", *path, std::string(e.description()), e.source().begin.line));
        }
    }
    auto settings = Settings();
    for (const auto& domain : domain_settings) {
        settings.push_back({domain.toml_key, domain.env, domain.secret,
                            [&domain](Config& c, const std::string& v) -> std::optional<std::string> {
                                if (auto problem = domain.check(v)) return problem;
                                PutValue(c, domain, v);
                                return std::nullopt;
                            }});
    }
    bool public_url_given = false;
    for (const auto& setting : settings) {
        std::optional<std::string> value;
        std::string source;
        if (file) {
            value = TomlValue(*file, setting.toml_key);
            source = fmt::format("{} in {}", setting.toml_key, *path);
        }
        if (auto v = env(setting.env)) {
            value = *v;
            source = setting.env;
        }
        if (!value) continue;
        if (auto problem = setting.apply(config, *value)) {
            Invalid(setting.secret ? fmt::format("{} must be {}", source, *problem)
                                   : fmt::format("{} = '{}' must be {}", source, *value, *problem));
        }
        if (setting.env == "NEXANEST_PUBLIC_URL") public_url_given = true;
    }
    if (!public_url_given) config.public_url = fmt::format("http://127.0.0.1:{}", config.listen_port);
    return config;
}

}  // namespace nn::runtime
