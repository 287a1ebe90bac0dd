#include "auth/web_session.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "infra/http/request.hpp"

namespace nn::auth {
namespace {

http::Request Post(http::HeaderList headers) {
    return http::Request(http::Method::kPost, "/api/v1/auth/refresh", std::move(headers));
}

bool Refused(const http::Request& r, std::string_view public_url = "https://app.example") {
    try {
        CheckWebRequest(r, public_url);
        return false;
    } catch (const Error& e) {
        EXPECT_EQ(e.Kind(), ErrorKind::kForbidden);
        EXPECT_EQ(e.Code(), "auth.csrf");
        return true;
    }
}

TEST(WebSession, CookieHeaders) {
    EXPECT_EQ(RefreshCookieHeader("tok_1-A", std::chrono::seconds(2592000)),
              "__Host-nn_refresh=tok_1-A; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=2592000");
    EXPECT_EQ(ClearRefreshCookieHeader(),
              "__Host-nn_refresh=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
}

TEST(WebSession, ReadsOneCookie) {
    EXPECT_EQ(CookieValue("a=1; __Host-nn_refresh=abc; b=2", "__Host-nn_refresh"), "abc");
    EXPECT_EQ(CookieValue("__Host-nn_refresh=\"q\"", "__Host-nn_refresh"), "q");
    EXPECT_EQ(CookieValue("x__Host-nn_refresh=abc", "__Host-nn_refresh"), std::nullopt);
    EXPECT_EQ(CookieValue("nn_refresh=abc", "__Host-nn_refresh"), std::nullopt);
    EXPECT_EQ(CookieValue("", "__Host-nn_refresh"), std::nullopt);
    EXPECT_EQ(CookieValue("__Host-nn_refresh=", "__Host-nn_refresh"), "");
}

TEST(WebSession, ClientHeader) {
    EXPECT_TRUE(IsWebClient(Post({{"X-NexaNest-Client", "web"}})));
    EXPECT_TRUE(IsWebClient(Post({{"x-nexanest-client", " Web "}})));
    EXPECT_FALSE(IsWebClient(Post({{"X-NexaNest-Client", "cli"}})));
    EXPECT_FALSE(IsWebClient(Post({})));
}

TEST(WebSession, Origins) {
    EXPECT_EQ(OriginOf("https://App.Example:443/x?y"), "https://app.example");
    EXPECT_EQ(OriginOf("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
    EXPECT_EQ(OriginOf("http://127.0.0.1:80"), "http://127.0.0.1");
    EXPECT_EQ(OriginOf("null"), "");
    EXPECT_EQ(OriginOf("ftp://x"), "");
    EXPECT_EQ(OriginOf("http://user@evil"), "");
}

TEST(WebSession, CsrfChecks) {
    // Sec-Fetch-Site decides when the browser sends it.
    EXPECT_FALSE(Refused(Post({{"Sec-Fetch-Site", "same-origin"}, {"Origin", "https://evil.example"}})));
    EXPECT_TRUE(Refused(Post({{"Sec-Fetch-Site", "cross-site"}})));
    EXPECT_TRUE(Refused(Post({{"Sec-Fetch-Site", "same-site"}, {"Origin", "https://app.example"}})));
    EXPECT_TRUE(Refused(Post({{"Sec-Fetch-Site", "none"}})));
    // Otherwise Origin, when present, is the public URL or the request's own host.
    EXPECT_FALSE(Refused(Post({{"Origin", "https://app.example"}})));
    EXPECT_FALSE(Refused(Post({{"Origin", "http://10.0.0.5:8080"}, {"Host", "10.0.0.5:8080"}})));
    EXPECT_FALSE(Refused(Post({{"Origin", "http://localhost"}, {"Host", "localhost:80"}})));
    EXPECT_TRUE(Refused(Post({{"Origin", "https://evil.example"}, {"Host", "app.example"}})));
    EXPECT_TRUE(Refused(Post({{"Origin", "http://app.example"}})));  // scheme differs
    EXPECT_TRUE(Refused(Post({{"Origin", "null"}, {"Host", "app.example"}})));
    // A client that is not a browser sends neither.
    EXPECT_FALSE(Refused(Post({})));
}

TEST(WebSession, CookieNeedsTheHeader) {
    EXPECT_THROW(RefuseCookieWithoutHeader(Post({{"Cookie", "__Host-nn_refresh=abc"}})), Error);
    EXPECT_NO_THROW(
        RefuseCookieWithoutHeader(Post({{"Cookie", "__Host-nn_refresh=abc"}, {"X-NexaNest-Client", "web"}})));
    EXPECT_NO_THROW(RefuseCookieWithoutHeader(Post({{"Cookie", "other=1"}})));
}

}  // namespace
}  // namespace nn::auth
