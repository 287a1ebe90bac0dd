#include <gtest/gtest.h>

#include <thread>

#include "auth/auth_fixture.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/hash.hpp"
#include "infra/crypto/jwt.hpp"

namespace nn::auth {
namespace {

using testing::Harness;
using testing::HarnessOptions;
using testing::Reply;
using testing::S;

using testing::Email;

// A 401 body without the per-request fields, so bodies of different requests compare.
std::string Canonical401(const Reply& r) {
    auto v = r.Json().as_object();
    v.erase("request_id");
    v.erase("instance");
    return boost::json::serialize(v);
}

HarnessOptions Fast() {
    HarnessOptions o;
    o.settings.lockout_threshold = 3;
    o.settings.lockout_base = std::chrono::seconds(1);
    o.settings.lockout_max = std::chrono::seconds(2);
    o.settings.login_attempts_per_ip = 100000;
    o.settings.requests_per_ip = 100000;
    return o;
}

class AuthHttp : public ::testing::Test {
protected:
    static void SetUpTestSuite() { h_ = new Harness(Fast()); }
    static void TearDownTestSuite() {
        delete h_;
        h_ = nullptr;
    }
    static Harness* h_;
};
Harness* AuthHttp::h_ = nullptr;

TEST_F(AuthHttp, RegisterVerifyLoginMeRefreshLogout) {
    auto& h = *h_;
    const auto email = Email("flow");
    const long outbox_before = h.Count("auth.outbox");
    auto r =
        h.Call("POST", "/api/v1/auth/register",
               R"({"email":")" + email + R"(","password":"correct horse battery","display_name":"Ann"})");
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(h.Scalar("SELECT count(*) FROM auth.users u JOIN auth.user_profiles p ON p.user_id = u.id "
                       "WHERE u.email = '" +
                       email + "' AND p.display_name = 'Ann'"),
              "1");
    EXPECT_TRUE(h.Scalar("SELECT password_hash FROM auth.users WHERE email = '" + email + "'")
                    .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));

    // Registering the same address again answers the same and writes nothing.
    auto again = h.Call("POST", "/api/v1/auth/register",
                        R"({"email":")" + email + R"(","password":"another long passphrase"})");
    EXPECT_EQ(again.status, 202);
    EXPECT_EQ(again.body, r.body);

    // Unverified: may log in and read, may not create API keys.
    auto tokens = h.Login(email);
    EXPECT_EQ(S(tokens, "token_type"), "Bearer");
    EXPECT_EQ(tokens.at("expires_in").as_int64(), 900);
    auto me = h.Bearer("GET", "/api/v1/me", S(tokens, "access_token"));
    ASSERT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(me.Json().at("email").as_string(), email);
    EXPECT_FALSE(me.Json().at("email_verified").as_bool());
    auto key = h.Bearer("POST", "/api/v1/api-keys", S(tokens, "access_token"),
                        R"({"name":"k","scopes":["portfolio:read"]})");
    EXPECT_EQ(key.status, 403);
    EXPECT_EQ(key.Field("code"), "auth.email_unverified");

    // Verify: single use.
    const auto token = h.mailer().LastToken(email, "verification");
    ASSERT_FALSE(token.empty());
    EXPECT_EQ(h.Scalar("SELECT count(*) FROM auth.email_verification_tokens WHERE token_hash = '\\x" +
                       crypto::HexEncode(token) + "'"),
              "0")
        << "the token is stored hashed, never as sent";
    EXPECT_EQ(h.Call("POST", "/api/v1/auth/verify-email", R"({"token":")" + token + R"("})").status, 200);
    EXPECT_EQ(h.Call("POST", "/api/v1/auth/verify-email", R"({"token":")" + token + R"("})").status, 401);

    // Refresh rotates: a new pair; the old refresh token is dead and its reuse kills the family.
    auto t2 = h.Login(email);
    auto rotated =
        h.Call("POST", "/api/v1/auth/refresh", R"({"refresh_token":")" + S(t2, "refresh_token") + R"("})");
    ASSERT_EQ(rotated.status, 200) << rotated.body;
    const auto r2 = rotated.Field("refresh_token");
    EXPECT_NE(r2, S(t2, "refresh_token"));
    EXPECT_TRUE(rotated.Json().at("access_token").as_string().size() > 20);
    auto me2 = h.Bearer("GET", "/api/v1/me", rotated.Field("access_token"));
    ASSERT_EQ(me2.status, 200);
    EXPECT_TRUE(me2.Json().at("email_verified").as_bool()) << "a refreshed token carries the verified state";

    auto reuse =
        h.Call("POST", "/api/v1/auth/refresh", R"({"refresh_token":")" + S(t2, "refresh_token") + R"("})");
    EXPECT_EQ(reuse.status, 401);
    EXPECT_EQ(reuse.Field("code"), "auth.invalid_token");
    auto child = h.Call("POST", "/api/v1/auth/refresh", R"({"refresh_token":")" + r2 + R"("})");
    EXPECT_EQ(child.status, 401) << "reuse detection revokes the descendants too";
    EXPECT_EQ(Canonical401(child), Canonical401(reuse));
    EXPECT_EQ(h.Bearer("GET", "/api/v1/me", rotated.Field("access_token")).status, 401)
        << "the session's access tokens die with it";

