// The browser mode of login / refresh / logout (refresh token in a __Host- cookie, CSRF checks)
// and the first-run endpoint, against a real auth database and Redis (docs/auth.md).

#include <gtest/gtest.h>

#include <thread>

#include "auth/auth_fixture.hpp"
#include "auth/web_session.hpp"

namespace nn::auth {
namespace {

using testing::Harness;
using testing::HarnessOptions;
using testing::Reply;

using testing::Email;

HarnessOptions Open() {
    HarnessOptions o;
    o.settings.login_attempts_per_ip = 100000;
    o.settings.requests_per_ip = 100000;
    return o;
}

const std::string kPassword = "correct horse battery";

std::string WebLoginBody(const std::string& email) {
    return R"({"email":")" + email + R"(","password":")" + kPassword + R"("})";
}

// The headers the dashboard's fetch sends from its own page.
std::map<std::string, std::string> Browser(const std::string& cookie = "") {
    std::map<std::string, std::string> h{{"X-NexaNest-Client", "web"}, {"Sec-Fetch-Site", "same-origin"}};
    if (!cookie.empty()) h["Cookie"] = "theme=dark; __Host-nn_refresh=" + cookie;
    return h;
}

// The token a Set-Cookie value sets ("" when it clears it).
std::string CookieToken(const Reply& r) {
    const auto& v = r.headers.count("set-cookie") ? r.headers.at("set-cookie") : std::string();
    const std::string prefix = "__Host-nn_refresh=";
    if (!v.starts_with(prefix)) return {};
    return v.substr(prefix.size(), v.find(';') - prefix.size());
}

std::string ProblemCode(const Reply& r) {
    return r.Field("code");
}

class AuthWeb : public ::testing::Test {
protected:
    static void SetUpTestSuite() { h_ = new Harness(Open()); }
    static void TearDownTestSuite() {
        delete h_;
        h_ = nullptr;
    }
    // A verified account signed in by the browser mode: its cookie token.
    static std::string BrowserLogin(const std::string& email) {
        h_->SignUp(email, kPassword);
        auto r = h_->Call("POST", "/api/v1/auth/login", WebLoginBody(email), Browser());
        EXPECT_EQ(r.status, 200) << r.body;
        return CookieToken(r);
    }
    static Harness* h_;
};
Harness* AuthWeb::h_ = nullptr;

TEST_F(AuthWeb, LoginSetsTheCookieAndKeepsTheTokenOutOfTheBody) {
    auto& h = *h_;
    const auto email = Email("web_login");
    h.SignUp(email, kPassword);
    auto r = h.Call("POST", "/api/v1/auth/login", WebLoginBody(email), Browser());
    ASSERT_EQ(r.status, 200) << r.body;
    const auto token = CookieToken(r);
    ASSERT_GE(token.size(), 40u);
    EXPECT_EQ(r.headers.at("set-cookie"), "__Host-nn_refresh=" + token +
                                              "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=" +
                                              std::to_string(AuthSettings{}.refresh_ttl.count()));
    auto body = r.Json().as_object();
    EXPECT_FALSE(body.contains("refresh_token")) << r.body;
    EXPECT_EQ(body.at("token_type").as_string(), "Bearer");
    EXPECT_GT(body.at("expires_in").as_int64(), 0);
    ASSERT_TRUE(body.at("access_token").is_string());
    EXPECT_EQ(r.body.find(token), std::string::npos);
    EXPECT_EQ(r.headers.at("cache-control"), "no-store");
    // The access token works; the cookie is a real session.
    auto me = h.Bearer("GET", "/api/v1/me", std::string(body.at("access_token").as_string()));
    EXPECT_EQ(me.status, 200) << me.body;
}

TEST_F(AuthWeb, JsonModeIsUnchanged) {
    auto& h = *h_;
    const auto email = Email("web_json");
    auto pair = h.SignUp(email, kPassword);
    ASSERT_TRUE(pair.contains("refresh_token"));
    auto r = h.Call("POST", "/api/v1/auth/refresh",
                    R"({"refresh_token":")" + std::string(pair.at("refresh_token").as_string()) + R"("})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.Json().as_object().contains("refresh_token"));
    EXPECT_EQ(r.headers.count("set-cookie"), 0u);
}

TEST_F(AuthWeb, RefreshByCookieRotates) {
    auto& h = *h_;
    const auto first = BrowserLogin(Email("web_refresh"));
    ASSERT_FALSE(first.empty());

    auto r = h.Call("POST", "/api/v1/auth/refresh", "", Browser(first));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto second = CookieToken(r);
    ASSERT_FALSE(second.empty());
    EXPECT_NE(second, first);
    EXPECT_FALSE(r.Json().as_object().contains("refresh_token"));
    EXPECT_TRUE(r.Json().as_object().contains("access_token"));

    auto again = h.Call("POST", "/api/v1/auth/refresh", "{}", Browser(second));
    ASSERT_EQ(again.status, 200) << again.body;
    const auto third = CookieToken(again);
    EXPECT_NE(third, second);

    // A body naming a token is not the browser mode's shape.
    auto named = h.Call("POST", "/api/v1/auth/refresh", R"({"refresh_token":"x"})", Browser(third));
    EXPECT_EQ(named.status, 400) << named.body;

    // Replaying a rotated cookie is reuse: 401, the cookie is cleared and the family revoked.
    auto replay = h.Call("POST", "/api/v1/auth/refresh", "", Browser(first));
    EXPECT_EQ(replay.status, 401) << replay.body;
    EXPECT_EQ(ProblemCode(replay), "auth.invalid_token");
    EXPECT_NE(replay.headers["set-cookie"].find("Max-Age=0"), std::string::npos);
    EXPECT_EQ(h.Call("POST", "/api/v1/auth/refresh", "", Browser(third)).status, 401);

    // No cookie at all.
    auto none = h.Call("POST", "/api/v1/auth/refresh", "", Browser());
    EXPECT_EQ(none.status, 401) << none.body;
}

TEST_F(AuthWeb, LogoutRevokesTheCookieSessionAndClearsIt) {
    auto& h = *h_;
    const auto email = Email("web_logout");
    const auto cookie = BrowserLogin(email);  // after a JSON-mode login: two sessions
    ASSERT_FALSE(cookie.empty());
    const std::string live_sessions =
        "SELECT count(DISTINCT family_id) FROM auth.refresh_tokens t JOIN auth.users u "
        "ON u.id = t.user_id WHERE u.email = '" +
        email + "' AND t.revoked_at IS NULL";
    ASSERT_EQ(h.Scalar(live_sessions), "2");
    // The cookie alone signs out (no access token in memory after a reload).
    auto out = h.Call("POST", "/api/v1/auth/logout", "", Browser(cookie));
    ASSERT_EQ(out.status, 204) << out.body;
    EXPECT_EQ(out.headers.at("set-cookie"),
              "__Host-nn_refresh=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
    // Exactly the cookie's session ended; the other one lives on.
    EXPECT_EQ(h.Scalar(live_sessions), "1");
    auto refresh = h.Call("POST", "/api/v1/auth/refresh", "", Browser(cookie));
    EXPECT_EQ(refresh.status, 401) << refresh.body;

    // With the access token too; and a second sign-out is harmless.
    const auto email2 = Email("web_logout2");
    h.SignUp(email2, kPassword);
    auto login = h.Call("POST", "/api/v1/auth/login", WebLoginBody(email2), Browser());
    const auto cookie2 = CookieToken(login);
    auto headers = Browser(cookie2);
    headers["Authorization"] = "Bearer " + login.Field("access_token");
    EXPECT_EQ(h.Call("POST", "/api/v1/auth/logout", "", headers).status, 204);
    EXPECT_EQ(h.Call("POST", "/api/v1/auth/refresh", "", Browser(cookie2)).status, 401);
    EXPECT_EQ(h.Call("POST", "/api/v1/auth/logout", "", Browser(cookie2)).status, 204);

    // Without the browser header and without a bearer token logout still needs a credential.
    auto anonymous = h.Call("POST", "/api/v1/auth/logout", "");
    EXPECT_EQ(anonymous.status, 401) << anonymous.body;
    EXPECT_EQ(ProblemCode(anonymous), "auth.required");
}

TEST_F(AuthWeb, CrossSiteRequestsAreRefused) {
    auto& h = *h_;
    const auto email = Email("web_csrf");
    const auto cookie = BrowserLogin(email);
    ASSERT_FALSE(cookie.empty());
    const std::string live_before = h.Scalar(
        "SELECT count(*) FROM auth.refresh_tokens t JOIN auth.users u ON u.id = t.user_id "
        "WHERE u.email = '" +
        email + "' AND t.revoked_at IS NULL AND t.replaced_by IS NULL");

    for (const char* path : {"/api/v1/auth/refresh", "/api/v1/auth/logout"}) {
        auto cross = Browser(cookie);
        cross["Sec-Fetch-Site"] = "cross-site";
        auto r = h.Call("POST", path, "", cross);
        EXPECT_EQ(r.status, 403) << path << " " << r.body;
        EXPECT_EQ(ProblemCode(r), "auth.csrf") << path;
        EXPECT_EQ(r.headers["content-type"], "application/problem+json") << path;

        auto same_site = Browser(cookie);
        same_site["Sec-Fetch-Site"] = "same-site";
        EXPECT_EQ(h.Call("POST", path, "", same_site).status, 403) << path;

        // Without Sec-Fetch-Site (an older browser), a foreign Origin.
        std::map<std::string, std::string> foreign{{"X-NexaNest-Client", "web"},
                                                   {"Origin", "https://evil.example"},
                                                   {"Cookie", "__Host-nn_refresh=" + cookie}};
        EXPECT_EQ(h.Call("POST", path, "", foreign).status, 403) << path;

        // The cookie without the custom header: a form or an image would send exactly this.
        std::map<std::string, std::string> bare{{"Cookie", "__Host-nn_refresh=" + cookie},
                                                {"Content-Type", "text/plain"}};
        auto no_header = h.Call("POST", path, "", bare);
        EXPECT_EQ(no_header.status, 403) << path << " " << no_header.body;
        EXPECT_EQ(ProblemCode(no_header), "auth.csrf") << path;
    }
    // The login of the browser mode checks the same way.
    auto cross_login = Browser();
    cross_login["Sec-Fetch-Site"] = "cross-site";
    EXPECT_EQ(h.Call("POST", "/api/v1/auth/login", WebLoginBody(email), cross_login).status, 403);

    // Nothing was rotated or revoked by the refused requests; the session still refreshes, also
    // from an older browser whose Origin is the server's own host.
    EXPECT_EQ(h.Scalar("SELECT count(*) FROM auth.refresh_tokens t JOIN auth.users u ON u.id = t.user_id "
                       "WHERE u.email = '" +
                       email + "' AND t.revoked_at IS NULL AND t.replaced_by IS NULL"),
              live_before);
    std::map<std::string, std::string> own_origin{
        {"X-NexaNest-Client", "web"}, {"Origin", "http://test"}, {"Cookie", "__Host-nn_refresh=" + cookie}};
    auto ok = h.Call("POST", "/api/v1/auth/refresh", "", own_origin);
    EXPECT_EQ(ok.status, 200) << ok.body;
}

// Its own databases: it needs a platform without any admin.
TEST(AuthSetup, SaysWhetherTheFirstAdminIsMissing) {
    Harness h(Open());
    auto r = h.Call("GET", "/api/v1/setup");
    ASSERT_EQ(r.status, 200) << r.body;
    auto body = r.Json().as_object();
    EXPECT_EQ(body.size(), 2u) << r.body;
    EXPECT_TRUE(body.at("needs_admin").as_bool());
    EXPECT_NE(std::string(body.at("how").as_string()).find("nexanest user create"), std::string::npos);

    // A plain user changes nothing; an active ADMIN does (after the few seconds of caching).
    const auto email = Email("setup");
    h.SignUp(email, kPassword);
    h.Scalar("UPDATE auth.users SET role = 'ADMIN', is_active = false WHERE email = '" + email + "'");
    std::this_thread::sleep_for(std::chrono::milliseconds(5200));
    EXPECT_TRUE(h.Call("GET", "/api/v1/setup").Json().at("needs_admin").as_bool());
    h.Scalar("UPDATE auth.users SET is_active = true WHERE email = '" + email + "'");
    std::this_thread::sleep_for(std::chrono::milliseconds(5200));
    auto after = h.Call("GET", "/api/v1/setup");
    EXPECT_FALSE(after.Json().at("needs_admin").as_bool()) << after.body;
}

}  // namespace
}  // namespace nn::auth
