#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/permissions.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"

namespace nn::auth {

// Tunables of the auth service. Defaults follow security.md §0; tests shorten the windows.
struct AuthSettings {
    std::string issuer = "nexanest";
    std::string audience = "nexanest-api";
    std::chrono::seconds access_ttl{15 * 60};
    std::chrono::seconds refresh_ttl{30 * 24 * 3600};
    // A session ends this long after its sign-in, however often it is refreshed.
    std::chrono::seconds session_max_lifetime{90 * 24 * 3600};
    std::chrono::seconds verification_ttl{24 * 3600};
    std::chrono::seconds reset_ttl{3600};

    // Lockout (ASVS 2.2.1): after `lockout_threshold` consecutive failures the account waits
    // lockout_base * 2^(lockouts so far), at most lockout_max, before a password is checked again.
    // The threshold is per account whoever fails; one source is stopped far earlier by
    // login_failures_per_source, so one attacker's address cannot lock a victim out.
    int lockout_threshold = 20;
    std::chrono::seconds lockout_base{1};
    std::chrono::seconds lockout_max{900};

    // Rate limits (fixed windows, Redis; the login ones fall back to login_attempts).
    std::int64_t login_failures_per_email = 100;  // attempts per account per hour, all sources (ASVS 2.2.1)
    std::chrono::seconds login_email_window{3600};
    std::int64_t login_failures_per_source = 10;  // per account and address, per window
    std::chrono::seconds login_source_window{900};
    std::int64_t login_attempts_per_ip = 30;  // per 5 minutes (GoTrue-like)
    std::chrono::seconds login_ip_window{300};
    std::int64_t requests_per_ip = 30;  // register, forgot, reset, verify, refresh; per window
    std::chrono::seconds requests_ip_window{300};

    std::string redis_prefix = "nn:auth:";  // keys of rate-limit counters
    std::string api_key_env = "live";       // nnk_<env>_...
    std::chrono::seconds cleanup_interval{3600};
    std::chrono::hours login_attempt_retention{24 * 90};
};

// The waiting time after the `lockout_count`-th lockout (0-based): base * 2^n capped at max.
std::chrono::seconds LockoutDelay(const AuthSettings& s, int lockout_count) noexcept;

struct TokenPair {
    std::string access_token;
    std::string refresh_token;
    std::int64_t expires_in = 0;  // seconds
};

struct Profile {
    std::optional<std::string> first_name, last_name, display_name;
    std::string timezone = "UTC";
    std::string locale = "en";
    std::string base_currency = "USD";
    std::string preferences_json = "{}";
    // Decrypted sensitive fields (stored as secretbox ciphertext).
    std::optional<std::string> phone, date_of_birth, tax_id, address;
};

struct Account {
    UserId id;
    std::string email;
    Role role = Role::kUser;
    bool is_active = true;
    std::optional<Timestamp> email_verified_at;
    Timestamp created_at{};
    std::optional<Timestamp> last_login_at;
    Profile profile;
};

struct SessionInfo {
    std::string id;  // the refresh-token family
    Timestamp started_at{};
    Timestamp last_used_at{};
    Timestamp expires_at{};
    std::optional<std::string> user_agent, ip;
    bool current = false;
};

struct ApiKeyInfo {
    ApiKeyId id;
    std::string name;
    std::string prefix;  // display form "nnk_live_<id>"
    std::vector<std::string> scopes;
    Timestamp created_at{};
    std::optional<Timestamp> expires_at, last_used_at, revoked_at;
};

struct NewApiKey {
    ApiKeyInfo info;
    std::string key;  // shown once
};

enum class GrantAccess { kRead, kManage };

struct AdvisorGrantInfo {
    UserId advisor_id;
    UserId client_id;
    std::string email;  // the other party's email
    GrantAccess access = GrantAccess::kRead;
    Timestamp granted_at{};
    std::optional<Timestamp> accepted_at;  // nullopt: pending, the advisor has not accepted yet
};

}  // namespace nn::auth