    // Sessions, logout.
    auto t3 = h.Login(email);
    auto sessions = h.Bearer("GET", "/api/v1/me/sessions", S(t3, "access_token"));
    ASSERT_EQ(sessions.status, 200);
    EXPECT_GE(sessions.Json().at("items").as_array().size(), 2u);
    EXPECT_EQ(h.Bearer("POST", "/api/v1/auth/logout", S(t3, "access_token")).status, 204);
    EXPECT_EQ(
        h.Call("POST", "/api/v1/auth/refresh", R"({"refresh_token":")" + S(t3, "refresh_token") + R"("})")
            .status,
        401);
    EXPECT_EQ(h.Bearer("GET", "/api/v1/me", S(t3, "access_token")).status, 401);
    EXPECT_EQ(h.Bearer("POST", "/api/v1/auth/logout-all", S(tokens, "access_token")).status, 204);
    EXPECT_EQ(
        h.Call("POST", "/api/v1/auth/refresh", R"({"refresh_token":")" + S(tokens, "refresh_token") + R"("})")
            .status,
        401);

    EXPECT_GE(h.Count("auth.outbox") - outbox_before, 8)
        << "registration, verification, sessions emit events";
    EXPECT_EQ(
        h.Scalar("SELECT count(*) FROM auth.outbox WHERE event_type = 'session.reuse_detected' AND user_id = "
                 "(SELECT id FROM auth.users WHERE email = '" +
                 email + "')"),
        "1");
    EXPECT_EQ(h.Scalar("SELECT count(*) FROM auth.login_attempts WHERE email = '" + email + "' AND success"),
              "3");
}

TEST_F(AuthHttp, ForgedAndInvalidJwtsAllAnswerTheSame401) {
    auto& h = *h_;
    auto tokens = h.SignUp(Email("jwt"));
    const auto good = S(tokens, "access_token");
    ASSERT_EQ(h.Bearer("GET", "/api/v1/me", good).status, 200);

    auto seg = [](const std::string& t, int i) {
        std::size_t a = 0;
        for (int k = 0; k < i; ++k) a = t.find('.', a) + 1;
        auto b = t.find('.', a);
        return t.substr(a, b == std::string::npos ? std::string::npos : b - a);
    };
    const auto header = seg(good, 0), payload = seg(good, 1), sig = seg(good, 2);
    auto b64 = [](const std::string& s) { return crypto::Base64UrlEncode(s); };
    auto claims = boost::json::parse(*crypto::Base64UrlDecode(payload)).as_object();
    auto with = [&](const char* k, boost::json::value v) {
        auto c = claims;
        c[k] = v;
        return b64(boost::json::serialize(c));
    };
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    std::string flipped = sig;
    flipped[3] = flipped[3] == 'A' ? 'B' : 'A';
    // A token signed with a key the server does not hold, with its own kid.
    crypto::KeyRing other = crypto::ParseJwtKeys(crypto::NewKeyEntry("k1", 32));
    crypto::AccessClaims ac;
    ac.issuer = "nexanest";
    ac.subject = std::string(claims.at("sub").as_string());
    ac.audience = {"nexanest-api"};
    ac.issued_at = std::chrono::sys_seconds(std::chrono::seconds(now));
    ac.not_before = ac.issued_at;
    ac.expires_at = ac.issued_at + std::chrono::minutes(5);
    ac.token_id = "x";
    ac.session_id = std::string(claims.at("sid").as_string());
    ac.role = "SUPERUSER";

    const std::vector<std::pair<std::string, std::string>> forged = {
        {"alg none", b64(R"({"alg":"none","typ":"at+jwt","kid":"k1"})") + "." + payload + "."},
        {"alg HS512", b64(R"({"alg":"HS512","typ":"at+jwt","kid":"k1"})") + "." + payload + "." + sig},
        {"alg RS256", b64(R"({"alg":"RS256","typ":"at+jwt","kid":"k1"})") + "." + payload + "." + sig},
        {"flipped signature", header + "." + payload + "." + flipped},
        {"empty signature", header + "." + payload + "."},
        {"expired", header + "." + with("exp", now - 120) + "." + sig},
        {"not yet valid", header + "." + with("nbf", now + 3600) + "." + sig},
        {"wrong issuer", header + "." + with("iss", "evil") + "." + sig},
        {"wrong audience", header + "." + with("aud", "other") + "." + sig},
        {"role escalation", header + "." + with("role", "SUPERUSER") + "." + sig},
        {"refresh typ", b64(R"({"alg":"HS256","typ":"refresh+jwt","kid":"k1"})") + "." + payload + "." + sig},
        {"unknown kid", b64(R"({"alg":"HS256","typ":"at+jwt","kid":"../k1"})") + "." + payload + "." + sig},
        {"sql kid", b64(R"({"alg":"HS256","typ":"at+jwt","kid":"' OR 1=1"})") + "." + payload + "." + sig},
        {"two segments", header + "." + payload},
        {"four segments", good + ".x"},
        {"padding", good + "="},
        {"foreign key", crypto::SignJwt(other, ac)},
        {"garbage", "not-a-token"},
    };
    Reply first;
    for (const auto& [name, token] : forged) {
        auto r = h.Bearer("GET", "/api/v1/me", token);
        EXPECT_EQ(r.status, 401) << name;
        EXPECT_EQ(r.Field("code"), "auth.invalid_token") << name;
        EXPECT_FALSE(r.headers["www-authenticate"].empty()) << name;
        if (first.status == 0) first = r;
        EXPECT_EQ(Canonical401(r), Canonical401(first)) << name;
    }
    // Malformed Authorization headers.
    EXPECT_EQ(h.Call("GET", "/api/v1/me", "", {{"Authorization", "Bearer"}}).status, 401);
    EXPECT_EQ(h.Call("GET", "/api/v1/me", "", {{"Authorization", "Basic dXNlcjpwYXNz"}}).status, 401);
    EXPECT_EQ(h.Call("GET", "/api/v1/me").status, 401);
}

TEST_F(AuthHttp, ConcurrentRefreshExactlyOneWins) {
    auto& h = *h_;
    auto tokens = h.SignUp(Email("race"));
    const std::string body = R"({"refresh_token":")" + S(tokens, "refresh_token") + R"("})";
    std::vector<int> statuses(4);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&, i] { statuses[i] = h.Call("POST", "/api/v1/auth/refresh", body).status; });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), 1);
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 401), 3);
    const auto family_children = h.Scalar(
        "SELECT count(*) FROM auth.refresh_tokens WHERE parent_id = (SELECT id FROM auth.refresh_tokens "
        "WHERE "
        "token_hash = '\\x" +
        crypto::HexEncode(crypto::Sha256(S(tokens, "refresh_token"))) + "')");
    EXPECT_EQ(family_children, "1") << "one child only";
}

