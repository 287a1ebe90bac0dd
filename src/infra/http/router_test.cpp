#include <gtest/gtest.h>

#include "infra/http/query.hpp"
#include "infra/http/router.hpp"
#include "infra/http/sse.hpp"

namespace nn::http {
namespace {

boost::asio::awaitable<Response> RouterNothing(Request&) {
    co_return Response();
}

int StatusOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const HttpError& e) {
        return e.Status();
    }
    return 0;
}

TEST(Router, MatchesLiteralsBeforeParametersAndBacktracks) {
    Router router;
    router.Get("/p/{id}", RouterNothing, {.name = "p.get"});
    router.Get("/p/summary", RouterNothing, {.name = "p.summary"});
    router.Get("/p/{id}/tx/{tx}", RouterNothing, {.name = "p.tx"});
    router.Post("/p/{id}/tx", RouterNothing);

    auto m = router.Match(Method::kGet, "/p/summary");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->name, "p.summary");
    EXPECT_TRUE(m.params.empty());

    m = router.Match(Method::kGet, "/p/summary/tx/7");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->name, "p.tx");
    ASSERT_EQ(m.params.size(), 2u);
    EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"id", "summary"}));
    EXPECT_EQ(m.params[1], (std::pair<std::string, std::string>{"tx", "7"}));

    m = router.Match(Method::kGet, "/p/a%2Fb");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params[0].second, "a/b");
    EXPECT_EQ(router.Match(Method::kGet, "/p/x").route->pattern, "/p/{id}");
    EXPECT_EQ(router.Match(Method::kPost, "/p/x/tx").route->method, Method::kPost);
}

TEST(Router, ReportsAllowForWrongMethodAndNothingForUnknownPaths) {
    Router router;
    router.Get("/a", RouterNothing);
    router.Delete("/a", RouterNothing);
    auto m = router.Match(Method::kPut, "/a");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_EQ(m.allow, "GET, HEAD, DELETE, OPTIONS");
    m = router.Match(Method::kHead, "/a");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->method, Method::kGet);
    for (const char* path : {"/b", "/a/", "//a", "/a/b", "", "a"}) {
        m = router.Match(Method::kGet, path);
        EXPECT_EQ(m.route, nullptr) << path;
        EXPECT_TRUE(m.allow.empty()) << path;
    }
}

TEST(Router, RefusesBadPathsWith400) {
    Router router;
    router.Get("/p/{id}", RouterNothing);
    EXPECT_EQ(StatusOf([&] { router.Match(Method::kGet, "/p/%zz"); }), 400);
    EXPECT_EQ(StatusOf([&] { router.Match(Method::kGet, "/p/%4"); }), 400);
    EXPECT_EQ(StatusOf([&] { router.Match(Method::kGet, "/p/a%00b"); }), 400);
    EXPECT_EQ(StatusOf([&] { router.Match(Method::kGet, "/p/.."); }), 400);
    EXPECT_EQ(StatusOf([&] { router.Match(Method::kGet, "/p/%2e%2e"); }), 400);
}

TEST(Router, RejectsConflictingRegistrations) {
    Router router;
    router.Get("/p/{id}", RouterNothing);
    EXPECT_THROW(router.Get("/p/{id}", RouterNothing), std::invalid_argument);
    EXPECT_THROW(router.Get("/p/{pid}/x", RouterNothing), std::invalid_argument);
    EXPECT_THROW(router.Get("no-slash", RouterNothing), std::invalid_argument);
    EXPECT_THROW(router.Get("/a/{x", RouterNothing), std::invalid_argument);
    EXPECT_THROW(router.Get("/a/b{x}", RouterNothing), std::invalid_argument);
    EXPECT_THROW(router.Get("/a//b", RouterNothing), std::invalid_argument);
    EXPECT_NO_THROW(router.Post("/p/{id}", RouterNothing));
}

TEST(Query, DecodesFormStyleParameters) {
    const auto q = QueryParams::Parse("a=1&b=x+y%21&a=2&flag&empty=");
    EXPECT_EQ(q.Get("a"), "1");
    EXPECT_EQ(q.GetAll("a").size(), 2u);
    EXPECT_EQ(q.Get("b"), "x y!");
    EXPECT_EQ(q.Get("flag"), "");
    EXPECT_EQ(q.Get("empty"), "");
    EXPECT_FALSE(q.Get("missing").has_value());
    EXPECT_EQ(StatusOf([] { QueryParams::Parse("a=%g1"); }), 400);
    EXPECT_EQ(StatusOf([] { QueryParams::Parse("a=%00"); }), 400);
}

TEST(Base64Url, RoundTripsAndRefusesNonCanonicalText) {
    // RFC 4648 §10 vectors, url alphabet, no padding.
    const std::pair<std::string, std::string> vectors[] = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(Base64UrlEncode(plain), encoded);
        EXPECT_EQ(Base64UrlDecode(encoded), plain);
    }
    for (const char* bad : {"Zh", "Zm9", "Zg==", "Z", "Zm+v", "Zm/v", "Zm 9"}) {
        EXPECT_FALSE(Base64UrlDecode(bad).has_value()) << bad;
    }
}

TEST(Idempotency, AcceptsVisibleAsciiOnce) {
    EXPECT_FALSE(IdempotencyKey(Request(Method::kPost, "/x")).has_value());
    EXPECT_EQ(IdempotencyKey(Request(Method::kPost, "/x", {{"Idempotency-Key", "abc-123"}})), "abc-123");
    EXPECT_EQ(StatusOf([] {
                  IdempotencyKey(Request(Method::kPost, "/x", {{"Idempotency-Key", "a b"}}));
              }),
              400);
    EXPECT_EQ(StatusOf([] {
                  IdempotencyKey(Request(Method::kPost, "/x", {{"Idempotency-Key", std::string(256, 'k')}}));
              }),
              400);
    EXPECT_EQ(StatusOf([] {
                  IdempotencyKey(
                      Request(Method::kPost, "/x", {{"Idempotency-Key", "a"}, {"Idempotency-Key", "b"}}));
              }),
              400);
}

TEST(Sse, FormatsEventsLineByLine) {
    EXPECT_EQ(FormatSseEvent({.data = "x"}), "data: x\n\n");
    EXPECT_EQ(
        FormatSseEvent(
            {.data = "a\nb\r\nc", .event = "price", .id = "7", .retry = std::chrono::milliseconds(3000)}),
        "id: 7\nevent: price\nretry: 3000\ndata: a\ndata: b\ndata: c\n\n");
    EXPECT_EQ(FormatSseEvent({.data = "", .event = "e\nvil", .id = "1\r2"}),
              "id: 12\nevent: evil\ndata: \n\n");
}

}  // namespace
}  // namespace nn::http
