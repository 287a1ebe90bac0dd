#include "auth/service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <memory>

#include "auth/acting.hpp"
#include "auth/password_policy.hpp"
#include "core/text.hpp"
#include "infra/crypto/api_key.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/hash.hpp"
#include "infra/crypto/jwt.hpp"
#include "infra/crypto/key_ring.hpp"
#include "infra/crypto/password.hpp"
#include "infra/crypto/random.hpp"
#include "infra/crypto/secretbox.hpp"
#include "infra/mail/mailer.hpp"
#include "infra/mail/templates.hpp"
#include "infra/runtime/cpu_pool.hpp"

namespace nn::auth {

namespace asio = boost::asio;

namespace {

// Rate-limit keys never hold the address itself.
std::string KeyPart(std::string_view value) {
    return crypto::HexEncode(crypto::Sha256(value)).substr(0, 32);
}

void Require(const Principal& p, std::string_view permission) {
    if (!p.Has(permission)) throw Error(ErrorKind::kForbidden, "auth.forbidden", "not allowed");
}

void RequireVerified(const Principal& p) {
    if (!p.email_verified) {
        throw Error(ErrorKind::kForbidden, "auth.email_unverified", "verify your email address first");
    }
}

void RequireSession(const Principal& p) {
    if (p.is_api_key) throw Error(ErrorKind::kForbidden, "auth.forbidden", "not allowed with an API key");
}

[[noreturn]] void ThrowPasswordPolicy(const std::string& field, const std::string& reason) {
    static const std::map<std::string, std::string> kMessages = {
        {"too_short", "at least 12 characters"},
        {"too_long", "at most 128 characters"},
        {"common", "this password is too common; choose a passphrase"},
        {"contains_email", "must not contain your email address"},
        {"invalid_utf8", "must be valid UTF-8"},
        {"control_character", "must not contain control characters"},
    };
    auto it = kMessages.find(reason);
    throw Error(ErrorKind::kUnprocessable, "validation.failed", "the password does not meet the policy",
                {FieldError{field, "password_" + reason, it != kMessages.end() ? it->second : reason}});
}

Timestamp AddSeconds(Timestamp t, std::chrono::seconds s) {
    return t + std::chrono::duration_cast<std::chrono::microseconds>(s);
}

}  // namespace

void ThrowInvalidToken() {
    throw Error(ErrorKind::kUnauthorized, "auth.invalid_token", "the token is invalid or expired");
}

void ThrowInvalidCredentials() {
    throw Error(ErrorKind::kUnauthorized, "auth.invalid_credentials", "invalid email or password");
}

// ---------------------------------------------------------------------------------------------
// Rate limits

asio::awaitable<void> Service::CheckRate(std::string kind,
                                         std::string key,
                                         std::int64_t limit,
                                         std::chrono::seconds window) {
    auto hit = co_await limiter_.Hit(d_.settings->redis_prefix + "rl:" + kind + ":" + key, window);
    // Redis down: these limits fail open (security.md §0.9); login keeps its database fallback.
    if (hit && hit->first > limit) {
        throw Error(ErrorKind::kTooManyRequests, "auth.rate_limited", "too many requests; retry later")
            .WithRetryAfter(hit->second);
    }
}

std::string Service::SourceKey(const std::string& email, const Audit& audit) const {
    return d_.settings->redis_prefix + "login:fail:" + KeyPart(AsciiLower(email)) + ":" +
           KeyPart(audit.ip.value_or(""));
}

LockoutPolicy Service::Lockout() const {
    const auto& s = *d_.settings;
    return LockoutPolicy(s.lockout_threshold, s.lockout_base, s.lockout_max);
}

// Every password check (login, /me/password) counts before the password is checked, so
// parallel guesses cannot slip past a limit: per address, per account and address (the block one
// attacker meets), and per account from everywhere (far higher: it never locks a victim out
// because of one address).
asio::awaitable<void> Service::CheckLoginRate(const std::string& email, const Audit& audit) {
    const auto& s = *d_.settings;
    const auto ip = audit.ip.value_or("");
    auto by_ip = co_await limiter_.Hit(s.redis_prefix + "login:ip:" + KeyPart(ip), s.login_ip_window);
    auto by_source = co_await limiter_.Hit(SourceKey(email, audit), s.login_source_window);
    auto by_email = co_await limiter_.Hit(s.redis_prefix + "login:fail:" + KeyPart(AsciiLower(email)),
                                          s.login_email_window);
    std::optional<std::chrono::seconds> wait;
    auto over = [&wait](const auto& hit, std::int64_t limit) {
        if (hit && hit->first > limit) wait = std::max(wait.value_or(hit->second), hit->second);
    };
    over(by_ip, s.login_attempts_per_ip);
    over(by_source, s.login_failures_per_source);
    over(by_email, s.login_failures_per_email);
    if (!by_ip || !by_source || !by_email) {
        // Redis is down: count failures in login_attempts instead (the same limits, failures only).
        const auto window = std::max({s.login_ip_window, s.login_email_window, s.login_source_window});
        const auto since = AddSeconds(Now(), -window);
        auto recent = co_await repo_.RecentLoginFailures(audit.ip, email, since);
        if (!by_ip && recent.by_ip >= s.login_attempts_per_ip) wait = s.login_ip_window;
        if (!by_source && recent.by_source >= s.login_failures_per_source) wait = s.login_source_window;
        if (!by_email && recent.by_email >= s.login_failures_per_email) wait = s.login_email_window;
    }
    if (wait) {
        co_await repo_.RecordLoginFailure(std::nullopt, email, "RATE_LIMITED", std::nullopt, audit);
        throw Error(ErrorKind::kTooManyRequests, "auth.rate_limited", "too many login attempts; retry later")
            .WithRetryAfter(*wait);
    }
}

asio::awaitable<void> Service::ClearSourceFailures(const std::string& email, const Audit& audit) {
    co_await limiter_.Reset(SourceKey(email, audit));
}

// ---------------------------------------------------------------------------------------------
// Registration, verification, reset

asio::awaitable<void> Service::Register(std::string email,
                                        std::string password,
                                        std::optional<std::string> display_name,
                                        Audit audit) {
    co_await CheckRate("register", KeyPart(audit.ip.value_or("")), d_.settings->requests_per_ip,
                       d_.settings->requests_ip_window);
    if (auto bad = CheckPassword(password, email)) ThrowPasswordPolicy("password", *bad);
    // Lambdas given to co_await capture by reference only: GCC 12 destroys a closure's owned
    // captures twice when the closure is a temporary of the co_await expression.
    const Secret pw(password);
    auto hash = co_await d_.cpu->Run([&pw] { return crypto::HashPassword(pw); });
    const auto token = crypto::RandomToken();
    const auto id = UserId::Generate();
    const bool created =
        co_await repo_.CreateUser(id, email, std::move(hash), std::move(display_name), crypto::Sha256(token),
                                  AddSeconds(Now(), d_.settings->verification_ttl), audit);
    mail::Message m;
    if (created) {
        m = mail::VerificationEmail(d_.public_url, email, token, d_.settings->verification_ttl);
    } else {
        // The same answer as a new registration (no account enumeration); the owner learns of it.
        m.to = email;
        m.kind = "registration_existing";
        m.subject = "Someone tried to register with your NexaNest email address";
        m.text_body =
            "Somebody tried to create a NexaNest account with this email address, which already has "
            "one. If it was you, sign in, or reset your password if you forgot it.\n";
    }
    try {
        co_await d_.mailer->Send(std::move(m));
    } catch (const std::exception& e) {
        spdlog::warn("auth: registration email not sent (request {}): {}", audit.request_id, e.what());
    }
}

asio::awaitable<void> Service::VerifyEmail(std::string token, Audit audit) {
    co_await CheckRate("verify", KeyPart(audit.ip.value_or("")), d_.settings->requests_per_ip,
                       d_.settings->requests_ip_window);
    auto user = co_await repo_.ConsumeVerification(crypto::Sha256(token), audit);
    if (!user) ThrowInvalidToken();
    co_await Forget(*user);
}

asio::awaitable<void> Service::ForgotPassword(std::string email, Audit audit) {
    co_await CheckRate("forgot", KeyPart(audit.ip.value_or("")), d_.settings->requests_per_ip,
                       d_.settings->requests_ip_window);
    // The token, its row and the mail are made in the background, so that the answer takes as
    // long whether or not the account exists (no enumeration by timing).
    auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, SendReset(std::move(email), std::move(audit)), asio::detached);
}