TEST_F(AuthHttp, LockoutSameAnswerAndExpiry) {
    auto& h = *h_;
    const auto email = Email("lock");
    h.SignUp(email);
    const auto unknown =
        h.Call("POST", "/api/v1/auth/login",
               R"({"email":")" + Email("nobody") + R"(","password":"correct horse battery"})");
    ASSERT_EQ(unknown.status, 401);
    std::vector<Reply> wrong;
    for (int i = 0; i < 3; ++i) {
        wrong.push_back(h.Call("POST", "/api/v1/auth/login",
                               R"({"email":")" + email + R"(","password":"wrong password here"})"));
        EXPECT_EQ(wrong.back().status, 401);
        EXPECT_EQ(Canonical401(wrong.back()), Canonical401(unknown));
    }
    EXPECT_FALSE(
        h.Scalar("SELECT locked_until > now() FROM auth.users WHERE email = '" + email + "'").empty());
    EXPECT_EQ(h.Scalar("SELECT locked_until > now() FROM auth.users WHERE email = '" + email + "'"), "t");
    // Locked: even the right password gets the same answer.
    auto locked = h.Call("POST", "/api/v1/auth/login",
                         R"({"email":")" + email + R"(","password":"correct horse battery"})");
    EXPECT_EQ(locked.status, 401);
    EXPECT_EQ(Canonical401(locked), Canonical401(unknown));
    EXPECT_EQ(h.Scalar("SELECT failure_reason FROM auth.login_attempts WHERE email = '" + email +
                       "' ORDER BY id DESC LIMIT 1"),
              "LOCKED");
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    auto ok = h.Call("POST", "/api/v1/auth/login",
                     R"({"email":")" + email + R"(","password":"correct horse battery"})");
    EXPECT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(h.Scalar("SELECT failed_login_count || ',' || lockout_count FROM auth.users WHERE email = '" +
                       email + "'"),
              "0,0");
}

TEST_F(AuthHttp, PasswordResetSingleUseExpiryAndSessionRevocation) {
    auto& h = *h_;
    const auto email = Email("reset");
    auto tokens = h.SignUp(email);
    auto unknown = h.Call("POST", "/api/v1/auth/password/forgot", R"({"email":")" + Email("ghost") + R"("})");
    auto known = h.Call("POST", "/api/v1/auth/password/forgot", R"({"email":")" + email + R"("})");
    EXPECT_EQ(unknown.status, 202);
    EXPECT_EQ(known.status, 202);
    EXPECT_EQ(unknown.body, known.body);
    std::string token;
    for (int i = 0; i < 50 && token.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        token = h.mailer().LastToken(email, "password_reset");
    }
    ASSERT_FALSE(token.empty());
    // Policy applies.
    EXPECT_EQ(
        h.Call("POST", "/api/v1/auth/password/reset", R"({"token":")" + token + R"(","password":"short"})")
            .status,
        422);
    auto reset = h.Call("POST", "/api/v1/auth/password/reset",
                        R"({"token":")" + token + R"(","password":"a brand new passphrase"})");
    ASSERT_EQ(reset.status, 204) << reset.body;
    EXPECT_EQ(h.Call("POST", "/api/v1/auth/password/reset",
                     R"({"token":")" + token + R"(","password":"yet another passphrase"})")
                  .status,
              401);
    EXPECT_EQ(
        h.Call("POST", "/api/v1/auth/refresh", R"({"refresh_token":")" + S(tokens, "refresh_token") + R"("})")
            .status,
        401)
        << "a reset revokes every session";
    EXPECT_EQ(h.Call("POST", "/api/v1/auth/login",
                     R"({"email":")" + email + R"(","password":"correct horse battery"})")
                  .status,
              401);
    h.Login(email, "a brand new passphrase");

    // Expiry.
    h.Call("POST", "/api/v1/auth/password/forgot", R"({"email":")" + email + R"("})");
    std::string second;
    for (int i = 0; i < 50 && (second.empty() || second == token); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        second = h.mailer().LastToken(email, "password_reset");
    }
    ASSERT_NE(second, token);
    h.Scalar(
        "UPDATE auth.password_reset_tokens SET created_at = now() - interval '2 hours', expires_at = now() - "
        "interval '1 second' WHERE token_hash = '\\x" +
        crypto::HexEncode(crypto::Sha256(second)) + "'");
    EXPECT_EQ(h.Call("POST", "/api/v1/auth/password/reset",
                     R"({"token":")" + second + R"(","password":"expired token passphrase"})")
                  .status,
              401);
}

