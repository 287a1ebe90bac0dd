#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "auth/local_liveness.hpp"
#include "auth/model.hpp"
#include "auth/principal.hpp"
#include "auth/repository.hpp"
#include "auth/verified_tokens.hpp"
#include "core/secret.hpp"

namespace nn::crypto {
class KeyRing;
}
namespace nn::mail {
class Mailer;
}
namespace nn::runtime {
class CpuPool;
}

namespace nn::auth {

// Fixed-window counters (Redis in production). A call returns nullopt when the store is
// unavailable, so the caller can fall back (login: the login_attempts table) or fail open.
class Limiter {
public:
    virtual ~Limiter() = default;
    // Counts one hit; the count in the window (this one included) and the window's remaining time.
    virtual boost::asio::awaitable<std::optional<std::pair<std::int64_t, std::chrono::seconds>>> Hit(
        std::string key, std::chrono::seconds window) = 0;
    // Ends the window of `key` (a success clears its source's failures); never throws.
    virtual boost::asio::awaitable<void> Reset(std::string key) = 0;
};

// The per-user liveness cache shared by every instance (Redis in production): one entry per
// user and one version per user that every change bumps. An entry carries the version it was
// read under, so an entry written from a read that raced a change is never taken for current.
struct SharedLiveness {
    std::optional<std::string> entry;  // "<version>#ROLE|active|verified|families"
    std::string version = "0";         // "0" before the first change
};
// Get answers nullopt when the store is down (the service then asks the database); Put and
// Drop never throw.
class LivenessCache {
public:
    virtual ~LivenessCache() = default;
    virtual boost::asio::awaitable<std::optional<SharedLiveness>> Get(std::string entry_key,
                                                                      std::string version_key) = 0;
    virtual boost::asio::awaitable<void> Put(std::string key,
                                             std::string value,
                                             std::chrono::seconds ttl) = 0;
    // Bumps the version (kept kLivenessVersionTtl) and drops the entry, in one round trip.
    virtual boost::asio::awaitable<void> Drop(std::string entry_key, std::string version_key) = 0;
};

// How long a user's liveness version outlives its last change: far longer than any entry read
// under an older version can live (kLivenessCacheTtl after a read that began before the change).
inline constexpr std::chrono::seconds kLivenessVersionTtl{86400};

// How long a cached liveness entry may live when no change drops it (a change drops it at once;
// this bounds the damage of a drop that failed because the cache was unreachable).
inline constexpr std::chrono::seconds kLivenessCacheTtl{15};

// Liveness as the cache stores it: "ROLE|active|verified|family,family,...".
std::string EncodeLiveness(const Liveness& live);
std::optional<Liveness> DecodeLiveness(std::string_view text);

// What the service needs besides the repository; owned by the module, shared by all shards.
struct ServiceDeps {
    const AuthSettings* settings = nullptr;
    const crypto::KeyRing* jwt_keys = nullptr;
    const crypto::KeyRing* field_keys = nullptr;  // empty ring: sensitive fields cannot be stored
    const Secret* api_key_pepper = nullptr;
    mail::Mailer* mailer = nullptr;
    LocalLiveness* local_liveness = nullptr;    // this process's copy; null: every request asks the cache
    VerifiedTokens* verified_tokens = nullptr;  // null: every bearer token is verified in full
    runtime::CpuPool* cpu = nullptr;
    std::string public_url;
};

// PATCH /me/profile: an absent field stays, a present one is set; for the nullable ones an
// inner nullopt (JSON null) clears the value.
struct ProfilePatch {
    std::optional<std::optional<std::string>> first_name, last_name, display_name;
    std::optional<std::optional<std::string>> phone, date_of_birth, tax_id, address;
    std::optional<std::string> timezone, locale, base_currency, preferences_json;
};

// The auth use cases. Constructed per request around the shard's repository; all I/O goes through
// the Repository, the Limiter, the Mailer and the CPU pool it is given.
class Service {
public:
    Service(const ServiceDeps& deps, Repository& repo, Limiter& limiter, LivenessCache* cache = nullptr)
        : d_(deps), repo_(repo), limiter_(limiter), cache_(cache) {}

    boost::asio::awaitable<void> Register(std::string email,
                                          std::string password,
                                          std::optional<std::string> display_name,
                                          Audit audit);
    boost::asio::awaitable<void> VerifyEmail(std::string token, Audit audit);
    boost::asio::awaitable<void> ForgotPassword(std::string email, Audit audit);
    boost::asio::awaitable<void> ResetPassword(std::string token, std::string password, Audit audit);

    boost::asio::awaitable<TokenPair> Login(std::string email, std::string password, Audit audit);
    boost::asio::awaitable<TokenPair> Refresh(std::string refresh_token, Audit audit);
    boost::asio::awaitable<void> Logout(const Principal& p, bool all_sessions, Audit audit);
    // Browser-mode logout by the refresh cookie alone: revokes that token's session (refresh
    // family) whatever state the token is in; nothing when it is unknown.
    boost::asio::awaitable<void> LogoutRefreshToken(std::string refresh_token, Audit audit);
    // First run: true while no active ADMIN or SUPERUSER exists.
    boost::asio::awaitable<bool> NeedsAdmin();