asio::awaitable<void> Service::SendReset(std::string email, Audit audit) {
    try {
        const auto token = crypto::RandomToken();
        auto account = co_await repo_.CreateReset(email, crypto::Sha256(token),
                                                  AddSeconds(Now(), d_.settings->reset_ttl), audit);
        if (!account) co_return;
        auto m = mail::PasswordResetEmail(d_.public_url, account->second, token, d_.settings->reset_ttl);
        co_await d_.mailer->Send(std::move(m));
    } catch (const std::exception& e) {
        spdlog::warn("auth: password reset not sent (request {}): {}", audit.request_id, e.what());
    }
}

asio::awaitable<void> Service::ResetPassword(std::string token, std::string password, Audit audit) {
    co_await CheckRate("reset", KeyPart(audit.ip.value_or("")), d_.settings->requests_per_ip,
                       d_.settings->requests_ip_window);
    const auto hash = crypto::Sha256(token);
    auto account = co_await repo_.PeekReset(hash);
    if (!account) ThrowInvalidToken();
    if (auto bad = CheckPassword(password, account->second)) ThrowPasswordPolicy("password", *bad);
    const Secret pw(password);
    auto phc = co_await d_.cpu->Run([&pw] { return crypto::HashPassword(pw); });
    const bool consumed = co_await repo_.ConsumeReset(hash, account->first, std::move(phc), audit);
    if (!consumed) ThrowInvalidToken();
    co_await Forget(account->first);
}