TEST_F(AuthHttp, VerificationExpiry) {
    auto& h = *h_;
    const auto email = Email("vexp");
    h.SignUp(email, "correct horse battery", false);
    const auto token = h.mailer().LastToken(email, "verification");
    h.Scalar(
        "UPDATE auth.email_verification_tokens SET created_at = now() - interval '2 days', expires_at = "
        "now() - "
        "interval '1 second' WHERE token_hash = '\\x" +
        crypto::HexEncode(crypto::Sha256(token)) + "'");
    EXPECT_EQ(h.Call("POST", "/api/v1/auth/verify-email", R"({"token":")" + token + R"("})").status, 401);
    EXPECT_EQ(h.Scalar("SELECT email_verified_at IS NULL FROM auth.users WHERE email = '" + email + "'"),
              "t");
}

TEST_F(AuthHttp, ApiKeysScopesRevocationLastUse) {
    auto& h = *h_;
    auto tokens = h.SignUp(Email("keys"));
    const auto access = S(tokens, "access_token");
    EXPECT_EQ(
        h.Bearer("POST", "/api/v1/api-keys", access, R"({"name":"ingest","scopes":["market:write"]})").status,
        422)
        << "a USER cannot give a key more than the role has";
    EXPECT_EQ(h.Bearer("POST", "/api/v1/api-keys", access, R"({"name":"x","scopes":["root:all"]})").status,
              422);
    // A leap second was kept as no expiry at all; an explicit null (no expiry) created the key
    // and answered 500 contract.violation, so the caller never saw it.
    EXPECT_EQ(h.Bearer("POST", "/api/v1/api-keys", access,
                       R"({"name":"leap","scopes":["portfolio:read"],"expires_at":"2030-06-30T23:59:60Z"})")
                  .status,
              422);
    auto no_expiry = h.Bearer("POST", "/api/v1/api-keys", access,
                              R"({"name":"forever","scopes":["portfolio:read"],"expires_at":null})");
    EXPECT_EQ(no_expiry.status, 201) << no_expiry.body;
    EXPECT_EQ(h.Scalar("SELECT count(*) FROM auth.api_keys WHERE name = 'leap'"), "0");
    auto created =
        h.Bearer("POST", "/api/v1/api-keys", access, R"({"name":"reader","scopes":["portfolio:read"]})");
    ASSERT_EQ(created.status, 201) << created.body;
    const auto key = created.Field("key");
    EXPECT_TRUE(key.starts_with("nnk_live_"));
    EXPECT_EQ(h.Scalar("SELECT count(*) FROM auth.api_keys WHERE key_hash::text LIKE '%" +
                       key.substr(22, 20) + "%'"),
              "0");
    auto key_me = h.Call("GET", "/api/v1/me", "", {{"Authorization", "ApiKey " + key}});
    EXPECT_EQ(key_me.status, 403) << "portfolio:read does not include profile:read";
    auto profile_key =
        h.Bearer("POST", "/api/v1/api-keys", access, R"({"name":"profile","scopes":["profile:read"]})");
    ASSERT_EQ(profile_key.status, 201);
    auto me = h.Call("GET", "/api/v1/me", "", {{"Authorization", "ApiKey " + profile_key.Field("key")}});
    EXPECT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(h.Scalar("SELECT last_used_at IS NOT NULL FROM auth.api_keys WHERE id = '" +
                       profile_key.Field("id") + "'"),
              "t");
    EXPECT_EQ(h.Call("POST", "/api/v1/api-keys", R"({"name":"m","scopes":["profile:read"]})",
                     {{"Authorization", "ApiKey " + profile_key.Field("key")},
                      {"Content-Type", "application/json"}})
                  .status,
              403)
        << "a key cannot mint keys";
    auto list = h.Bearer("GET", "/api/v1/api-keys", access);
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(list.Json().at("items").as_array().size(), 3u);  // forever, reader, profile
    // At most 25 live keys (unbounded, 60 creations in a row all answered 201).
    for (int i = 3; i < 25; ++i) {
        ASSERT_EQ(h.Bearer("POST", "/api/v1/api-keys", access,
                           R"({"name":"k)" + std::to_string(i) + R"(","scopes":["portfolio:read"]})")
                      .status,
                  201)
            << i;
    }
    auto over = h.Bearer("POST", "/api/v1/api-keys", access, R"({"name":"k25","scopes":["portfolio:read"]})");
    EXPECT_EQ(over.status, 409) << over.body;
    EXPECT_EQ(over.Field("code"), "auth.api_key_limit");
    const auto forever = no_expiry.Field("id");
    EXPECT_EQ(h.Bearer("DELETE", "/api/v1/api-keys/" + forever, access).status, 204);
    EXPECT_EQ(
        h.Bearer("POST", "/api/v1/api-keys", access, R"({"name":"k25","scopes":["portfolio:read"]})").status,
        201)
        << "a revoked key frees its place";
    EXPECT_EQ(list.body.find(key), std::string::npos) << "the secret is shown once";
    EXPECT_EQ(h.Bearer("DELETE", "/api/v1/api-keys/" + profile_key.Field("id"), access).status, 204);
    EXPECT_EQ(
        h.Call("GET", "/api/v1/me", "", {{"Authorization", "ApiKey " + profile_key.Field("key")}}).status,
        401);
    auto tampered = profile_key.Field("key");
    tampered[20] = tampered[20] == 'a' ? 'b' : 'a';
    EXPECT_EQ(h.Call("GET", "/api/v1/me", "", {{"Authorization", "ApiKey " + tampered}}).status, 401);
}