    boost::asio::awaitable<Account> Me(const Principal& p);
    boost::asio::awaitable<Account> UpdateProfile(const Principal& p, ProfilePatch patch, Audit audit);
    boost::asio::awaitable<void> ChangePassword(const Principal& p,
                                                std::string current,
                                                std::string next,
                                                Audit audit);
    boost::asio::awaitable<std::vector<SessionInfo>> Sessions(const Principal& p);
    // Revokes one session (by id) or all; false when there was no such live session.
    boost::asio::awaitable<bool> DeleteSessions(const Principal& p,
                                                std::optional<std::string> session,
                                                Audit audit);

    boost::asio::awaitable<NewApiKey> CreateApiKey(const Principal& p,
                                                   std::string name,
                                                   std::vector<std::string> scopes,
                                                   std::optional<Timestamp> expires_at,
                                                   Audit audit);
    boost::asio::awaitable<std::vector<ApiKeyInfo>> ListApiKeys(const Principal& p);
    boost::asio::awaitable<bool> RevokeApiKey(const Principal& p, ApiKeyId id, Audit audit);

    boost::asio::awaitable<std::vector<Account>> SearchUsers(const Principal& p,
                                                             std::string query,
                                                             std::optional<UserId> after,
                                                             int limit);
    boost::asio::awaitable<Account> UpdateUser(const Principal& p,
                                               UserId target,
                                               std::optional<bool> is_active,
                                               std::optional<Role> role,
                                               Audit audit);

    boost::asio::awaitable<void> GrantAdvisor(const Principal& p,
                                              std::string advisor_email,
                                              GrantAccess access,
                                              Audit audit);
    boost::asio::awaitable<bool> RevokeAdvisor(const Principal& p, UserId advisor, Audit audit);
    // A grant takes effect once its advisor accepts it; false when `client` has no pending grant.
    boost::asio::awaitable<bool> AcceptClient(const Principal& p, UserId client, Audit audit);
    // As client (the advisors I granted) or as advisor (my clients).
    boost::asio::awaitable<std::vector<AdvisorGrantInfo>> Grants(const Principal& p, bool as_advisor);

    // Authenticators: a valid principal or nn::Error kUnauthorized "auth.invalid_token".
    // AuthenticateBearer checks the token alone; CheckLive then holds it against the account as
    // it is now: a revoked session or a deactivated account is refused, and the role, its
    // permissions and email_verified are the stored ones, not the token's (docs/auth.md
    // "Liveness"). This process's copy (LocalLiveness, 500 ms) answers most requests without a
    // round trip; then the shared cache; a miss, an unknown session or a cache that is down goes
    // to the database.
    Principal AuthenticateBearer(std::string_view token) const;
    boost::asio::awaitable<void> CheckLive(Principal& p);
    // Drops the cached liveness of `user` after a change to its sessions, role or activity: in
    // the shared cache (the version bump reaches every instance at its next read, within
    // kLocalLivenessTtl) and in this process (at once).
    boost::asio::awaitable<void> Forget(UserId user);
    boost::asio::awaitable<Principal> AuthenticateApiKey(std::string_view key, std::optional<std::string> ip);

    boost::asio::awaitable<CleanupCounts> Cleanup();

    // Signs an access token for a session (exposed for tests of the JWT edge).
    TokenPair IssueTokens(UserId user,
                          Role role,
                          bool email_verified,
                          const std::string& session,
                          std::string refresh_token) const;

private:
    boost::asio::awaitable<void> CheckRate(std::string kind,
                                           std::string key,
                                           std::int64_t limit,
                                           std::chrono::seconds window);
    boost::asio::awaitable<void> CheckLoginRate(const std::string& email, const Audit& audit);
    boost::asio::awaitable<void> ClearSourceFailures(const std::string& email, const Audit& audit);
    std::string SourceKey(const std::string& email, const Audit& audit) const;
    LockoutPolicy Lockout() const;
    boost::asio::awaitable<void> SendReset(std::string email, Audit audit);
    std::string LivenessKey(UserId user) const;
    std::string LivenessVersionKey(UserId user) const;
    boost::asio::awaitable<std::shared_ptr<const Liveness>> LoadLiveness(UserId user,
                                                                         const std::string& session);
    std::optional<std::string> Decrypt(const std::optional<std::string>& blob) const;
    Account Decrypted(Account account) const;
    // A change to what /me shows that is not a liveness change (a profile edit, a sign-in's
    // last_login_at): drops this process's liveness copy of the user, and with it the cached
    // /me answer (docs/architecture.md "The hot path of an authenticated read").
    void AccountChanged(UserId user);

    const ServiceDeps& d_;
    Repository& repo_;
    Limiter& limiter_;
    LivenessCache* cache_ = nullptr;
};

// The problems every caller sees the same way.
[[noreturn]] void ThrowInvalidToken();
[[noreturn]] void ThrowInvalidCredentials();

}  // namespace nn::auth