// ---------------------------------------------------------------------------------------------
// Login and sessions

TokenPair Service::IssueTokens(UserId user,
                               Role role,
                               bool email_verified,
                               const std::string& session,
                               std::string refresh_token) const {
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    crypto::AccessClaims c;
    c.issuer = d_.settings->issuer;
    c.subject = user.ToString();
    c.audience = {d_.settings->audience};
    c.issued_at = now;
    c.not_before = now;
    c.expires_at = now + d_.settings->access_ttl;
    c.token_id = crypto::RandomToken(16);
    c.session_id = session;
    c.role = std::string(RoleName(role));
    c.extra_json = email_verified ? R"({"email_verified":true})" : R"({"email_verified":false})";
    TokenPair t;
    t.access_token = crypto::SignJwt(*d_.jwt_keys, c);
    t.refresh_token = std::move(refresh_token);
    t.expires_in = d_.settings->access_ttl.count();
    return t;
}

asio::awaitable<TokenPair> Service::Login(std::string email, std::string password, Audit audit) {
    co_await CheckLoginRate(email, audit);
    auto account = co_await repo_.FindForLogin(email);
    const auto now = Now();
    const Secret secret(std::move(password));
    if (!account || (account->locked_until && *account->locked_until > now)) {
        // Unknown or waiting: cost a real verification anyway, answer like a wrong password.
        co_await d_.cpu->Run([&secret] {
            crypto::DummyVerify(secret);
            return true;
        });
        co_await repo_.RecordLoginFailure(account, email, account ? "LOCKED" : "BAD_CREDENTIALS",
                                          std::nullopt, audit);
        ThrowInvalidCredentials();
    }
    const std::string& phc = account->password_hash;
    const bool ok = co_await d_.cpu->Run([&secret, &phc] { return crypto::VerifyPassword(phc, secret); });
    if (!ok) {
        co_await repo_.RecordLoginFailure(account, email, "BAD_CREDENTIALS", Lockout(), audit);
        ThrowInvalidCredentials();
    }
    if (!account->is_active) {
        co_await repo_.RecordLoginFailure(account, email, "INACTIVE", std::nullopt, audit);
        ThrowInvalidCredentials();
    }
    std::optional<std::string> rehash;
    if (crypto::NeedsRehash(account->password_hash)) {
        rehash = co_await d_.cpu->Run([&secret] { return crypto::HashPassword(secret); });
    }
    const auto refresh = crypto::RandomToken();
    const auto family = Uuid::GenerateV4().ToString();
    // Named rather than braced inside the co_await: GCC 12 destroys such aggregates twice.
    NewRefresh session{family, crypto::Sha256(refresh), AddSeconds(now, d_.settings->refresh_ttl)};
    co_await repo_.RecordLoginSuccess(*account, email, std::move(session), std::move(rehash), audit);
    AccountChanged(account->id);  // last_login_at
    co_await ClearSourceFailures(email, audit);
    co_return IssueTokens(account->id, account->role, account->email_verified, family, refresh);
}