TEST_F(AuthHttp, AdvisorReadManageNone) {
    auto& h = *h_;
    const auto adv_email = Email("adv");
    auto adv = h.SignUp(adv_email);
    h.Scalar("UPDATE auth.users SET role = 'ADVISOR' WHERE email = '" + adv_email + "'");
    adv = h.Login(adv_email);
    auto c1 = h.SignUp(Email("c1"));
    auto c2 = h.SignUp(Email("c2"));
    auto c3 = h.SignUp(Email("c3"));
    EXPECT_EQ(h.Bearer("POST", "/api/v1/me/advisors", S(c1, "access_token"),
                       R"({"advisor_email":")" + adv_email + R"(","access":"READ"})")
                  .status,
              201);
    EXPECT_EQ(h.Bearer("POST", "/api/v1/me/advisors", S(c2, "access_token"),
                       R"({"advisor_email":")" + adv_email + R"(","access":"MANAGE"})")
                  .status,
              201);
    // Granting to an address no active advisor has answers the same (no probing which addresses
    // are advisors) and stores nothing.
    auto to_nobody = h.Bearer("POST", "/api/v1/me/advisors", S(c3, "access_token"),
                              R"({"advisor_email":")" + Email("x") + R"(","access":"READ"})");
    EXPECT_EQ(to_nobody.status, 201);
    EXPECT_EQ(to_nobody.Json().at("status").as_string(), "pending");
    EXPECT_TRUE(
        h.Bearer("GET", "/api/v1/me/advisors", S(c3, "access_token")).Json().at("items").as_array().empty());
    auto clients = h.Bearer("GET", "/api/v1/advisor/clients", S(adv, "access_token"));
    ASSERT_EQ(clients.status, 200) << clients.body;
    const auto clients_json = clients.Json();
    const auto& items = clients_json.at("items").as_array();
    ASSERT_EQ(items.size(), 2u);
    std::map<std::string, std::string> access;
    for (const auto& i : items)
        access[std::string(i.at("client_id").as_string())] = std::string(i.at("access").as_string());
    auto id_of = [&](const boost::json::object& t) {
        return std::string(h.Bearer("GET", "/api/v1/me", S(t, "access_token")).Json().at("id").as_string());
    };
    EXPECT_EQ(access[id_of(c1)], "READ");
    EXPECT_EQ(access[id_of(c2)], "MANAGE");
    EXPECT_EQ(access.count(id_of(c3)), 0u);
    EXPECT_EQ(h.Bearer("GET", "/api/v1/advisor/clients", S(c1, "access_token")).status, 403)
        << "USER is no advisor";

    // Grants are pending until the advisor accepts them: the directory other domains use gives
    // no access yet, and a client cannot accept for the advisor.
    auto adv_id = *UserId::Parse(id_of(adv));
    auto pending = h.Run(h.directory().GrantsOf(adv_id, 0));
    EXPECT_TRUE(pending.read.empty());
    EXPECT_EQ(items[0].at("status").as_string(), "pending");
    EXPECT_EQ(
        h.Bearer("POST", "/api/v1/advisor/clients/" + id_of(c1) + "/accept", S(c1, "access_token")).status,
        403);
    EXPECT_EQ(
        h.Bearer("POST", "/api/v1/advisor/clients/" + id_of(c3) + "/accept", S(adv, "access_token")).status,
        404)
        << "no grant of c3";
    for (const auto* c : {&c1, &c2}) {
        auto accept =
            h.Bearer("POST", "/api/v1/advisor/clients/" + id_of(*c) + "/accept", S(adv, "access_token"));
        EXPECT_EQ(accept.status, 200) << accept.body;
    }
    EXPECT_EQ(h.Bearer("GET", "/api/v1/me/advisors", S(c1, "access_token"))
                  .Json()
                  .at("items")
                  .as_array()[0]
                  .at("status")
                  .as_string(),
              "active");
    // A client's database context reads no more of the advisor's users row (password hash
    // included) than the grant list shows; the service role cannot mark a grant accepted.
    EXPECT_EQ(
        h.Scalar(
            "BEGIN; SET LOCAL ROLE nexanest_auth; SELECT set_config('app.user_id', '" + id_of(c1) +
            "', true), set_config('app.role', 'USER', true); SELECT count(*) FROM auth.users WHERE id = '" +
            adv_id.ToString() + "'"),
        "0");
    EXPECT_EQ(
        h.Scalar("BEGIN; SET LOCAL ROLE nexanest_auth; SELECT set_config('app.user_id', '" + id_of(c3) +
                 "', true), set_config('app.role', 'USER', true); SELECT count(*) FROM auth.advisor_clients"),
        "0");
    EXPECT_THROW(
        h.Scalar("BEGIN; SET LOCAL ROLE nexanest_auth; SELECT set_config('app.user_id', '" + id_of(c3) +
                 "', true), set_config('app.role', 'USER', true); INSERT INTO auth.advisor_clients "
                 "(advisor_id, client_id, access, accepted_at) VALUES ('" +
                 adv_id.ToString() + "', '" + id_of(c3) + "', 'READ', now()) RETURNING 1"),
        std::exception);

    auto grants = h.Run(h.directory().GrantsOf(adv_id, 0));
    EXPECT_EQ(grants.read.size(), 2u);
    ASSERT_EQ(grants.manage.size(), 1u);
    EXPECT_EQ(grants.manage[0].ToString(), id_of(c2));
    auto status = h.Run(h.directory().GetUser(adv_id, 0));
    ASSERT_TRUE(status);
    EXPECT_EQ(status->role, Role::kAdvisor);
    EXPECT_TRUE(status->is_active);
    auto none = h.Run(h.directory().GetUser(UserId::Generate(), 0));
    EXPECT_FALSE(none);

    // Revoke.
    EXPECT_EQ(h.Bearer("DELETE", "/api/v1/me/advisors/" + adv_id.ToString(), S(c1, "access_token")).status,
              204);
    EXPECT_EQ(h.Bearer("GET", "/api/v1/advisor/clients", S(adv, "access_token"))
                  .Json()
                  .at("items")
                  .as_array()
                  .size(),
              1u);
}

