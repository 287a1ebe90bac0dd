#include "auth/pg_repository.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <set>

#include "auth/device.hpp"

#include "infra/db/errors.hpp"
#include "infra/db/pool.hpp"
#include "infra/db/transaction.hpp"

namespace nn::auth {

namespace asio = boost::asio;
using db::Bytea;
using db::Query;
using db::Transaction;
using db::TransactionOptions;

namespace {

// --- Events (auth.outbox, drained by the audit relay) ---
inline constexpr Query kInsertOutbox{
    "INSERT INTO auth.outbox (actor_id, user_id, aggregate_type, aggregate_id, event_type, payload, "
    "request_id, ip) "
    "VALUES ($1, $2, $3, $4, $5, $6::jsonb, nullif($7, ''), $8::inet)",
    "auth.insert_outbox"};

// --- Registration, verification, reset ---
inline constexpr Query kInsertUser{"INSERT INTO auth.users (id, email, password_hash) VALUES ($1, $2, $3)",
                                   "auth.insert_user"};
inline constexpr Query kInsertProfile{
    "INSERT INTO auth.user_profiles (user_id, display_name) VALUES ($1, $2)", "auth.insert_profile"};
inline constexpr Query kInsertVerification{
    "INSERT INTO auth.email_verification_tokens (user_id, token_hash, email, expires_at) VALUES ($1, $2, $3, "
    "$4)",
    "auth.insert_verification"};
inline constexpr Query kFindVerification{
    "SELECT id, user_id FROM auth.email_verification_by_hash($1) WHERE used_at IS NULL AND expires_at > "
    "now()",
    "auth.find_verification"};
inline constexpr Query kUseVerification{
    "UPDATE auth.email_verification_tokens SET used_at = now() "
    "WHERE id = $1 AND used_at IS NULL AND expires_at > now()",
    "auth.use_verification"};
inline constexpr Query kMarkVerified{
    "UPDATE auth.users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now() WHERE "
    "id = $1",
    "auth.mark_verified"};
inline constexpr Query kSelectEmail{"SELECT email FROM auth.users WHERE id = $1", "auth.select_email"};
inline constexpr Query kExpireResets{
    "UPDATE auth.password_reset_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
    "auth.expire_resets"};
inline constexpr Query kInsertReset{
    "INSERT INTO auth.password_reset_tokens (user_id, token_hash, requested_ip, expires_at) "
    "VALUES ($1, $2, $3::inet, $4)",
    "auth.insert_reset"};
inline constexpr Query kFindReset{
    "SELECT user_id FROM auth.password_reset_by_hash($1) WHERE used_at IS NULL AND expires_at > now()",
    "auth.find_reset"};
inline constexpr Query kUseReset{
    "UPDATE auth.password_reset_tokens SET used_at = now() "
    "WHERE token_hash = $1 AND user_id = $2 AND used_at IS NULL AND expires_at > now()",
    "auth.use_reset"};
inline constexpr Query kSetPassword{
    "UPDATE auth.users SET password_hash = $2, password_changed_at = now(), failed_login_count = 0, "
    "lockout_count = 0, locked_until = NULL, updated_at = now() WHERE id = $1",
    "auth.set_password"};

// --- Login ---
inline constexpr Query kUserForLogin{
    "SELECT id, password_hash, role, is_active, email_verified_at IS NOT NULL, failed_login_count, "
    "lockout_count, "
    "locked_until FROM auth.user_for_login($1)",
    "auth.user_for_login"};
// One failure, counted in the row itself: parallel failures cannot overwrite each other's count.
// The right-hand sides see the row as it was (LockoutPolicy, model.cpp LockoutDelay).
inline constexpr Query kCountFailure{
    "UPDATE auth.users SET "
    "failed_login_count = CASE WHEN failed_login_count + 1 >= $2 THEN 0 ELSE failed_login_count + 1 END, "
    "lockout_count = lockout_count + CASE WHEN failed_login_count + 1 >= $2 THEN 1 ELSE 0 END, "
    "locked_until = CASE WHEN failed_login_count + 1 >= $2 THEN now() + make_interval(secs => "
    "least($3::float8 * power(2::float8, least(lockout_count, 30)), $4::float8)) ELSE locked_until END, "
    "last_failed_login_at = now() WHERE id = $1 RETURNING failed_login_count = 0",
    "auth.count_failure"};
inline constexpr Query kInsertAttempt{
    "INSERT INTO auth.login_attempts (user_id, email, ip, user_agent, success, failure_reason) "
    "VALUES ($1, $2, $3::inet, $4, $5, $6)",
    "auth.insert_attempt"};
inline constexpr Query kLoginSucceeded{
    "UPDATE auth.users SET failed_login_count = 0, lockout_count = 0, locked_until = NULL, last_login_at = "
    "now(), "
    "password_hash = coalesce($2, password_hash) WHERE id = $1",
    "auth.login_succeeded"};
inline constexpr Query kInsertRefresh{
    "INSERT INTO auth.refresh_tokens (user_id, token_hash, family_id, parent_id, expires_at, user_agent, ip, "
    "family_started_at) VALUES ($1, $2, $3::uuid, $4, $5, $6, $7::inet, "
    "coalesce((SELECT p.family_started_at FROM auth.refresh_tokens p WHERE p.id = $4), now())) RETURNING id",
    "auth.insert_refresh"};
// The devices of the user's recent successful sign-ins (login_attempts keeps 90 days): user agent
// and address network (IPv4 /24, IPv6 /48), compared as auth::DeviceKey.
inline constexpr Query kKnownDevices{
    "SELECT DISTINCT coalesce(user_agent, ''), coalesce(host(network(set_masklen(ip, "
    "CASE WHEN family(ip) = 4 THEN 24 ELSE 48 END))) || '/' || CASE WHEN family(ip) = 4 THEN '24' ELSE '48' "
    "END, '') "
    "FROM (SELECT user_agent, ip FROM auth.login_attempts WHERE user_id = $1 AND success "
    "ORDER BY attempted_at DESC LIMIT 1000) recent",
    "auth.known_devices"};
inline constexpr Query kNetworkOf{
    "SELECT coalesce(host(network(set_masklen($1::inet, CASE WHEN family($1::inet) = 4 THEN 24 ELSE 48 "
    "END))) "
    "|| '/' || CASE WHEN family($1::inet) = 4 THEN '24' ELSE '48' END, '')",
    "auth.network_of"};
inline constexpr Query kRecentFailures{
    "SELECT by_ip, by_email, auth.recent_login_failures_from($1::inet, $2, $3) "
    "FROM auth.recent_login_failures($1::inet, $2, $3)",
    "auth.recent_failures"};

// --- Sessions ---
inline constexpr Query kRefreshSessionByHash{
    "SELECT user_id, family_id::text FROM auth.refresh_token_by_hash($1)", "auth.refresh_session_by_hash"};
inline constexpr Query kHasActiveAdmin{
    "SELECT EXISTS (SELECT 1 FROM auth.users WHERE role IN ('ADMIN', 'SUPERUSER') AND is_active)",
    "auth.has_active_admin"};
inline constexpr Query kRefreshByHash{"SELECT id, user_id FROM auth.refresh_token_by_hash($1)",
                                      "auth.refresh_by_hash"};
inline constexpr Query kLockRefresh{
    "SELECT t.replaced_by IS NOT NULL, t.revoked_at IS NOT NULL, t.expires_at > now(), t.family_id::text, "
    "u.role, u.is_active, u.email_verified_at IS NOT NULL, t.family_started_at "
    "FROM auth.refresh_tokens t JOIN auth.users u ON u.id = t.user_id WHERE t.id = $1 FOR UPDATE OF t",
    "auth.lock_refresh"};
inline constexpr Query kMarkReplaced{
    "UPDATE auth.refresh_tokens SET replaced_by = $2, last_used_at = now() WHERE id = $1",
    "auth.mark_replaced"};
inline constexpr Query kRevokeFamily{
    "UPDATE auth.refresh_tokens SET revoked_at = now(), revoked_reason = $2 "
    "WHERE family_id = $1::uuid AND revoked_at IS NULL",
    "auth.revoke_family"};
inline constexpr Query kRevokeSessions{
    "UPDATE auth.refresh_tokens SET revoked_at = now(), revoked_reason = $2 "
    "WHERE user_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR family_id = $3::uuid) "
    "AND ($4::uuid IS NULL OR family_id <> $4::uuid)",
    "auth.revoke_sessions"};
inline constexpr Query kListSessions{
    "SELECT t.family_id::text, f.started, t.issued_at, t.expires_at, t.user_agent, host(t.ip) "
    "FROM auth.refresh_tokens t JOIN (SELECT family_id, min(issued_at) AS started FROM auth.refresh_tokens "
    "WHERE user_id = $1 GROUP BY family_id) f ON f.family_id = t.family_id "
    "WHERE t.user_id = $1 AND t.revoked_at IS NULL AND t.replaced_by IS NULL AND t.expires_at > now() "
    "ORDER BY f.started DESC",
    "auth.list_sessions"};

// --- Accounts ---
#define NN_AUTH_ACCOUNT_COLUMNS                                                                          \
    "u.id, u.email, u.role, u.is_active, u.email_verified_at, u.created_at, u.last_login_at, "           \
    "p.first_name, p.last_name, p.display_name, coalesce(p.timezone, 'UTC'), coalesce(p.locale, 'en'), " \
    "coalesce(p.base_currency, 'USD'), coalesce(p.preferences, '{}'::jsonb), p.phone_enc, "              \
    "p.date_of_birth_enc, p.tax_id_enc, p.address_enc "
inline constexpr Query kSelectAccount{
    "SELECT " NN_AUTH_ACCOUNT_COLUMNS
    "FROM auth.users u LEFT JOIN auth.user_profiles p ON p.user_id = u.id WHERE u.id = $1 "
    "AND ($2::uuid IS NULL OR (u.is_active AND EXISTS (SELECT 1 FROM auth.refresh_tokens r "
    "WHERE r.family_id = $2::uuid AND r.user_id = u.id AND r.revoked_at IS NULL AND r.expires_at > now())))",
    "auth.select_account"};
inline constexpr Query kSearchUsers{
    "SELECT " NN_AUTH_ACCOUNT_COLUMNS
    "FROM auth.users u LEFT JOIN auth.user_profiles p ON p.user_id = u.id "
    "WHERE ($1 = '' OR strpos(lower(u.email), lower($1)) > 0 OR strpos(lower(coalesce(p.display_name, '')), "
    "lower($1)) > 0) AND ($2::uuid IS NULL OR u.id > $2::uuid) ORDER BY u.id LIMIT $3",
    "auth.search_users"};
#undef NN_AUTH_ACCOUNT_COLUMNS
inline constexpr Query kLockProfile{
    "SELECT first_name, last_name, display_name, timezone, locale, base_currency, preferences, phone_enc, "
    "date_of_birth_enc, tax_id_enc, address_enc FROM auth.user_profiles WHERE user_id = $1 FOR UPDATE",
    "auth.lock_profile"};
inline constexpr Query kUpdateProfile{
    "UPDATE auth.user_profiles SET first_name = $2, last_name = $3, display_name = $4, timezone = $5, "
    "locale = $6, base_currency = $7, preferences = $8::jsonb, phone_enc = $9, date_of_birth_enc = $10, "
    "tax_id_enc = $11, address_enc = $12, enc_key_id = $13, updated_at = now() WHERE user_id = $1",
    "auth.update_profile"};
// Not FOR UPDATE: that applies the UPDATE policies, so an ADMIN would not even see an ADMIN row
// and could not be told "forbidden". The update below re-checks the role it read.
inline constexpr Query kSelectRole{"SELECT role FROM auth.users WHERE id = $1", "auth.select_role"};
inline constexpr Query kAdminUpdateUser{
    "UPDATE auth.users SET is_active = coalesce($2, is_active), role = coalesce($3, role), "
    "updated_at = now() WHERE id = $1 AND role = $4::text",
    "auth.admin_update_user"};

// --- API keys ---
// Nothing when the user already has kMaxLiveApiKeys keys neither revoked nor expired.
inline constexpr Query kInsertApiKey{
    "INSERT INTO auth.api_keys (id, user_id, name, prefix, key_hash, scopes, expires_at) "
    "SELECT $1, $2, $3, $4, $5, string_to_array(nullif($6, ''), ' '), $7 WHERE (SELECT count(*) FROM "
    "auth.api_keys WHERE user_id = $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())) "
    "< $8",
    "auth.insert_api_key"};
inline constexpr Query kListApiKeys{
    "SELECT id, name, prefix, array_to_string(scopes, ' '), created_at, expires_at, last_used_at, revoked_at "
    "FROM auth.api_keys WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT 100",
    "auth.list_api_keys"};
inline constexpr Query kRevokeAllApiKeys{
    "UPDATE auth.api_keys SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
    "auth.revoke_all_api_keys"};
inline constexpr Query kRevokeApiKey{
    "UPDATE auth.api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
    "auth.revoke_api_key"};
inline constexpr Query kApiKeyByPrefix{
    "SELECT id, user_id, key_hash, array_to_string(scopes, ' '), expires_at, revoked_at, user_role, "
    "user_is_active "
    "FROM auth.api_key_by_prefix($1)",
    "auth.api_key_by_prefix"};
inline constexpr Query kTouchApiKey{
    "UPDATE auth.api_keys SET last_used_at = now(), last_used_ip = $2::inet WHERE id = $1",
    "auth.touch_api_key"};

// --- Advisor grants ---
inline constexpr Query kAdvisorByEmail{"SELECT auth.advisor_id_by_email($1)", "auth.advisor_by_email"};
inline constexpr Query kUpsertGrant{
    "INSERT INTO auth.advisor_clients (advisor_id, client_id, access) VALUES ($1, $2, $3) "
    "ON CONFLICT (advisor_id, client_id) DO UPDATE SET access = EXCLUDED.access, updated_at = now(), "
    // another access level is a new grant: the advisor accepts it again
    "accepted_at = CASE WHEN auth.advisor_clients.access = EXCLUDED.access "
    "THEN auth.advisor_clients.accepted_at END",
    "auth.upsert_grant"};
inline constexpr Query kAcceptGrant{"SELECT auth.accept_advisor_grant($1)", "auth.accept_grant"};
inline constexpr Query kDeleteGrant{
    "DELETE FROM auth.advisor_clients WHERE advisor_id = $1 AND client_id = $2", "auth.delete_grant"};
inline constexpr Query kListGrants{
    "SELECT advisor_id, client_id, email, access, granted_at, accepted_at FROM "
    "auth.grant_counterpart_emails()",
    "auth.list_grants"};
inline constexpr Query kUserStatus{
    "SELECT role, is_active, email_verified_at IS NOT NULL, email FROM auth.users WHERE id = $1",
    "auth.user_status"};
inline constexpr Query kLiveness{
    "SELECT u.role, u.is_active, u.email_verified_at IS NOT NULL, "
    "array_to_string(ARRAY(SELECT DISTINCT r.family_id::text FROM auth.refresh_tokens r "
    "WHERE r.user_id = u.id AND r.revoked_at IS NULL AND r.expires_at > now()), ',') "
    "FROM auth.users u WHERE u.id = $1",
    "auth.liveness"};
inline constexpr Query kGrantsOf{
    "SELECT ac.client_id, ac.access FROM auth.advisor_clients ac "
    "JOIN auth.users a ON a.id = ac.advisor_id AND a.role = 'ADVISOR' AND a.is_active "
    "JOIN auth.users c ON c.id = ac.client_id AND c.is_active "
    "WHERE ac.advisor_id = $1 AND ac.accepted_at IS NOT NULL ORDER BY ac.client_id",
    "auth.grants_of"};

// --- Cleanup (SYSTEM) ---
inline constexpr Query kDeleteExpiredRefresh{"DELETE FROM auth.refresh_tokens WHERE expires_at < now()",
                                             "auth.cleanup_refresh"};
inline constexpr Query kDeleteOldVerifications{
    "DELETE FROM auth.email_verification_tokens WHERE expires_at < now() OR used_at < now() - interval '1 "
    "day'",
    "auth.cleanup_verifications"};
inline constexpr Query kDeleteOldResets{
    "DELETE FROM auth.password_reset_tokens WHERE expires_at < now() OR used_at < now() - interval '1 day'",
    "auth.cleanup_resets"};
inline constexpr Query kDeleteOldAttempts{"DELETE FROM auth.login_attempts WHERE attempted_at < $1",
                                          "auth.cleanup_attempts"};

TransactionOptions As(const Actor& actor) {
    return TransactionOptions().ActingAs(actor);
}
TransactionOptions AsUser(UserId id) {
    return TransactionOptions().ActingAs(Actor(id, Role::kUser));
}
TransactionOptions AsSystem() {
    return TransactionOptions().ActingAs(Actor::System());
}

Role RoleOf(const std::string& text) {
    return ParseRole(text).value_or(Role::kUser);
}

std::optional<Bytea> ToBytea(const std::optional<std::string>& s) {
    if (!s) return std::nullopt;
    return Bytea(*s);
}

// One outbox row in the caller's transaction. `actor` must be the transaction's app.user_id.
asio::awaitable<void> Emit(Transaction& tx,
                           std::optional<UserId> actor,
                           std::optional<UserId> user,
                           std::string aggregate_type,
                           std::string aggregate_id,
                           std::string event_type,
                           boost::json::object payload,
                           const Audit& audit) {
    const std::string body = boost::json::serialize(payload);
    co_await tx.Execute(kInsertOutbox, actor, user, aggregate_type, aggregate_id, event_type, body,
                        audit.request_id, audit.ip);
}

std::vector<std::string> SplitScopes(const std::string& joined) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < joined.size()) {
        auto end = joined.find(' ', start);
        if (end == std::string::npos) end = joined.size();
        if (end > start) out.push_back(joined.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
    std::string out;
    for (const auto& s : scopes) {
        if (!out.empty()) out += ' ';
        out += s;
    }
    return out;
}

Account AccountFrom(const db::Row& r) {
    Account a;
    a.id = r.Get<UserId>(0);
    a.email = r.Get<std::string>(1);
    a.role = RoleOf(r.Get<std::string>(2));
    a.is_active = r.Get<bool>(3);
    a.email_verified_at = r.Get<std::optional<Timestamp>>(4);
    a.created_at = r.Get<Timestamp>(5);
    a.last_login_at = r.Get<std::optional<Timestamp>>(6);
    a.profile.first_name = r.Get<std::optional<std::string>>(7);
    a.profile.last_name = r.Get<std::optional<std::string>>(8);
    a.profile.display_name = r.Get<std::optional<std::string>>(9);
    a.profile.timezone = r.Get<std::string>(10);
    a.profile.locale = r.Get<std::string>(11);
    a.profile.base_currency = r.Get<std::string>(12);
    a.profile.preferences_json = r.Get<std::string>(13);
    a.profile.phone = r.Get<std::optional<std::string>>(14);
    a.profile.date_of_birth = r.Get<std::optional<std::string>>(15);
    a.profile.tax_id = r.Get<std::optional<std::string>>(16);
    a.profile.address = r.Get<std::optional<std::string>>(17);
    return a;
}

boost::json::object EmailPayload(const std::string& email) {
    boost::json::object o;
    o["email"] = email;
    return o;
}

}  // namespace

asio::awaitable<bool> PgRepository::CreateUser(UserId id,
                                               std::string email,
                                               std::string password_hash,
                                               std::optional<std::string> display_name,
                                               std::string verification_hash,
                                               Timestamp verification_expires,
                                               Audit audit) {
    try {
        co_await db::RunInTransaction(pool_, AsUser(id), [&](Transaction& tx) -> asio::awaitable<void> {
            co_await tx.Execute(kInsertUser, id, email, password_hash);
            co_await tx.Execute(kInsertProfile, id, display_name);
            co_await tx.Execute(kInsertVerification, id, Bytea(verification_hash), email,
                                verification_expires);
            co_await Emit(tx, id, id, "user", id.ToString(), "user.registered", EmailPayload(email), audit);
        });
    } catch (const db::UniqueViolation&) {
        co_return false;
    }
    co_return true;
}

asio::awaitable<std::optional<UserId>> PgRepository::ConsumeVerification(std::string token_hash,
                                                                         Audit audit) {
    auto found = (co_await pool_.Execute(kFindVerification, Bytea(token_hash))).AsOptionalRow<Uuid, UserId>();
    if (!found) co_return std::nullopt;
    const auto [token_id, user] = *found;
    const bool used =
        co_await db::RunInTransaction(pool_, AsUser(user), [&](Transaction& tx) -> asio::awaitable<bool> {
            auto res = co_await tx.Execute(kUseVerification, token_id);
            if (res.RowsAffected() != 1) co_return false;
            co_await tx.Execute(kMarkVerified, user);
            co_await Emit(tx, user, user, "user", user.ToString(), "user.email_verified",
                          boost::json::object(), audit);
            co_return true;
        });
    if (!used) co_return std::nullopt;
    co_return user;
}

asio::awaitable<std::optional<std::pair<UserId, std::string>>> PgRepository::CreateReset(
    std::string email, std::string token_hash, Timestamp expires_at, Audit audit) {
    auto account = co_await FindForLogin(email);
    if (!account || !account->is_active) co_return std::nullopt;
    const Actor actor{account->id, account->role};
    auto stored =
        co_await db::RunInTransaction(pool_, As(actor), [&](Transaction& tx) -> asio::awaitable<std::string> {
            co_await tx.Execute(kExpireResets, actor.user_id);
            co_await tx.Execute(kInsertReset, actor.user_id, Bytea(token_hash), audit.ip, expires_at);
            co_await Emit(tx, actor.user_id, actor.user_id, "user", actor.user_id.ToString(),
                          "user.password_reset_requested", boost::json::object(), audit);
            co_return (co_await tx.Execute(kSelectEmail, actor.user_id)).AsSingleRow<std::string>();
        });
    co_return std::make_pair(actor.user_id, stored);
}

asio::awaitable<std::optional<std::pair<UserId, std::string>>> PgRepository::PeekReset(
    std::string token_hash) {
    auto user = (co_await pool_.Execute(kFindReset, Bytea(token_hash))).AsOptionalRow<UserId>();
    if (!user) co_return std::nullopt;
    auto tx = co_await pool_.Begin(AsUser(*user).ReadOnly());
    auto email = (co_await tx.Execute(kSelectEmail, *user)).AsOptionalRow<std::string>();
    co_await tx.Commit();
    if (!email) co_return std::nullopt;
    co_return std::make_pair(*user, *email);
}

asio::awaitable<bool> PgRepository::ConsumeReset(std::string token_hash,
                                                 UserId user,
                                                 std::string password_hash,
                                                 Audit audit) {
    co_return co_await db::RunInTransaction(
        pool_, AsUser(user), [&](Transaction& tx) -> asio::awaitable<bool> {
            auto res = co_await tx.Execute(kUseReset, Bytea(token_hash), user);
            if (res.RowsAffected() != 1) co_return false;
            co_await tx.Execute(kExpireResets, user);
            co_await tx.Execute(kSetPassword, user, password_hash);
            const std::optional<std::string> none;
            co_await tx.Execute(kRevokeSessions, user, std::string("PASSWORD_RESET"), none, none);
            co_await tx.Execute(kRevokeAllApiKeys, user);
            co_await Emit(tx, user, user, "user", user.ToString(), "user.password_reset",
                          boost::json::object(), audit);
            co_return true;
        });
}

asio::awaitable<std::optional<LoginRecord>> PgRepository::FindForLogin(std::string email) {
    auto res = co_await pool_.Execute(kUserForLogin, email);
    if (res.Empty()) co_return std::nullopt;
    const auto r = res[0];
    LoginRecord rec;
    rec.id = r.Get<UserId>(0);
    rec.password_hash = r.Get<std::string>(1);
    rec.role = RoleOf(r.Get<std::string>(2));
    rec.is_active = r.Get<bool>(3);
    rec.email_verified = r.Get<bool>(4);
    rec.failed_login_count = r.Get<std::int32_t>(5);
    rec.lockout_count = r.Get<std::int32_t>(6);
    rec.locked_until = r.Get<std::optional<Timestamp>>(7);
    co_return rec;
}

asio::awaitable<void> PgRepository::RecordLoginFailure(std::optional<LoginRecord> account,
                                                       std::string email,
                                                       std::string reason,
                                                       std::optional<LockoutPolicy> lockout,
                                                       Audit audit) {
    auto options = account ? As(Actor(account->id, account->role)) : TransactionOptions();
    co_await db::RunInTransaction(pool_, options, [&](Transaction& tx) -> asio::awaitable<void> {
        std::optional<UserId> user;
        if (account) user = account->id;
        bool locked = false;  // this failure started a lockout
        if (account && lockout) {
            auto res = co_await tx.Execute(kCountFailure, account->id, lockout->threshold,
                                           static_cast<std::int64_t>(lockout->base.count()),
                                           static_cast<std::int64_t>(lockout->max.count()));
            locked = res.AsOptionalRow<bool>().value_or(false);
        }
        co_await tx.Execute(kInsertAttempt, user, email, audit.ip, audit.user_agent, false, reason);
        if (account) {
            boost::json::object payload;
            payload["reason"] = reason;
            if (locked) payload["locked"] = true;
            co_await Emit(tx, user, user, "user", account->id.ToString(), "user.login_failed", payload,
                          audit);
        }
    });
}

asio::awaitable<void> PgRepository::RecordLoginSuccess(LoginRecord account,
                                                       std::string email,
                                                       NewRefresh refresh,
                                                       std::optional<std::string> rehash,
                                                       Audit audit) {
    const Actor actor{account.id, account.role};
    co_await db::RunInTransaction(pool_, As(actor), [&](Transaction& tx) -> asio::awaitable<void> {
        // Before this attempt is recorded: a device is new when the user signed in before, never
        // from it (the first sign-in of an account is not news).
        std::set<std::string> known;
        for (auto row : co_await tx.Execute(kKnownDevices, actor.user_id))
            known.insert(DeviceKey(row.Get<std::string>(0), row.Get<std::string>(1)));
        const std::string network = (co_await tx.Execute(kNetworkOf, audit.ip)).AsSingleRow<std::string>();
        const std::string device = DeviceKey(audit.user_agent.value_or(""), network);
        boost::json::object session;
        session["device"] = UserAgentFamily(audit.user_agent.value_or(""));
        session["new_device"] = !known.empty() && !known.contains(device);
        const std::optional<Uuid> no_parent;
        co_await tx.Execute(kInsertRefresh, actor.user_id, Bytea(refresh.token_hash), refresh.family_id,
                            no_parent, refresh.expires_at, audit.user_agent, audit.ip);
        co_await tx.Execute(kLoginSucceeded, actor.user_id, rehash);
        const std::optional<std::string> no_reason;
        co_await tx.Execute(kInsertAttempt, std::optional<UserId>(actor.user_id), email, audit.ip,
                            audit.user_agent, true, no_reason);
        co_await Emit(tx, actor.user_id, actor.user_id, "session", refresh.family_id, "session.created",
                      session, audit);
    });
}

asio::awaitable<RecentFailures> PgRepository::RecentLoginFailures(std::optional<std::string> ip,
                                                                  std::string email,
                                                                  Timestamp since) {
    auto [by_ip, by_email, by_source] = (co_await pool_.Execute(kRecentFailures, ip, email, since))
                                            .AsSingleRow<std::int64_t, std::int64_t, std::int64_t>();
    co_return RecentFailures{by_ip, by_email, by_source};
}

asio::awaitable<RotateResult> PgRepository::Rotate(std::string token_hash, NewRefresh child, Audit audit) {
    RotateResult result;
    auto found = (co_await pool_.Execute(kRefreshByHash, Bytea(token_hash))).AsOptionalRow<Uuid, UserId>();
    if (!found) co_return result;
    const auto [token_id, user] = *found;
    result.user_id = user;
    co_return co_await db::RunInTransaction(
        pool_, AsUser(user), [&](Transaction& tx) -> asio::awaitable<RotateResult> {
            RotateResult r = result;
            auto row =
                (co_await tx.Execute(kLockRefresh, token_id))
                    .AsOptionalRow<bool, bool, bool, std::string, std::string, bool, bool, Timestamp>();
            if (!row) co_return r;
            const auto& [replaced, revoked, live, family, role, active, verified, started] = *row;
            r.family_id = family;
            r.role = RoleOf(role);
            r.email_verified = verified;
            if (replaced) {
                // Reuse of a rotated token: someone holds a stolen copy. Kill the family; the
                // transaction commits although the request fails (security.md §1.1).
                co_await tx.Execute(kRevokeFamily, family, std::string("ROTATED_REUSE"));
                co_await Emit(tx, user, user, "session", family, "session.reuse_detected",
                              boost::json::object(), audit);
                r.outcome = RotateOutcome::kReused;
                co_return r;
            }
            if (revoked || !live || !active) co_return r;
            // The session's absolute end: refreshing never carries it past sign-in + max lifetime.
            Timestamp expires = child.expires_at;
            if (child.family_max_lifetime.count() > 0) {
                const Timestamp end = started + std::chrono::duration_cast<std::chrono::microseconds>(
                                                    child.family_max_lifetime);
                if (end <= Now()) co_return r;
                expires = std::min(expires, end);
            }
            const auto child_id =
                (co_await tx.Execute(kInsertRefresh, user, Bytea(child.token_hash), family,
                                     std::optional<Uuid>(token_id), expires, audit.user_agent, audit.ip))
                    .AsSingleRow<Uuid>();
            co_await tx.Execute(kMarkReplaced, token_id, child_id);
            r.outcome = RotateOutcome::kRotated;
            co_return r;
        });
}

asio::awaitable<std::int64_t> PgRepository::RevokeSessions(Actor actor,
                                                           std::optional<std::string> family,
                                                           std::optional<std::string> keep,
                                                           std::string reason,
                                                           Audit audit) {
    co_return co_await db::RunInTransaction(
        pool_, As(actor), [&](Transaction& tx) -> asio::awaitable<std::int64_t> {
            auto n =
                (co_await tx.Execute(kRevokeSessions, actor.user_id, reason, family, keep)).RowsAffected();
            if (n > 0) {
                boost::json::object payload;
                payload["reason"] = reason;
                co_await Emit(tx, actor.user_id, actor.user_id, "session", family.value_or("*"),
                              "session.revoked", payload, audit);
            }
            co_return n;
        });
}

asio::awaitable<std::vector<SessionInfo>> PgRepository::ListSessions(Actor actor) {
    auto tx = co_await pool_.Begin(As(actor).ReadOnly());
    auto res = co_await tx.Execute(kListSessions, actor.user_id);
    co_await tx.Commit();
    std::vector<SessionInfo> out;
    for (const auto& r : res) {
        SessionInfo s;
        s.id = r.Get<std::string>(0);
        s.started_at = r.Get<Timestamp>(1);
        s.last_used_at = r.Get<Timestamp>(2);
        s.expires_at = r.Get<Timestamp>(3);
        s.user_agent = r.Get<std::optional<std::string>>(4);
        s.ip = r.Get<std::optional<std::string>>(5);
        out.push_back(std::move(s));
    }
    co_return out;
}

asio::awaitable<std::optional<Account>> PgRepository::GetAccount(Actor actor,
                                                                 UserId target,
                                                                 std::optional<std::string> session) {
    // One round trip (GET /api/v1/me is a hot read).
    auto res = co_await db::ReadOnce(pool_, As(actor), kSelectAccount, target, session);
    if (res.Empty()) co_return std::nullopt;
    co_return AccountFrom(res[0]);
}

asio::awaitable<Profile> PgRepository::UpdateProfile(Actor actor,
                                                     std::function<Profile(Profile)> change,
                                                     std::optional<std::string> key_id,
                                                     Audit audit) {
    co_return co_await db::RunInTransaction(
        pool_, As(actor), [&](Transaction& tx) -> asio::awaitable<Profile> {
            auto row = (co_await tx.Execute(kLockProfile, actor.user_id));
            if (row.Empty()) throw Error(ErrorKind::kNotFound, "auth.not_found", "no profile");
            const auto r = row[0];
            Profile p;
            p.first_name = r.Get<std::optional<std::string>>(0);
            p.last_name = r.Get<std::optional<std::string>>(1);
            p.display_name = r.Get<std::optional<std::string>>(2);
            p.timezone = r.Get<std::string>(3);
            p.locale = r.Get<std::string>(4);
            p.base_currency = r.Get<std::string>(5);
            p.preferences_json = r.Get<std::string>(6);
            p.phone = r.Get<std::optional<std::string>>(7);
            p.date_of_birth = r.Get<std::optional<std::string>>(8);
            p.tax_id = r.Get<std::optional<std::string>>(9);
            p.address = r.Get<std::optional<std::string>>(10);
            Profile next = change(p);
            const bool any_encrypted = next.phone || next.date_of_birth || next.tax_id || next.address;
            const std::optional<std::string> kid = any_encrypted ? key_id : std::nullopt;
            db::Params params;
            params.Add(actor.user_id)
                .Add(next.first_name)
                .Add(next.last_name)
                .Add(next.display_name)
                .Add(next.timezone)
                .Add(next.locale)
                .Add(next.base_currency)
                .Add(next.preferences_json)
                .Add(ToBytea(next.phone))
                .Add(ToBytea(next.date_of_birth))
                .Add(ToBytea(next.tax_id))
                .Add(ToBytea(next.address))
                .Add(kid);
            co_await tx.Run(kUpdateProfile, std::move(params), std::nullopt);
            co_await Emit(tx, actor.user_id, actor.user_id, "user", actor.user_id.ToString(),
                          "user.profile_updated", boost::json::object(), audit);
            co_return next;
        });
}

asio::awaitable<void> PgRepository::ChangePassword(Actor actor,
                                                   std::string password_hash,
                                                   std::optional<std::string> keep_session,
                                                   Audit audit) {
    co_await db::RunInTransaction(pool_, As(actor), [&](Transaction& tx) -> asio::awaitable<void> {
        co_await tx.Execute(kSetPassword, actor.user_id, password_hash);
        const std::optional<std::string> all;
        co_await tx.Execute(kRevokeSessions, actor.user_id, std::string("PASSWORD_CHANGED"), all,
                            keep_session);
        co_await tx.Execute(kRevokeAllApiKeys, actor.user_id);
        co_await Emit(tx, actor.user_id, actor.user_id, "user", actor.user_id.ToString(),
                      "user.password_changed", boost::json::object(), audit);
    });
}

asio::awaitable<void> PgRepository::CreateApiKey(Actor actor, NewApiKeyRecord key, Audit audit) {
    co_await db::RunInTransaction(pool_, As(actor), [&](Transaction& tx) -> asio::awaitable<void> {
        // One writer of a user's keys at a time: the count in the insert is then exact.
        co_await tx.LockUntilEnd("auth.api_keys", actor.user_id.ToString());
        const auto inserted =
            co_await tx.Execute(kInsertApiKey, key.id, actor.user_id, key.name, key.prefix,
                                Bytea(key.key_hash), JoinScopes(key.scopes), key.expires_at, kMaxLiveApiKeys);
        if (inserted.RowsAffected() != 1) {
            throw Error(ErrorKind::kConflict, "auth.api_key_limit",
                        "at most " + std::to_string(kMaxLiveApiKeys) + " live API keys: revoke one first");
        }
        boost::json::object payload;
        payload["name"] = key.name;
        payload["scopes"] = JoinScopes(key.scopes);
        co_await Emit(tx, actor.user_id, actor.user_id, "api_key", key.id.ToString(), "api_key.created",
                      payload, audit);
    });
}

asio::awaitable<std::vector<ApiKeyInfo>> PgRepository::ListApiKeys(Actor actor) {
    auto tx = co_await pool_.Begin(As(actor).ReadOnly());
    auto res = co_await tx.Execute(kListApiKeys, actor.user_id);
    co_await tx.Commit();
    std::vector<ApiKeyInfo> out;
    for (const auto& r : res) {
        ApiKeyInfo k;
        k.id = r.Get<ApiKeyId>(0);
        k.name = r.Get<std::string>(1);
        k.prefix = r.Get<std::string>(2);
        k.scopes = SplitScopes(r.Get<std::string>(3));
        k.created_at = r.Get<Timestamp>(4);
        k.expires_at = r.Get<std::optional<Timestamp>>(5);
        k.last_used_at = r.Get<std::optional<Timestamp>>(6);
        k.revoked_at = r.Get<std::optional<Timestamp>>(7);
        out.push_back(std::move(k));
    }
    co_return out;
}

asio::awaitable<bool> PgRepository::RevokeApiKey(Actor actor, ApiKeyId id, Audit audit) {
    co_return co_await db::RunInTransaction(pool_, As(actor), [&](Transaction& tx) -> asio::awaitable<bool> {
        if ((co_await tx.Execute(kRevokeApiKey, id, actor.user_id)).RowsAffected() != 1) co_return false;
        co_await Emit(tx, actor.user_id, actor.user_id, "api_key", id.ToString(), "api_key.revoked",
                      boost::json::object(), audit);
        co_return true;
    });
}

asio::awaitable<std::optional<ApiKeyRecord>> PgRepository::FindApiKey(std::string prefix) {
    auto res = co_await pool_.Execute(kApiKeyByPrefix, prefix);
    if (res.Empty()) co_return std::nullopt;
    const auto r = res[0];
    ApiKeyRecord k;
    k.id = r.Get<ApiKeyId>(0);
    k.user_id = r.Get<UserId>(1);
    k.key_hash = r.Get<std::string>(2);
    k.scopes = SplitScopes(r.Get<std::string>(3));
    k.expires_at = r.Get<std::optional<Timestamp>>(4);
    k.revoked_at = r.Get<std::optional<Timestamp>>(5);
    k.user_role = RoleOf(r.Get<std::string>(6));
    k.user_is_active = r.Get<bool>(7);
    co_return k;
}

asio::awaitable<void> PgRepository::TouchApiKey(Actor actor, ApiKeyId id, std::optional<std::string> ip) {
    co_await db::RunInTransaction(pool_, As(actor), [&](Transaction& tx) -> asio::awaitable<void> {
        co_await tx.Execute(kTouchApiKey, id, ip);
    });
}

asio::awaitable<std::vector<Account>> PgRepository::SearchUsers(Actor actor,
                                                                std::string query,
                                                                std::optional<UserId> after,
                                                                int limit) {
    auto tx = co_await pool_.Begin(As(actor).ReadOnly());
    auto res = co_await tx.Execute(kSearchUsers, query, after, static_cast<std::int64_t>(limit));
    co_await tx.Commit();
    std::vector<Account> out;
    for (const auto& r : res) out.push_back(AccountFrom(r));
    co_return out;
}

asio::awaitable<std::optional<Account>> PgRepository::UpdateUser(Actor actor,
                                                                 UserId target,
                                                                 std::optional<bool> is_active,
                                                                 std::optional<Role> role,
                                                                 std::function<void(Role)> check,
                                                                 Audit audit) {
    co_return co_await db::RunInTransaction(
        pool_, As(actor), [&](Transaction& tx) -> asio::awaitable<std::optional<Account>> {
            auto current = (co_await tx.Execute(kSelectRole, target)).AsOptionalRow<std::string>();
            if (!current) co_return std::nullopt;
            check(RoleOf(*current));
            std::optional<std::string> role_text;
            if (role) role_text = std::string(RoleName(*role));
            auto n = (co_await tx.Execute(kAdminUpdateUser, target, is_active, role_text, *current))
                         .RowsAffected();
            if (n != 1)
                throw Error(ErrorKind::kForbidden, "auth.forbidden", "not allowed to change this account");
            if (is_active && !*is_active) {
                const std::optional<std::string> all;
                co_await tx.Execute(kRevokeSessions, target, std::string("DEACTIVATED"), all, all);
            }
            boost::json::object payload;
            if (is_active) payload["is_active"] = *is_active;
            if (role_text) payload["role"] = *role_text;
            payload["previous_role"] = *current;
            co_await Emit(tx, actor.user_id, target, "user", target.ToString(), "user.admin_updated", payload,
                          audit);
            const std::optional<std::string> no_session;
            auto res = co_await tx.Execute(kSelectAccount, target, no_session);
            if (res.Empty()) co_return std::nullopt;
            co_return AccountFrom(res[0]);
        });
}

asio::awaitable<bool> PgRepository::GrantAdvisor(Actor client,
                                                 std::string advisor_email,
                                                 GrantAccess access,
                                                 Audit audit) {
    co_return co_await db::RunInTransaction(pool_, As(client), [&](Transaction& tx) -> asio::awaitable<bool> {
        auto advisor =
            (co_await tx.Execute(kAdvisorByEmail, advisor_email)).AsSingleRow<std::optional<UserId>>();
        if (!advisor || *advisor == client.user_id) co_return false;
        const std::string access_text = access == GrantAccess::kManage ? "MANAGE" : "READ";
        co_await tx.Execute(kUpsertGrant, *advisor, client.user_id, access_text);
        boost::json::object payload;
        payload["advisor_id"] = advisor->ToString();
        payload["access"] = access_text;
        co_await Emit(tx, client.user_id, client.user_id, "advisor_grant", advisor->ToString(),
                      "advisor.granted", payload, audit);
        co_return true;
    });
}

asio::awaitable<bool> PgRepository::RevokeAdvisor(Actor client, UserId advisor, Audit audit) {
    co_return co_await db::RunInTransaction(pool_, As(client), [&](Transaction& tx) -> asio::awaitable<bool> {
        if ((co_await tx.Execute(kDeleteGrant, advisor, client.user_id)).RowsAffected() != 1) co_return false;
        co_await Emit(tx, client.user_id, client.user_id, "advisor_grant", advisor.ToString(),
                      "advisor.revoked", boost::json::object(), audit);
        co_return true;
    });
}

asio::awaitable<bool> PgRepository::AcceptAdvisorGrant(Actor advisor, UserId client, Audit audit) {
    co_return co_await db::RunInTransaction(
        pool_, As(advisor), [&](Transaction& tx) -> asio::awaitable<bool> {
            if (!(co_await tx.Execute(kAcceptGrant, client)).AsSingleRow<bool>()) co_return false;
            boost::json::object payload;
            payload["client_id"] = client.ToString();
            co_await Emit(tx, advisor.user_id, advisor.user_id, "advisor_grant", client.ToString(),
                          "advisor.accepted", payload, audit);
            co_return true;
        });
}

asio::awaitable<std::vector<AdvisorGrantInfo>> PgRepository::ListGrants(Actor actor) {
    auto tx = co_await pool_.Begin(As(actor).ReadOnly());
    auto res = co_await tx.Execute(kListGrants);
    co_await tx.Commit();
    std::vector<AdvisorGrantInfo> out;
    for (const auto& r : res) {
        AdvisorGrantInfo g;
        g.advisor_id = r.Get<UserId>(0);
        g.client_id = r.Get<UserId>(1);
        g.email = r.Get<std::string>(2);
        g.access = r.Get<std::string>(3) == "MANAGE" ? GrantAccess::kManage : GrantAccess::kRead;
        g.granted_at = r.Get<Timestamp>(4);
        g.accepted_at = r.Get<std::optional<Timestamp>>(5);
        out.push_back(std::move(g));
    }
    co_return out;
}

asio::awaitable<std::optional<std::pair<UserId, std::string>>> PgRepository::SessionOfRefresh(
    std::string token_hash) {
    auto row = (co_await pool_.Execute(kRefreshSessionByHash, Bytea(token_hash)))
                   .AsOptionalRow<UserId, std::string>();
    if (!row) co_return std::nullopt;
    co_return std::make_pair(std::get<0>(*row), std::get<1>(*row));
}

asio::awaitable<bool> PgRepository::HasActiveAdmin() {
    auto tx = co_await pool_.Begin(AsSystem().ReadOnly());
    const bool exists = (co_await tx.Execute(kHasActiveAdmin)).AsSingleRow<bool>();
    co_await tx.Commit();
    co_return exists;
}

asio::awaitable<std::optional<UserStatus>> PgRepository::UserStatusOf(UserId id) {
    auto tx = co_await pool_.Begin(AsSystem().ReadOnly());
    auto row = (co_await tx.Execute(kUserStatus, id)).AsOptionalRow<std::string, bool, bool, std::string>();
    co_await tx.Commit();
    if (!row) co_return std::nullopt;
    co_return UserStatus{id, RoleOf(std::get<0>(*row)), std::get<1>(*row), std::get<2>(*row),
                         std::get<3>(*row)};
}

asio::awaitable<std::optional<Liveness>> PgRepository::LivenessOf(UserId id) {
    auto res = co_await db::ReadOnce(pool_, AsSystem(), kLiveness, id);
    auto row = res.AsOptionalRow<std::string, bool, bool, std::string>();
    if (!row) co_return std::nullopt;
    Liveness live;
    live.role = RoleOf(std::get<0>(*row));
    live.is_active = std::get<1>(*row);
    live.email_verified = std::get<2>(*row);
    const std::string& families = std::get<3>(*row);
    for (std::size_t start = 0; start < families.size();) {
        auto comma = families.find(',', start);
        if (comma == std::string::npos) comma = families.size();
        live.live_sessions.push_back(families.substr(start, comma - start));
        start = comma + 1;
    }
    co_return live;
}

asio::awaitable<AdvisorGrants> PgRepository::GrantsOf(UserId advisor) {
    auto tx = co_await pool_.Begin(AsSystem().ReadOnly());
    auto res = co_await tx.Execute(kGrantsOf, advisor);
    co_await tx.Commit();
    AdvisorGrants grants;
    for (const auto& r : res) {
        auto client = r.Get<UserId>(0);
        grants.read.push_back(client);
        if (r.Get<std::string>(1) == "MANAGE") grants.manage.push_back(client);
    }
    co_return grants;
}

asio::awaitable<CleanupCounts> PgRepository::Cleanup(Timestamp attempts_before) {
    co_return co_await db::RunInTransaction(
        pool_, AsSystem(), [&](Transaction& tx) -> asio::awaitable<CleanupCounts> {
            CleanupCounts c;
            c.refresh_tokens = (co_await tx.Execute(kDeleteExpiredRefresh)).RowsAffected();
            c.verifications = (co_await tx.Execute(kDeleteOldVerifications)).RowsAffected();
            c.resets = (co_await tx.Execute(kDeleteOldResets)).RowsAffected();
            c.login_attempts = (co_await tx.Execute(kDeleteOldAttempts, attempts_before)).RowsAffected();
            co_return c;
        });
}

}  // namespace nn::auth