asio::awaitable<TokenPair> Service::Refresh(std::string refresh_token, Audit audit) {
    co_await CheckRate("refresh", KeyPart(audit.ip.value_or("")), d_.settings->requests_per_ip,
                       d_.settings->requests_ip_window);
    const auto child = crypto::RandomToken();
    NewRefresh next{"", crypto::Sha256(child), AddSeconds(Now(), d_.settings->refresh_ttl)};
    next.family_max_lifetime = d_.settings->session_max_lifetime;
    auto r = co_await repo_.Rotate(crypto::Sha256(refresh_token), std::move(next), audit);
    if (r.outcome == RotateOutcome::kReused) co_await Forget(r.user_id);  // the family was revoked
    if (r.outcome != RotateOutcome::kRotated) ThrowInvalidToken();
    co_return IssueTokens(r.user_id, r.role, r.email_verified, r.family_id, child);
}

asio::awaitable<void> Service::Logout(const Principal& p, bool all_sessions, Audit audit) {
    RequireSession(p);
    std::optional<std::string> family;
    if (!all_sessions) family = p.session_id;
    co_await repo_.RevokeSessions(ActorOf(p), family, std::nullopt, all_sessions ? "LOGOUT_ALL" : "LOGOUT",
                                  audit);
    co_await Forget(p.user_id);
}

asio::awaitable<void> Service::LogoutRefreshToken(std::string refresh_token, Audit audit) {
    auto session = co_await repo_.SessionOfRefresh(crypto::Sha256(refresh_token));
    if (!session) co_return;
    const UserId user = session->first;
    // The user's own rows: refresh_tokens_own holds for any role.
    const Actor actor(user, Role::kUser);
    co_await repo_.RevokeSessions(actor, session->second, std::nullopt, "LOGOUT", audit);
    co_await Forget(user);
}

asio::awaitable<bool> Service::NeedsAdmin() {
    const bool has_admin = co_await repo_.HasActiveAdmin();
    co_return !has_admin;
}

asio::awaitable<std::vector<SessionInfo>> Service::Sessions(const Principal& p) {
    RequireSession(p);
    auto sessions = co_await repo_.ListSessions(ActorOf(p));
    for (auto& s : sessions) s.current = s.id == p.session_id;
    co_return sessions;
}

asio::awaitable<bool> Service::DeleteSessions(const Principal& p,
                                              std::optional<std::string> session,
                                              Audit audit) {
    RequireSession(p);
    if (session && !Uuid::Parse(*session)) co_return false;
    auto n = co_await repo_.RevokeSessions(ActorOf(p), session, std::nullopt,
                                           session ? "SESSION_DELETED" : "LOGOUT_ALL", audit);
    co_await Forget(p.user_id);
    co_return n > 0 || !session;
}

// ---------------------------------------------------------------------------------------------
// Account

std::optional<std::string> Service::Decrypt(const std::optional<std::string>& blob) const {
    if (!blob) return std::nullopt;
    auto plain = crypto::Decrypt(*d_.field_keys, *blob);
    if (!plain) spdlog::error("auth: a profile field does not decrypt with the configured field keys");
    return plain;
}

Account Service::Decrypted(Account a) const {
    a.profile.phone = Decrypt(a.profile.phone);
    a.profile.date_of_birth = Decrypt(a.profile.date_of_birth);
    a.profile.tax_id = Decrypt(a.profile.tax_id);
    a.profile.address = Decrypt(a.profile.address);
    return a;
}

asio::awaitable<Account> Service::Me(const Principal& p) {
    Require(p, perm::kProfileRead);
    std::optional<std::string> session;
    if (!p.is_api_key) session = p.session_id;
    auto account = co_await repo_.GetAccount(ActorOf(p), p.user_id, session);
    // A revoked session or a deactivated account: the access token is dead too.
    if (!account) ThrowInvalidToken();
    co_return Decrypted(std::move(*account));
}