TEST_F(AuthHttp, AdminPermissions) {
    auto& h = *h_;
    const auto admin_email = Email("admin"), super_email = Email("super"), user_email = Email("plain"),
               other_admin = Email("admin2");
    h.SignUp(admin_email);
    h.SignUp(super_email);
    auto user = h.SignUp(user_email);
    h.SignUp(other_admin);
    h.Scalar("UPDATE auth.users SET role = 'ADMIN' WHERE email IN ('" + admin_email + "', '" + other_admin +
             "')");
    h.Scalar("UPDATE auth.users SET role = 'SUPERUSER' WHERE email = '" + super_email + "'");
    auto admin = h.Login(admin_email);
    auto super = h.Login(super_email);
    auto id = [&](const std::string& e) {
        return h.Scalar("SELECT id FROM auth.users WHERE email = '" + e + "'");
    };

    EXPECT_EQ(h.Bearer("GET", "/api/v1/admin/users?q=plain", S(user, "access_token")).status, 403);
    auto list =
        h.Bearer("GET", "/api/v1/admin/users?q=" + user_email.substr(0, 18), S(admin, "access_token"));
    ASSERT_EQ(list.status, 200) << list.body;
    EXPECT_EQ(list.Json().at("items").as_array().size(), 1u);
    auto long_q = h.Bearer("GET", "/api/v1/admin/users?q=" + std::string(321, 'a'), S(admin, "access_token"));
    ASSERT_EQ(long_q.status, 422) << long_q.body;
    EXPECT_EQ(long_q.Field("code"), "validation.failed");
    EXPECT_EQ(long_q.Json().at("errors").as_array().at(0).at("field").as_string(), "q") << long_q.body;
    auto bad_cursor = h.Bearer("GET", "/api/v1/admin/users?cursor=bm90LWEtdXVpZA", S(admin, "access_token"));
    EXPECT_EQ(bad_cursor.status, 400) << bad_cursor.body;
    EXPECT_EQ(bad_cursor.Field("code"), "pagination.bad_cursor");
    auto anonymous_logout = h.Call("POST", "/api/v1/auth/logout");
    EXPECT_EQ(anonymous_logout.status, 401) << anonymous_logout.body;
    EXPECT_EQ(anonymous_logout.Field("code"), "auth.required");
    EXPECT_EQ(anonymous_logout.headers["www-authenticate"], "Bearer");

    auto to_advisor = h.Bearer("PATCH", "/api/v1/admin/users/" + id(user_email), S(admin, "access_token"),
                               R"({"role":"ADVISOR"})");
    EXPECT_EQ(to_advisor.status, 200) << to_advisor.body;
    EXPECT_EQ(h.Bearer("PATCH", "/api/v1/admin/users/" + id(user_email), S(admin, "access_token"),
                       R"({"role":"ADMIN"})")
                  .status,
              403);
    EXPECT_EQ(h.Bearer("PATCH", "/api/v1/admin/users/" + id(other_admin), S(admin, "access_token"),
                       R"({"is_active":false})")
                  .status,
              403);
    EXPECT_EQ(h.Scalar("SELECT role FROM auth.users WHERE email = '" + user_email + "'"), "ADVISOR");
    // Codes the route answers and now declares (500 contract.violation before).
    auto self = h.Bearer("PATCH", "/api/v1/admin/users/" + id(admin_email), S(admin, "access_token"),
                         R"({"is_active":false})");
    EXPECT_EQ(self.status, 409) << self.body;
    EXPECT_EQ(self.Field("code"), "auth.self_change");
    auto nobody = h.Bearer("PATCH", "/api/v1/admin/users/00000000-0000-7000-8000-000000000000",
                           S(admin, "access_token"), R"({"is_active":false})");
    EXPECT_EQ(nobody.status, 404) << nobody.body;
    EXPECT_EQ(nobody.Field("code"), "auth.user_not_found");
    EXPECT_EQ(h.Bearer("PATCH", "/api/v1/admin/users/" + id(user_email), S(super, "access_token"),
                       R"({"role":"ADMIN"})")
                  .status,
              200);
    EXPECT_EQ(h.Scalar("SELECT role FROM auth.users WHERE email = '" + user_email + "'"), "ADMIN");
    EXPECT_EQ(h.Bearer("PATCH", "/api/v1/admin/users/" + id(user_email), S(super, "access_token"),
                       R"({"is_active":false})")
                  .status,
              200);
    EXPECT_EQ(
        h.Call("POST", "/api/v1/auth/refresh", R"({"refresh_token":")" + S(user, "refresh_token") + R"("})")
            .status,
        401)
        << "deactivation ends the sessions";
    EXPECT_EQ(h.Call("POST", "/api/v1/auth/login",
                     R"({"email":")" + user_email + R"(","password":"correct horse battery"})")
                  .status,
              401);
    EXPECT_EQ(h.Bearer("GET", "/api/v1/me", S(user, "access_token")).status, 401)
        << "a deactivated account's access tokens stop working";
}

