#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "auth/model.hpp"
#include "auth/user_directory.hpp"
#include "core/actor.hpp"

namespace nn::auth {

// Who a transaction acts for is nn::Actor (core/actor.hpp).
// The structs passed by value into coroutines have constructors on purpose: GCC 12 destroys
// aggregate temporaries of a co_await expression twice (see infra/db/query.hpp).

// Request facts that go into login_attempts, refresh_tokens and the outbox.
struct Audit {
    Audit() = default;
    std::string request_id;
    std::optional<std::string> ip;
    std::optional<std::string> user_agent;
};

struct LoginRecord {
    UserId id;
    std::string password_hash;
    Role role = Role::kUser;
    bool is_active = false;
    bool email_verified = false;
    int failed_login_count = 0;
    int lockout_count = 0;
    std::optional<Timestamp> locked_until;
};

// How consecutive failures lock an account (AuthSettings): at the threshold the account waits
// base * 2^(lockouts so far), at most max, and the count starts again. The repository applies
// it in one UPDATE, so parallel failures all count.
struct LockoutPolicy {
    LockoutPolicy() = default;
    LockoutPolicy(int t, std::chrono::seconds b, std::chrono::seconds m) : threshold(t), base(b), max(m) {}
    int threshold = 20;
    std::chrono::seconds base{1};
    std::chrono::seconds max{900};
};

struct NewRefresh {
    NewRefresh() = default;
    NewRefresh(std::string family, std::string hash, Timestamp expires)
        : family_id(std::move(family)), token_hash(std::move(hash)), expires_at(expires) {}
    std::string family_id;   // uuid text
    std::string token_hash;  // raw SHA-256
    Timestamp expires_at{};
    // On rotation: the session ends this long after its sign-in whatever expires_at says
    // (0: no absolute end).
    std::chrono::seconds family_max_lifetime{0};
};

enum class RotateOutcome { kRotated, kReused, kInvalid };

struct RotateResult {
    RotateOutcome outcome = RotateOutcome::kInvalid;
    UserId user_id;
    Role role = Role::kUser;
    bool email_verified = false;
    std::string family_id;
};

struct RecentFailures {
    std::int64_t by_ip = 0;
    std::int64_t by_email = 0;
    std::int64_t by_source = 0;  // for this email from this address
};

struct ApiKeyRecord {
    ApiKeyId id;
    UserId user_id;
    std::string key_hash;  // raw HMAC bytes
    std::vector<std::string> scopes;
    std::optional<Timestamp> expires_at, revoked_at;
    Role user_role = Role::kUser;
    bool user_is_active = false;
};

// A user's keys neither revoked nor expired; one more is 409 auth.api_key_limit. The list answers
// the newest 100 keys, revoked ones included.
inline constexpr std::int64_t kMaxLiveApiKeys = 25;

struct NewApiKeyRecord {
    ApiKeyId id;
    std::string name;
    std::string prefix;    // the key id part: the lookup key
    std::string key_hash;  // raw HMAC bytes
    std::vector<std::string> scopes;
    std::optional<Timestamp> expires_at;
};

// What decides, per request, whether a bearer token still speaks for its user: the account's
// current role, activity and email state, and the sessions (refresh families) still live.
struct Liveness {
    Role role = Role::kUser;
    bool is_active = false;
    bool email_verified = false;
    std::vector<std::string> live_sessions;  // family ids (uuid text) with an unrevoked, unexpired token
};

struct CleanupCounts {
    std::int64_t refresh_tokens = 0, verifications = 0, resets = 0, login_attempts = 0;
};

// The auth database, as whole units of work: each call is one transaction, run as the acting
// user (or SYSTEM for the directory and the cleanup job), with its outbox events inside it.
// Sensitive profile fields travel as ciphertext here; the service encrypts and decrypts.
class Repository {
public:
    virtual ~Repository() = default;

    // Registration: users + user_profiles + verification token + outbox. False when the email
    // is already taken (nothing written).
    virtual boost::asio::awaitable<bool> CreateUser(UserId id,
                                                    std::string email,
                                                    std::string password_hash,
                                                    std::optional<std::string> display_name,
                                                    std::string verification_hash,
                                                    Timestamp verification_expires,
                                                    Audit audit) = 0;
    // Consumes a valid verification token and marks the email verified; the user, or nullopt
    // when the token is unknown, used or expired.
    virtual boost::asio::awaitable<std::optional<UserId>> ConsumeVerification(std::string token_hash,
                                                                              Audit audit) = 0;
    // For an active account with that email: invalidates its older reset tokens and stores a
    // new one. Returns the account's id and stored email, nullopt when there is none.
    virtual boost::asio::awaitable<std::optional<std::pair<UserId, std::string>>> CreateReset(
        std::string email, std::string token_hash, Timestamp expires_at, Audit audit) = 0;
    // The account of a valid (unused, unexpired) reset token, and its email.
    virtual boost::asio::awaitable<std::optional<std::pair<UserId, std::string>>> PeekReset(
        std::string token_hash) = 0;
    // Consumes the token (single use), sets the password, clears the lockout and revokes every
    // session. False when the token was consumed meanwhile.
    virtual boost::asio::awaitable<bool> ConsumeReset(std::string token_hash,
                                                      UserId user,
                                                      std::string password_hash,
                                                      Audit audit) = 0;