asio::awaitable<Account> Service::UpdateProfile(const Principal& p, ProfilePatch patch, Audit audit) {
    Require(p, perm::kProfileWrite);
    const bool sensitive = (patch.phone && *patch.phone) || (patch.date_of_birth && *patch.date_of_birth) ||
                           (patch.tax_id && *patch.tax_id) || (patch.address && *patch.address);
    if (sensitive && d_.field_keys->Empty()) {
        throw Error(ErrorKind::kUnavailable, "auth.encryption_unconfigured",
                    "sensitive profile fields cannot be stored: no field keys are configured");
    }
    const auto* keys = d_.field_keys;
    auto seal = [keys](const std::optional<std::string>& v) -> std::optional<std::string> {
        if (!v) return std::nullopt;
        return crypto::Encrypt(*keys, *v);
    };
    auto change = [&patch, &seal](Profile cur) {
        if (patch.first_name) cur.first_name = *patch.first_name;
        if (patch.last_name) cur.last_name = *patch.last_name;
        if (patch.display_name) cur.display_name = *patch.display_name;
        if (patch.timezone) cur.timezone = *patch.timezone;
        if (patch.locale) cur.locale = *patch.locale;
        if (patch.base_currency) cur.base_currency = *patch.base_currency;
        if (patch.preferences_json) cur.preferences_json = *patch.preferences_json;
        if (patch.phone) cur.phone = seal(*patch.phone);
        if (patch.date_of_birth) cur.date_of_birth = seal(*patch.date_of_birth);
        if (patch.tax_id) cur.tax_id = seal(*patch.tax_id);
        if (patch.address) cur.address = seal(*patch.address);
        return cur;
    };
    std::optional<std::string> kid;
    if (!keys->Empty()) kid = keys->ActiveKid();
    co_await repo_.UpdateProfile(ActorOf(p), change, kid, audit);
    AccountChanged(p.user_id);
    co_return co_await Me(p);
}

asio::awaitable<void> Service::ChangePassword(const Principal& p,
                                              std::string current,
                                              std::string next,
                                              Audit audit) {
    RequireSession(p);
    auto account = co_await repo_.GetAccount(ActorOf(p), p.user_id, std::nullopt);
    if (!account) ThrowInvalidToken();
    // The same limits and lockout as login: a stolen access token cannot guess the password.
    co_await CheckLoginRate(account->email, audit);
    auto login = co_await repo_.FindForLogin(account->email);
    if (!login) ThrowInvalidToken();
    const auto now = Now();
    if (login->locked_until && *login->locked_until > now) {
        throw Error(ErrorKind::kTooManyRequests, "auth.rate_limited", "too many wrong passwords; retry later")
            .WithRetryAfter(std::chrono::ceil<std::chrono::seconds>(*login->locked_until - now));
    }
    const Secret cur(std::move(current));
    const std::string& stored = login->password_hash;
    if (!co_await d_.cpu->Run([&cur, &stored] { return crypto::VerifyPassword(stored, cur); })) {
        co_await repo_.RecordLoginFailure(login, account->email, "BAD_CREDENTIALS", Lockout(), audit);
        throw Error(ErrorKind::kUnprocessable, "validation.failed", "the current password is wrong",
                    {FieldError{"current_password", "wrong_password", "the current password is wrong"}});
    }
    co_await ClearSourceFailures(account->email, audit);
    if (auto bad = CheckPassword(next, account->email)) ThrowPasswordPolicy("new_password", *bad);
    const Secret pw(std::move(next));
    auto phc = co_await d_.cpu->Run([&pw] { return crypto::HashPassword(pw); });
    co_await repo_.ChangePassword(ActorOf(p), std::move(phc), p.session_id, audit);
    co_await Forget(p.user_id);
}

// ---------------------------------------------------------------------------------------------
// API keys