TEST_F(AuthHttp, BadInputsAre4xxAndWriteNothing) {
    auto& h = *h_;
    auto counts = [&] {
        return std::to_string(h.Count("auth.users")) + "/" + std::to_string(h.Count("auth.login_attempts")) +
               "/" + std::to_string(h.Count("auth.outbox")) + "/" +
               std::to_string(h.Count("auth.refresh_tokens"));
    };
    const auto before = counts();
    const std::string big(10 * 1024, 'a');
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"/api/v1/auth/register", R"({"password":"correct horse battery"})"},
        {"/api/v1/auth/register", R"({"email":")" + big + R"(@x.io","password":"correct horse battery"})"},
        {"/api/v1/auth/register", "{\"email\":\"a\xff\xfe@x.io\",\"password\":\"correct horse battery\"}"},
        {"/api/v1/auth/register", R"({"email":"' OR '1'='1","password":"correct horse battery"})"},
        {"/api/v1/auth/register",
         R"({"email":"x@y.io; DROP TABLE auth.users--","password":"correct horse battery"})"},
        {"/api/v1/auth/register", R"({"email":123,"password":"correct horse battery"})"},
        {"/api/v1/auth/register", R"({"email":"a@b.io","password":["x"]})"},
        {"/api/v1/auth/register", R"({"email":"a@b.io","password":"correct horse battery","role":"ADMIN"})"},
        {"/api/v1/auth/register", R"({"email":"a@b.io","password":"short"})"},
        {"/api/v1/auth/register",
         R"({"email":"a@b.io","password":"correct horse battery","email":"b@b.io"})"},
        {"/api/v1/auth/register", R"({"email":"a\u0000@b.io","password":"correct horse battery"})"},
        {"/api/v1/auth/register", "[1,2]"},
        {"/api/v1/auth/login", R"({"email":")" + big + R"(@x.io","password":"p"})"},
        {"/api/v1/auth/login", R"({"email":"a@b.io"})"},
        {"/api/v1/auth/login", R"({"email":true,"password":"p"})"},
        {"/api/v1/auth/login", "{\"email\":\"\xc3\x28@b.io\",\"password\":\"p\"}"},
        {"/api/v1/auth/refresh", R"({"refresh_token":42})"},
        {"/api/v1/auth/refresh", R"({})"},
        {"/api/v1/auth/verify-email", R"({"token":null})"},
        {"/api/v1/auth/password/reset", R"({"token":"x"})"},
    };
    for (const auto& [path, body] : cases) {
        auto r = h.Call("POST", path, body);
        EXPECT_GE(r.status, 400) << path << " " << body.substr(0, 80);
        EXPECT_LT(r.status, 500) << path << " " << body.substr(0, 80) << " " << r.body;
    }
    EXPECT_EQ(h.Call("POST", "/api/v1/auth/login", R"({"email":"a@b.io","password":"p"})",
                     {{"Content-Type", "text/plain"}})
                  .status,
              415);
    EXPECT_EQ(counts(), before);
}