    virtual boost::asio::awaitable<std::optional<LoginRecord>> FindForLogin(std::string email) = 0;
    virtual boost::asio::awaitable<void> RecordLoginFailure(std::optional<LoginRecord> account,
                                                            std::string email,
                                                            std::string reason,
                                                            std::optional<LockoutPolicy> lockout,
                                                            Audit audit) = 0;
    // Starts a session (a refresh family), resets the counters, records the attempt; replaces
    // the password hash when `rehash` is set (parameters changed).
    virtual boost::asio::awaitable<void> RecordLoginSuccess(LoginRecord account,
                                                            std::string email,
                                                            NewRefresh refresh,
                                                            std::optional<std::string> rehash,
                                                            Audit audit) = 0;
    virtual boost::asio::awaitable<RecentFailures> RecentLoginFailures(std::optional<std::string> ip,
                                                                       std::string email,
                                                                       Timestamp since) = 0;

    // Rotation with reuse detection; a reuse revokes the family and commits.
    virtual boost::asio::awaitable<RotateResult> Rotate(std::string token_hash,
                                                        NewRefresh child,
                                                        Audit audit) = 0;
    // The user and session (refresh family id) of a refresh token in any state (browser-mode
    // logout); nullopt when no token has that hash.
    virtual boost::asio::awaitable<std::optional<std::pair<UserId, std::string>>> SessionOfRefresh(
        std::string token_hash) = 0;
    // Revokes the sessions of `actor.user_id`: one family, or all (except `keep`). Returns how many
    // token rows were revoked.
    virtual boost::asio::awaitable<std::int64_t> RevokeSessions(Actor actor,
                                                                std::optional<std::string> family,
                                                                std::optional<std::string> keep,
                                                                std::string reason,
                                                                Audit audit) = 0;
    virtual boost::asio::awaitable<std::vector<SessionInfo>> ListSessions(Actor actor) = 0;

    // The account with its profile (sensitive fields as ciphertext), if the actor may read it
    // and — for a bearer session — the session is still live and the account active.
    virtual boost::asio::awaitable<std::optional<Account>> GetAccount(Actor actor,
                                                                      UserId target,
                                                                      std::optional<std::string> session) = 0;
    // Reads the profile FOR UPDATE, applies `change` (pure), writes it back with an outbox event.
    virtual boost::asio::awaitable<Profile> UpdateProfile(Actor actor,
                                                          std::function<Profile(Profile)> change,
                                                          std::optional<std::string> key_id,
                                                          Audit audit) = 0;
    // Sets a new password and revokes every other session (ASVS 3.3.3).
    virtual boost::asio::awaitable<void> ChangePassword(Actor actor,
                                                        std::string password_hash,
                                                        std::optional<std::string> keep_session,
                                                        Audit audit) = 0;

    virtual boost::asio::awaitable<void> CreateApiKey(Actor actor, NewApiKeyRecord key, Audit audit) = 0;
    virtual boost::asio::awaitable<std::vector<ApiKeyInfo>> ListApiKeys(Actor actor) = 0;
    virtual boost::asio::awaitable<bool> RevokeApiKey(Actor actor, ApiKeyId id, Audit audit) = 0;
    virtual boost::asio::awaitable<std::optional<ApiKeyRecord>> FindApiKey(std::string prefix) = 0;
    virtual boost::asio::awaitable<void> TouchApiKey(Actor actor,
                                                     ApiKeyId id,
                                                     std::optional<std::string> ip) = 0;

    // Admin. `after` is the last id of the previous page.
    virtual boost::asio::awaitable<std::vector<Account>> SearchUsers(Actor actor,
                                                                     std::string query,
                                                                     std::optional<UserId> after,
                                                                     int limit) = 0;
    // Locks the target row, lets `check(current_role)` throw, then applies the change (and
    // revokes the sessions of a deactivated account). nullopt when the actor cannot see it.
    virtual boost::asio::awaitable<std::optional<Account>> UpdateUser(Actor actor,
                                                                      UserId target,
                                                                      std::optional<bool> is_active,
                                                                      std::optional<Role> role,
                                                                      std::function<void(Role)> check,
                                                                      Audit audit) = 0;

    // Advisor grants, written by the client. False when no active ADVISOR has that email.
    virtual boost::asio::awaitable<bool> GrantAdvisor(Actor client,
                                                      std::string advisor_email,
                                                      GrantAccess access,
                                                      Audit audit) = 0;
    virtual boost::asio::awaitable<bool> RevokeAdvisor(Actor client, UserId advisor, Audit audit) = 0;
    // The acting advisor accepts `client`'s pending grant; false when there is none.
    virtual boost::asio::awaitable<bool> AcceptAdvisorGrant(Actor advisor, UserId client, Audit audit) = 0;
    // The grants the actor gave (as client) and received (as advisor).
    virtual boost::asio::awaitable<std::vector<AdvisorGrantInfo>> ListGrants(Actor actor) = 0;

    // The directory for other domains (SYSTEM context).
    virtual boost::asio::awaitable<std::optional<UserStatus>> UserStatusOf(UserId id) = 0;
    // The account's liveness (as SYSTEM); nullopt when there is no such account.
    virtual boost::asio::awaitable<std::optional<Liveness>> LivenessOf(UserId id) = 0;
    virtual boost::asio::awaitable<AdvisorGrants> GrantsOf(UserId advisor) = 0;

    // Whether an active ADMIN or SUPERUSER exists (SYSTEM; GET /api/v1/setup).
    virtual boost::asio::awaitable<bool> HasActiveAdmin() = 0;

    virtual boost::asio::awaitable<CleanupCounts> Cleanup(Timestamp attempts_before) = 0;
};

}  // namespace nn::auth