asio::awaitable<NewApiKey> Service::CreateApiKey(const Principal& p,
                                                 std::string name,
                                                 std::vector<std::string> scopes,
                                                 std::optional<Timestamp> expires_at,
                                                 Audit audit) {
    RequireSession(p);  // a key cannot mint keys
    Require(p, perm::kApiKeysManage);
    RequireVerified(p);
    std::sort(scopes.begin(), scopes.end());
    scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
    std::vector<FieldError> errors;
    for (const auto& s : scopes) {
        if (!IsKnownPermission(s)) {
            errors.push_back({"scopes", "unknown_scope", "unknown scope '" + s.substr(0, 64) + "'"});
        } else if (!RoleHas(p.role, s)) {
            errors.push_back({"scopes", "scope_not_allowed", "your role does not have '" + s + "'"});
        }
    }
    if (expires_at && *expires_at <= Now())
        errors.push_back({"expires_at", "in_past", "must be in the future"});
    if (!errors.empty())
        throw Error(ErrorKind::kUnprocessable, "validation.failed", "invalid API key request",
                    std::move(errors));

    auto generated = crypto::GenerateApiKey(*d_.api_key_pepper, d_.settings->api_key_env);
    NewApiKeyRecord rec;
    rec.id = ApiKeyId::Generate();
    rec.name = std::move(name);
    rec.prefix = generated.key_id;
    rec.key_hash = crypto::HexDecode(generated.secret_hash).value_or("");
    rec.scopes = scopes;
    rec.expires_at = expires_at;
    co_await repo_.CreateApiKey(ActorOf(p), rec, audit);
    NewApiKey out;
    out.info.id = rec.id;
    out.info.name = rec.name;
    out.info.prefix = generated.display_prefix;
    out.info.scopes = rec.scopes;
    out.info.created_at = Now();
    out.info.expires_at = rec.expires_at;
    out.key = generated.full_key.Reveal();
    co_return out;
}

asio::awaitable<std::vector<ApiKeyInfo>> Service::ListApiKeys(const Principal& p) {
    Require(p, perm::kApiKeysManage);
    auto keys = co_await repo_.ListApiKeys(ActorOf(p));
    for (auto& k : keys)
        k.prefix = std::string(crypto::kApiKeyPrefix) + "_" + d_.settings->api_key_env + "_" + k.prefix;
    co_return keys;
}

asio::awaitable<bool> Service::RevokeApiKey(const Principal& p, ApiKeyId id, Audit audit) {
    Require(p, perm::kApiKeysManage);
    co_return co_await repo_.RevokeApiKey(ActorOf(p), id, audit);
}

std::string EncodeLiveness(const Liveness& live) {
    std::string out(RoleName(live.role));
    out += live.is_active ? "|1" : "|0";
    out += live.email_verified ? "|1|" : "|0|";
    for (std::size_t i = 0; i < live.live_sessions.size(); ++i) {
        if (i) out += ',';
        out += live.live_sessions[i];
    }
    return out;
}

std::optional<Liveness> DecodeLiveness(std::string_view text) {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        auto bar = text.find('|', start);
        parts.push_back(
            text.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start));
        if (bar == std::string_view::npos) break;
        start = bar + 1;
    }
    if (parts.size() != 4) return std::nullopt;
    auto role = ParseRole(parts[0]);
    if (!role || (parts[1] != "0" && parts[1] != "1") || (parts[2] != "0" && parts[2] != "1"))
        return std::nullopt;
    Liveness live;
    live.role = *role;
    live.is_active = parts[1] == "1";
    live.email_verified = parts[2] == "1";
    for (std::size_t start = 0; start < parts[3].size();) {
        auto comma = parts[3].find(',', start);
        if (comma == std::string_view::npos) comma = parts[3].size();
        live.live_sessions.emplace_back(parts[3].substr(start, comma - start));
        start = comma + 1;
    }
    return live;
}

std::string Service::LivenessKey(UserId user) const {
    // The braces are a Redis Cluster hash tag: every key of one user lives on one slot.
    return d_.settings->redis_prefix + "live:{" + user.ToString() + "}";
}

std::string Service::LivenessVersionKey(UserId user) const {
    return d_.settings->redis_prefix + "livever:{" + user.ToString() + "}";
}

namespace {

// "<version>#<EncodeLiveness>" as stored; nullopt unless it was read under `version`.
std::optional<Liveness> DecodeShared(std::string_view text, std::string_view version) {
    const auto hash = text.find('#');
    if (hash == std::string_view::npos || text.substr(0, hash) != version) return std::nullopt;
    return DecodeLiveness(text.substr(hash + 1));
}

bool HoldsSession(const Liveness& live, const std::string& session) {
    return std::find(live.live_sessions.begin(), live.live_sessions.end(), session) !=
           live.live_sessions.end();
}

}  // namespace