TEST_F(AuthHttp, ProfileEncryptedAtRest) {
    auto& h = *h_;
    const auto email = Email("prof");
    auto t = h.SignUp(email);
    auto r = h.Bearer(
        "PATCH", "/api/v1/me/profile", S(t, "access_token"),
        R"({"first_name":"Ann","tax_id":"DE123456789","phone":"+49 30 1234","base_currency":"EUR","preferences":{"theme":"dark"}})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json().at("profile").at("tax_id").as_string(), "DE123456789");
    EXPECT_EQ(r.Json().at("profile").at("base_currency").as_string(), "EUR");
    const auto stored = h.Scalar(
        "SELECT convert_from(tax_id_enc, 'UTF8') FROM auth.user_profiles p JOIN auth.users u ON u.id = "
        "p.user_id WHERE u.email = '" +
        email + "'");
    EXPECT_TRUE(stored.starts_with("v1.f1.")) << stored;
    EXPECT_EQ(stored.find("DE123456789"), std::string::npos);
    EXPECT_EQ(
        h.Bearer("PATCH", "/api/v1/me/profile", S(t, "access_token"), R"({"base_currency":"eur"})").status,
        422);
    EXPECT_EQ(h.Bearer("PATCH", "/api/v1/me/profile", S(t, "access_token"), R"({"tax_id":null})").status,
              200);
    for (const char* born : {"0000-01-01", "1899-12-31", "9999-12-31"}) {
        EXPECT_EQ(h.Bearer("PATCH", "/api/v1/me/profile", S(t, "access_token"),
                           std::string(R"({"date_of_birth":")") + born + R"("})")
                      .status,
                  422)
            << born;
    }
    EXPECT_EQ(
        h.Bearer("PATCH", "/api/v1/me/profile", S(t, "access_token"), R"({"date_of_birth":"1984-02-29"})")
            .status,
        200);
    // null is "not given" for the fields that cannot be cleared (docs/api.md): answered 500
    // contract.violation, after saving, while the request schema refused null.
    auto nulls = h.Bearer("PATCH", "/api/v1/me/profile", S(t, "access_token"),
                          R"({"timezone":null,"locale":null,"base_currency":null})");
    EXPECT_EQ(nulls.status, 200) << nulls.body;
    EXPECT_EQ(nulls.Json().at("profile").at("base_currency").as_string(), "EUR");
    EXPECT_EQ(h.Scalar("SELECT tax_id_enc IS NULL FROM auth.user_profiles p JOIN auth.users u ON u.id = "
                       "p.user_id WHERE u.email = '" +
                       email + "'"),
              "t");

    // Password change revokes the other sessions, keeps this one.
    auto other = h.Login(email);
    EXPECT_EQ(h.Bearer("POST", "/api/v1/me/password", S(t, "access_token"),
                       R"({"current_password":"wrong one","new_password":"another fine passphrase"})")
                  .status,
              422);
    EXPECT_EQ(
        h.Bearer("POST", "/api/v1/me/password", S(t, "access_token"),
                 R"({"current_password":"correct horse battery","new_password":"another fine passphrase"})")
            .status,
        204);
    EXPECT_EQ(
        h.Call("POST", "/api/v1/auth/refresh", R"({"refresh_token":")" + S(other, "refresh_token") + R"("})")
            .status,
        401);
    EXPECT_EQ(
        h.Call("POST", "/api/v1/auth/refresh", R"({"refresh_token":")" + S(t, "refresh_token") + R"("})")
            .status,
        200);
}

TEST_F(AuthHttp, CleanupJobRemovesExpiredRows) {
    auto& h = *h_;
    const auto email = Email("clean");
    h.SignUp(email, "correct horse battery", false);
    h.Login(email);
    const auto user = "(SELECT id FROM auth.users WHERE email = '" + email + "')";
    h.Scalar(
        "UPDATE auth.refresh_tokens SET issued_at = now() - interval '2 days', expires_at = now() - interval "
        "'1 day' WHERE user_id = " +
        user);
    h.Scalar(
        "UPDATE auth.email_verification_tokens SET created_at = now() - interval '3 days', expires_at = "
        "now() - interval '1 day' WHERE user_id = " +
        user);
    h.Scalar("UPDATE auth.login_attempts SET attempted_at = now() - interval '1000 days' WHERE user_id = " +
             user);
    auto ran = h.Run(h.app().Jobs().RunOnce("auth.cleanup"));
    EXPECT_TRUE(ran);
    EXPECT_EQ(h.Scalar("SELECT count(*) FROM auth.refresh_tokens WHERE user_id = " + user), "0");
    EXPECT_EQ(h.Scalar("SELECT count(*) FROM auth.email_verification_tokens WHERE user_id = " + user), "0");
    EXPECT_EQ(h.Scalar("SELECT count(*) FROM auth.login_attempts WHERE user_id = " + user), "0");
}

// Redis unreachable: logins still work and the per-IP limit holds through login_attempts.
TEST(AuthRedisDown, LoginRateLimitFallsBackToDatabase) {
    auto o = Fast();
    o.redis_down = true;
    o.settings.login_attempts_per_ip = 4;
    o.settings.lockout_threshold = 1000;
    Harness h(o);
    const auto email = Email("nored");
    h.SignUp(email);  // the first successful login
    int limited = 0;
    std::string retry_after;
    for (int i = 0; i < 6; ++i) {
        auto r = h.Call("POST", "/api/v1/auth/login",
                        R"({"email":")" + email + R"(","password":"wrong password here"})");
        if (r.status == 429) {
            ++limited;
            retry_after = r.headers["retry-after"];
            EXPECT_EQ(r.Field("code"), "auth.rate_limited");
        } else {
            EXPECT_EQ(r.status, 401);
        }
    }
    EXPECT_EQ(limited, 2) << "failures 1-4 are answered, then the limit holds";
    EXPECT_FALSE(retry_after.empty());
    EXPECT_EQ(h.Call("POST", "/api/v1/auth/login",
                     R"({"email":")" + email + R"(","password":"correct horse battery"})")
                  .status,
              429);
}

}  // namespace
}  // namespace nn::auth