asio::awaitable<std::shared_ptr<const Liveness>> Service::LoadLiveness(UserId user,
                                                                       const std::string& session) {
    const std::uint64_t generation = d_.local_liveness ? d_.local_liveness->Generation(user) : 0;
    std::optional<Liveness> live;
    std::optional<std::string> version;  // the shared version, when the shared cache answered
    if (cache_) {
        auto shared = co_await cache_->Get(LivenessKey(user), LivenessVersionKey(user));
        if (shared) {
            version = shared->version;
            if (shared->entry) live = DecodeShared(*shared->entry, shared->version);
        }
    }
    // A session the cache does not know may be newer than the entry: ask the database.
    if (!live || !HoldsSession(*live, session)) {
        live = co_await repo_.LivenessOf(user);
        if (live && cache_ && version) {
            co_await cache_->Put(LivenessKey(user), *version + "#" + EncodeLiveness(*live),
                                 kLivenessCacheTtl);
        }
    }
    if (!live) co_return nullptr;
    auto out = std::make_shared<const Liveness>(std::move(*live));
    if (d_.local_liveness) d_.local_liveness->Store(user, out, generation);
    co_return out;
}

asio::awaitable<void> Service::CheckLive(Principal& p) {
    if (p.is_api_key) co_return;  // keys are looked up in the database on every request
    std::shared_ptr<const Liveness> live;
    if (d_.local_liveness) live = d_.local_liveness->Find(p.user_id);
    if (!live || !HoldsSession(*live, p.session_id)) live = co_await LoadLiveness(p.user_id, p.session_id);
    if (!live || !live->is_active || !HoldsSession(*live, p.session_id)) ThrowInvalidToken();
    if (p.role != live->role) {
        p.role = live->role;
        p.scopes = PermissionStrings(live->role);
    }
    p.email_verified = live->email_verified;
    p.live = std::move(live);
}

void Service::AccountChanged(UserId user) {
    // The cached /me answers of this process hang on its liveness copy (LiveAnswers): dropping
    // the copy drops them. Other instances replace their copies within kLocalLivenessTtl.
    if (d_.local_liveness) d_.local_liveness->Drop(user);
}

asio::awaitable<void> Service::Forget(UserId user) {
    if (cache_) co_await cache_->Drop(LivenessKey(user), LivenessVersionKey(user));
    // After the shared drop: a read that began before it is not stored (the generation moved),
    // and one that begins after it sees the new version.
    if (d_.local_liveness) d_.local_liveness->Drop(user);
}

Principal Service::AuthenticateBearer(std::string_view token) const {
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    crypto::JwtExpectations expect;
    if (d_.verified_tokens) {
        std::optional<Principal> known = d_.verified_tokens->Find(token, now, expect.leeway);
        if (known) return std::move(*known);
    }
    expect.issuer = d_.settings->issuer;
    expect.audience = d_.settings->audience;
    auto v = crypto::VerifyJwt(*d_.jwt_keys, token, now, expect);
    if (!v) ThrowInvalidToken();
    const auto& c = *v.claims;
    auto user = UserId::Parse(c.subject);
    auto role = ParseRole(c.role);
    if (!user || !role || c.session_id.empty()) ThrowInvalidToken();
    Principal p;
    p.user_id = *user;
    p.role = *role;
    p.scopes = PermissionStrings(*role);
    p.session_id = c.session_id;
    p.expires_at = c.expires_at;
    if (!c.extra_json.empty()) {
        boost::system::error_code ec;
        auto extra = boost::json::parse(c.extra_json, ec);
        if (!ec && extra.is_object()) {
            if (const auto* ev = extra.as_object().if_contains("email_verified"); ev && ev->is_bool()) {
                p.email_verified = ev->as_bool();
            }
        }
    }
    if (d_.verified_tokens) d_.verified_tokens->Store(token, p);
    return p;
}

asio::awaitable<Principal> Service::AuthenticateApiKey(std::string_view key, std::optional<std::string> ip) {
    auto parsed = crypto::ParseApiKey(key);
    if (!parsed) ThrowInvalidToken();
    auto rec = co_await repo_.FindApiKey(parsed->key_id);
    if (!rec || !crypto::VerifyApiKey(*d_.api_key_pepper, *parsed, crypto::HexEncode(rec->key_hash))) {
        ThrowInvalidToken();
    }
    if (rec->revoked_at || (rec->expires_at && *rec->expires_at <= Now()) || !rec->user_is_active)
        ThrowInvalidToken();
    Principal p;
    p.user_id = rec->user_id;
    p.role = rec->user_role;
    // Exactly the key's scopes, but never more than its owner's role allows today.
    for (const auto& s : rec->scopes) {
        if (RoleHas(rec->user_role, s)) p.scopes.push_back(s);
    }
    p.api_key_id = rec->id.ToString();
    p.is_api_key = true;
    p.email_verified = true;  // only verified accounts create keys
    const Actor owner{rec->user_id, rec->user_role};
    co_await repo_.TouchApiKey(owner, rec->id, std::move(ip));
    co_return p;
}

// ---------------------------------------------------------------------------------------------
// Admin and advisors

asio::awaitable<std::vector<Account>> Service::SearchUsers(const Principal& p,
                                                           std::string query,
                                                           std::optional<UserId> after,
                                                           int limit) {
    Require(p, perm::kAdminUsersRead);
    auto users = co_await repo_.SearchUsers(ActorOf(p), std::move(query), after, limit);
    // Lists never carry the sensitive fields.
    for (auto& u : users)
        u.profile.phone = u.profile.date_of_birth = u.profile.tax_id = u.profile.address = std::nullopt;
    co_return users;
}

asio::awaitable<Account> Service::UpdateUser(
    const Principal& p, UserId target, std::optional<bool> is_active, std::optional<Role> role, Audit audit) {
    Require(p, perm::kAdminUsersWrite);
    RequireVerified(p);
    if (target == p.user_id) {
        throw Error(ErrorKind::kConflict, "auth.self_change",
                    "administrators cannot change their own account here");
    }
    const Role actor = p.role;
    auto check = [actor, role](Role current) {
        if (!CanChangeRole(actor, current, role.value_or(current))) {
            throw Error(ErrorKind::kForbidden, "auth.forbidden",
                        "only a SUPERUSER manages ADMIN and SUPERUSER accounts");
        }
    };
    auto updated = co_await repo_.UpdateUser(ActorOf(p), target, is_active, role, check, audit);
    if (!updated) throw Error(ErrorKind::kNotFound, "auth.user_not_found", "no such user");
    co_await Forget(target);
    updated->profile.phone = updated->profile.date_of_birth = updated->profile.tax_id =
        updated->profile.address = std::nullopt;
    co_return *updated;
}

asio::awaitable<void> Service::GrantAdvisor(const Principal& p,
                                            std::string advisor_email,
                                            GrantAccess access,
                                            Audit audit) {
    RequireSession(p);
    RequireVerified(p);
    // The same answer whether or not an active advisor has that address: the grant waits for
    // the advisor's acceptance either way, so no one can probe which addresses are advisors.
    co_await repo_.GrantAdvisor(ActorOf(p), std::move(advisor_email), access, audit);
}

asio::awaitable<bool> Service::RevokeAdvisor(const Principal& p, UserId advisor, Audit audit) {
    RequireSession(p);
    co_return co_await repo_.RevokeAdvisor(ActorOf(p), advisor, audit);
}

asio::awaitable<bool> Service::AcceptClient(const Principal& p, UserId client, Audit audit) {
    RequireSession(p);
    Require(p, perm::kAdvisorClients);
    co_return co_await repo_.AcceptAdvisorGrant(ActorOf(p), client, audit);
}

asio::awaitable<std::vector<AdvisorGrantInfo>> Service::Grants(const Principal& p, bool as_advisor) {
    if (as_advisor)
        Require(p, perm::kAdvisorClients);
    else
        Require(p, perm::kProfileRead);
    auto all = co_await repo_.ListGrants(ActorOf(p));
    std::vector<AdvisorGrantInfo> out;
    for (auto& g : all) {
        if ((as_advisor ? g.advisor_id : g.client_id) == p.user_id) out.push_back(std::move(g));
    }
    co_return out;
}

asio::awaitable<CleanupCounts> Service::Cleanup() {
    co_return co_await repo_.Cleanup(
        Now() - std::chrono::duration_cast<std::chrono::microseconds>(d_.settings->login_attempt_retention));
}

}  // namespace nn::auth
