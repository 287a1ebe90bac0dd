#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include "infra/http/json.hpp"
#include "infra/http/sse.hpp"
#include "infra/http/test_server.hpp"

namespace nn::http {
namespace {

using namespace std::chrono_literals;
using testing::Client;
using testing::TestServer;

boost::asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
    co_await timer.async_wait(boost::asio::use_awaitable);
}

boost::asio::awaitable<Response> Ok(Request&) {
    co_return Response::Text(200, "ok");
}

boost::asio::awaitable<Response> EchoParams(Request& request) {
    boost::json::object out;
    for (const auto& [k, v] : request.params) out[k] = v;
    out["route"] = request.route;
    out["shard"] = request.shard;
    co_return JsonResponse(out);
}

boost::json::object BodyObject(const testing::ClientResponse& r) {
    return boost::json::parse(r.body).as_object();
}

TEST(HttpServer, RoutesWithPathParametersAndLiteralPrecedence) {
    TestServer ts;
    ts.routes().Get("/api/v1/portfolios/{id}/transactions/{tx_id}", EchoParams,
                    {.name = "portfolio.transaction"});
    ts.routes().Get("/api/v1/portfolios/summary", [](Request&) -> boost::asio::awaitable<Response> {
        co_return Response::Text(200, "summary");
    });
    ts.routes().Get("/api/v1/portfolios/{id}", EchoParams);
    Client c(ts.Start());
    ASSERT_TRUE(c.Connected());

    auto r = c.Request("GET", "/api/v1/portfolios/p%201/transactions/t-9");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    const auto body = BodyObject(*r);
    EXPECT_EQ(body.at("id").as_string(), "p 1");
    EXPECT_EQ(body.at("tx_id").as_string(), "t-9");
    EXPECT_EQ(body.at("route").as_string(), "portfolio.transaction");
    EXPECT_LT(body.at("shard").as_int64(), 2);

    r = c.Request("GET", "/api/v1/portfolios/summary");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "summary");
    r = c.Request("GET", "/api/v1/portfolios/abc");
    ASSERT_TRUE(r);
    EXPECT_EQ(BodyObject(*r).at("id").as_string(), "abc");
}

TEST(HttpServer, NotFoundIsProblemJsonWithRequestId) {
    TestServer ts;
    Client c(ts.Start());
    auto r = c.Request("GET", "/nowhere?x=1");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(r->Header("content-type"), "application/problem+json");
    const auto body = BodyObject(*r);
    EXPECT_EQ(body.at("type").as_string(), "urn:nexanest:problem:http.not_found");
    EXPECT_EQ(body.at("title").as_string(), "Not Found");
    EXPECT_EQ(body.at("status").as_int64(), 404);
    EXPECT_EQ(body.at("code").as_string(), "http.not_found");
    EXPECT_EQ(body.at("instance").as_string(), "/nowhere");
    EXPECT_TRUE(body.contains("detail"));
    ASSERT_FALSE(r->Header("x-request-id").empty());
    EXPECT_EQ(body.at("request_id").as_string(), r->Header("x-request-id"));

    r = c.Request("GET", "/nowhere", "", {{"X-Request-Id", "client-id.42"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->Header("x-request-id"), "client-id.42");
    EXPECT_EQ(BodyObject(*r).at("request_id").as_string(), "client-id.42");

    r = c.Request("GET", "/nowhere", "", {{"X-Request-Id", "bad id with spaces"}});
    ASSERT_TRUE(r);
    EXPECT_NE(r->Header("x-request-id"), "bad id with spaces");
    EXPECT_EQ(r->Header("x-request-id").size(), 32u);
}

TEST(HttpServer, MethodNotAllowedListsAllowAndHeadFollowsGet) {
    TestServer ts;
    ts.routes().Get("/thing", [](Request&) -> boost::asio::awaitable<Response> {
        co_return Response::Text(200, "twelve bytes");
    });
    ts.routes().Post("/thing", Ok);
    Client c(ts.Start());
    auto r = c.Request("DELETE", "/thing");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405);
    EXPECT_EQ(r->Header("allow"), "GET, HEAD, POST, OPTIONS");
    EXPECT_EQ(BodyObject(*r).at("code").as_string(), "http.method_not_allowed");

    r = c.Request("HEAD", "/thing");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->Header("content-length"), "12");
    EXPECT_TRUE(r->body.empty());
    // The connection is still in sync after a HEAD.
    r = c.Request("GET", "/thing");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "twelve bytes");

    r = c.Request("OPTIONS", "/thing");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 204);
    EXPECT_EQ(r->Header("allow"), "GET, HEAD, POST, OPTIONS");
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnectionIncludingPipelined) {
    TestServer ts;
    ts.routes().Get("/ping", Ok);
    Client c(ts.Start());
    for (int i = 0; i < 5; ++i) {
        auto r = c.Request("GET", "/ping");
        ASSERT_TRUE(r) << i;
        EXPECT_EQ(r->status, 200);
        EXPECT_TRUE(r->keep_alive);
    }
    EXPECT_EQ(ts.server().Connections(), 1u);
    ASSERT_TRUE(c.Send("GET /ping HTTP/1.1\r\nHost: a\r\n\r\nGET /ping HTTP/1.1\r\nHost: a\r\n\r\n"));
    for (int i = 0; i < 2; ++i) {
        auto r = c.Read();
        ASSERT_TRUE(r) << i;
        EXPECT_EQ(r->body, "ok");
    }
    // HTTP/1.0 without keep-alive: answered, then closed.
    ASSERT_TRUE(c.Send("GET /ping HTTP/1.0\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->keep_alive);
    EXPECT_TRUE(c.ClosedWithin(2s));
}

boost::asio::awaitable<Response> BodySize(Request& request) {
    co_return Response::Text(200, std::to_string(request.Body().size()));
}

TEST(HttpServer, OversizeBodyIs413AndRoutesCanRaiseTheLimit) {
    ServerOptions options;
    options.max_body_bytes = 1024;
    TestServer ts(options);
    ts.routes().Post("/small", BodySize);
    ts.routes().Post("/import", BodySize, {.max_body_bytes = 1 << 20});
    Client c(ts.Start());

    // Declared too large: refused from the header alone, before any body byte is sent.
    ASSERT_TRUE(c.Send("POST /small HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_EQ(r->Header("content-type"), "application/problem+json");
    EXPECT_EQ(BodyObject(*r).at("code").as_string(), "http.body_too_large");
    EXPECT_TRUE(c.ClosedWithin(3s));

    // Chunked, so the size shows only while reading.
    Client chunked(ts.port());
    std::string raw = "POST /small HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) raw += "200\r\n" + std::string(512, 'x') + "\r\n";
    raw += "0\r\n\r\n";
    ASSERT_TRUE(chunked.Send(raw));
    r = chunked.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);

    Client big(ts.port());
    r = big.Request("POST", "/import", std::string(300'000, 'y'));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "300000");
    r = big.Request("POST", "/small", std::string(1024, 'y'));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST(HttpServer, ExpectContinueGetsAnInterimResponse) {
    TestServer ts;
    ts.routes().Post("/upload", BodySize);
    Client c(ts.Start());
    ASSERT_TRUE(
        c.Send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
    EXPECT_NE(c.ReadUntil("\r\n\r\n", 2s).find("HTTP/1.1 100 Continue"), std::string::npos);
    ASSERT_TRUE(c.Send("hello"));
    auto r = c.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "5");
}

TEST(HttpServer, OversizeHeaderIs431) {
    ServerOptions options;
    options.max_header_bytes = 8 * 1024;
    TestServer ts(options);
    ts.routes().Get("/ping", Ok);
    Client c(ts.Start());
    auto r = c.Request("GET", "/ping", "", {{"X-Big", std::string(20'000, 'a')}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431);
    EXPECT_EQ(BodyObject(*r).at("code").as_string(), "http.header_too_large");
}

TEST(HttpServer, MalformedRequestsAre400) {
    TestServer ts;
    ts.routes().Post("/echo", BodySize);
    ts.routes().Get("/p/{id}", EchoParams);
    const std::uint16_t port = ts.Start();
    const char* bad[] = {
        // Content-Length and Transfer-Encoding together (request smuggling, RFC 9112 §6.3).
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello",
        "GET /p/%zz HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /p/.. HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET http://evil/p/1 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /p/1 HTTP/1.1\r\nHost: a\r\nX-Bad: a\rb\r\n\r\n",
        "BLAH\r\n\r\n",
    };
    for (const char* raw : bad) {
        Client c(port);
        ASSERT_TRUE(c.Send(raw));
        auto r = c.Read();
        ASSERT_TRUE(r) << raw;
        EXPECT_EQ(r->status, 400) << raw;
        EXPECT_EQ(r->Header("content-type"), "application/problem+json") << raw;
    }
}

boost::asio::awaitable<Response> ParseQuantity(Request& request) {
    const boost::json::object body = ParseJsonObject(request);
    FieldReader in(body);
    const std::string quantity = in.Decimal("quantity");
    in.AllowOnly({"quantity"});
    in.Finish();
    co_return Response::Text(200, quantity);
}

TEST(HttpServer, JsonBodyErrorsAreProblems) {
    TestServer ts;
    ts.routes().Post("/q", ParseQuantity);
    Client c(ts.Start());
    const std::map<std::string, std::string> json{{"Content-Type", "application/json"}};

    auto r = c.Request("POST", "/q", R"({"quantity":"1.5"})", json);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "1.5");

    r = c.Request("POST", "/q", R"({"quantity": )", json);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(BodyObject(*r).at("code").as_string(), "json.invalid");

    r = c.Request("POST", "/q", R"({"quantity":"1.5"})", {{"Content-Type", "text/plain"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 415);
    EXPECT_EQ(BodyObject(*r).at("code").as_string(), "http.unsupported_media_type");

    r = c.Request("POST", "/q", std::string(100, '[') + std::string(100, ']'), json);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(BodyObject(*r).at("code").as_string(), "json.too_deep");

    r = c.Request("POST", "/q", R"({"quantity":1.5})", {{"Content-Type", "application/json; charset=utf-8"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 422);
    auto body = BodyObject(*r);
    EXPECT_EQ(body.at("code").as_string(), "validation.failed");
    const auto& errors = body.at("errors").as_array();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].at("field").as_string(), "quantity");
    EXPECT_EQ(errors[0].at("code").as_string(), "not_decimal");
    EXPECT_NE(std::string(errors[0].at("message").as_string()).find("must be a string holding a decimal"),
              std::string::npos);

    r = c.Request("POST", "/q", R"({"quantity":"1","role":"ADMIN"})", json);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(BodyObject(*r).at("code").as_string(), "request.unknown_fields");
}

TEST(HttpServer, ExceptionsMapToStatusWithoutLeakingInternals) {
    TestServer ts;
    ts.routes().Get("/boom", [](Request&) -> boost::asio::awaitable<Response> {
        throw std::runtime_error("password=hunter2 in SELECT");
        co_return Response();
    });
    ts.routes().Get("/gone", [](Request&) -> boost::asio::awaitable<Response> {
        throw Error(ErrorKind::kNotFound, "portfolio.not_found", "no such portfolio");
        co_return Response();
    });
    ts.routes().Get("/internal", [](Request&) -> boost::asio::awaitable<Response> {
        throw Error(ErrorKind::kInternal, "db.broken", "relation \"secret_table\" does not exist");
        co_return Response();
    });
    Client c(ts.Start());
    auto r = c.Request("GET", "/boom");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);
    EXPECT_EQ(r->body.find("hunter2"), std::string::npos);
    EXPECT_EQ(BodyObject(*r).at("code").as_string(), "internal");
    r = c.Request("GET", "/gone");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(BodyObject(*r).at("code").as_string(), "portfolio.not_found");
    EXPECT_EQ(BodyObject(*r).at("detail").as_string(), "no such portfolio");
    r = c.Request("GET", "/internal");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 500);
    EXPECT_EQ(r->body.find("secret_table"), std::string::npos);
    EXPECT_EQ(BodyObject(*r).at("code").as_string(), "db.broken");
}

// A constraint the database enforces answered 422 with PostgreSQL's own message: table,
// constraint and policy names.
TEST(HttpServer, DatabaseMessagesStayInTheLog) {
    TestServer ts;
    ts.routes().Get("/one", [](Request&) -> boost::asio::awaitable<Response> {
        throw Error(ErrorKind::kUnprocessable, "db.check_violation",
                    "new row for relation \"portfolio_benchmarks\" violates check constraint \"pb_symbol\"");
        co_return Response();
    });
    ts.routes().Get("/two", [](Request&) -> boost::asio::awaitable<Response> {
        throw Error(ErrorKind::kForbidden, "db.insufficient_privilege",
                    "new row violates row-level security policy \"holdings_write\" for table \"holdings\"");
        co_return Response();
    });
    Client c(ts.Start());
    for (const char* path : {"/one", "/two"}) {
        auto r = c.Request("GET", path);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->body.find("portfolio_benchmarks"), std::string::npos) << r->body;
        EXPECT_EQ(r->body.find("constraint"), std::string::npos) << r->body;
        EXPECT_EQ(r->body.find("holdings"), std::string::npos) << r->body;
        EXPECT_EQ(r->body.find("policy"), std::string::npos) << r->body;
        EXPECT_EQ(std::string(BodyObject(*r).at("code").as_string()).rfind("db.", 0), 0u);
    }
}

struct TestPrincipal {
    std::string user;
};

TEST(HttpServer, AuthenticationAndRateLimitHooks) {
    ServerOptions options;
    options.authenticator = [](Request& request) -> boost::asio::awaitable<void> {
        const std::string_view auth = request.Header("Authorization");
        if (auth.empty()) co_return;
        if (auth != "Bearer good")
            throw Error(ErrorKind::kUnauthorized, "auth.invalid_token", "the token is not valid");
        request.principal = TestPrincipal{"alice"};
    };
    options.rate_limiter =
        [](Request& request) -> boost::asio::awaitable<std::optional<std::chrono::seconds>> {
        if (request.Header("X-Test-Limited") == "yes") co_return std::chrono::seconds(7);
        co_return std::nullopt;
    };
    TestServer ts(options);
    ts.routes().Get("/me",
                    [](Request& request) -> boost::asio::awaitable<Response> {
                        co_return Response::Text(200, request.PrincipalAs<TestPrincipal>()->user);
                    },
                    {.require_auth = true});
    ts.routes().Get("/public", Ok);
    Client c(ts.Start());

    auto r = c.Request("GET", "/me");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->Header("www-authenticate"), "Bearer");
    EXPECT_EQ(BodyObject(*r).at("code").as_string(), "auth.required");

    r = c.Request("GET", "/me", "", {{"Authorization", "Bearer bad"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(BodyObject(*r).at("code").as_string(), "auth.invalid_token");

    r = c.Request("GET", "/me", "", {{"Authorization", "Bearer good"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "alice");

    r = c.Request("GET", "/public");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);

    r = c.Request("GET", "/public", "", {{"X-Test-Limited", "yes"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 429);
    EXPECT_EQ(r->Header("retry-after"), "7");
}

TEST(HttpServer, ExpensiveRoutesAreCappedPerPrincipal) {
    ServerOptions options;
    options.max_expensive_per_key = 2;
    options.authenticator = [](Request& request) -> boost::asio::awaitable<void> {
        const std::string who(request.Header("X-User"));
        if (who.empty()) co_return;
        request.principal = TestPrincipal{who};
        request.principal_key = who;
    };
    TestServer ts(options);
    std::atomic<int> running{0};
    ts.routes().Post("/import",
                     [&running](Request&) -> boost::asio::awaitable<Response> {
                         ++running;
                         co_await Sleep(600ms);
                         --running;
                         co_return Response::Text(200, "done");
                     },
                     {.require_auth = true, .expensive = true});
    ts.routes().Post("/cheap",
                     [](Request&) -> boost::asio::awaitable<Response> {
                         co_await Sleep(600ms);
                         co_return Response::Text(200, "done");
                     },
                     {.require_auth = true});
    const auto port = ts.Start();

    auto call = [port](std::string path, std::string user) {
        return std::async(std::launch::async, [port, path, user] {
            Client c(port);
            auto r = c.Request("POST", path, "x", {{"X-User", user}});
            return r ? r->status : 0;
        });
    };
    // Three at once by alice: two run, the third is refused at once; bob is not affected.
    auto a1 = call("/import", "alice");
    auto a2 = call("/import", "alice");
    std::this_thread::sleep_for(200ms);
    auto a3 = call("/import", "alice");
    auto b1 = call("/import", "bob");
    auto c1 = call("/cheap", "alice");
    auto c2 = call("/cheap", "alice");
    auto c3 = call("/cheap", "alice");
    EXPECT_EQ(a3.get(), 429);
    EXPECT_EQ(a1.get(), 200);
    EXPECT_EQ(a2.get(), 200);
    EXPECT_EQ(b1.get(), 200);
    EXPECT_EQ(c1.get(), 200);
    EXPECT_EQ(c2.get(), 200);
    EXPECT_EQ(c3.get(), 200);
    // The slots are released when the requests end.
    EXPECT_EQ(call("/import", "alice").get(), 200);
}

boost::asio::awaitable<Response> TagRoute(Request& request, Next next) {
    if (request.Header("X-Block") == "1") co_return Response::Text(418, "blocked early");
    Response response = co_await next(request);
    response.SetHeader("X-Route", request.route);
    co_return response;
}

TEST(HttpServer, UserMiddlewareCanAnswerEarlyOrWrapTheHandler) {
    TestServer ts;
    ts.server().Use(TagRoute);
    ts.routes().Get("/x", Ok, {.name = "x.get"});
    Client c(ts.Start());
    auto r = c.Request("GET", "/x");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->Header("x-route"), "x.get");
    EXPECT_FALSE(r->Header("x-request-id").empty());
    r = c.Request("GET", "/x", "", {{"X-Block", "1"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 418);
    EXPECT_EQ(r->body, "blocked early");
    EXPECT_FALSE(r->Header("x-request-id").empty());  // outer middleware still ran
}

TEST(HttpServer, CorsPreflightAndSimpleRequests) {
    ServerOptions options;
    options.cors.allowed_origins = {"https://app.example"};
    TestServer ts(options);
    ts.routes().Get("/api/x", Ok);
    ts.routes().Post("/api/x", Ok);
    Client c(ts.Start());

    auto r = c.Request("OPTIONS", "/api/x", "",
                       {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 204);
    EXPECT_EQ(r->Header("access-control-allow-origin"), "https://app.example");
    EXPECT_EQ(r->Header("access-control-allow-methods"), "GET, HEAD, POST, OPTIONS");
    EXPECT_NE(r->Header("access-control-allow-headers").find("Authorization"), std::string::npos);
    EXPECT_EQ(r->Header("access-control-max-age"), "600");

    r = c.Request("OPTIONS", "/api/x", "",
                  {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 204);
    EXPECT_TRUE(r->Header("access-control-allow-origin").empty());

    r = c.Request("GET", "/api/x", "", {{"Origin", "https://app.example"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->Header("access-control-allow-origin"), "https://app.example");
    EXPECT_NE(r->Header("access-control-expose-headers").find("X-Request-Id"), std::string::npos);

    // Errors carry CORS headers too, so a browser can read the problem.
    r = c.Request("GET", "/api/missing", "", {{"Origin", "https://app.example"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(r->Header("access-control-allow-origin"), "https://app.example");
}

TEST(HttpServer, MetricsCountRoutesAndShowRegisteredFamilies) {
    TestServer ts;
    ts.routes().Get("/api/v1/things/{id}", Ok, {.name = "things.get"});
    std::atomic<int> pool_size{7};
    ts.server().Metrics().AddGauge("nn_test_pool_size", "Connections in the test pool.",
                                   [&] { return static_cast<double>(pool_size.load()); });
    ts.server().Metrics().AddFamily("nn_test_cache_hits_total", "Cache hits.", MetricType::kCounter, [] {
        return std::vector<MetricSample>{{{{"cache", "prices"}}, 3}, {{{"cache", "portfolios"}}, 4}};
    });
    EXPECT_THROW(ts.server().Metrics().AddGauge("bad name", "x", [] { return 0.0; }), std::invalid_argument);
    Client c(ts.Start());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.Request("GET", "/api/v1/things/" + std::to_string(i)));
    ASSERT_TRUE(c.Request("GET", "/missing"));
    auto r = c.Request("GET", "/metrics");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->Header("content-type").find("text/plain"), std::string::npos);
    const std::string& text = r->body;
    EXPECT_NE(text.find("nn_http_requests_total{route=\"things.get\",method=\"GET\",status=\"2xx\"} 3\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("nn_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"4xx\"} 1\n"),
              std::string::npos);
    EXPECT_NE(text.find("nn_http_request_duration_seconds_bucket{route=\"things.get\",le=\"+Inf\"} 3\n"),
              std::string::npos);
    EXPECT_NE(text.find("nn_http_request_duration_seconds_count{route=\"things.get\"} 3\n"),
              std::string::npos);
    EXPECT_NE(text.find("nn_http_requests_in_flight 1\n"), std::string::npos);
    EXPECT_NE(text.find("nn_http_connections 1\n"), std::string::npos);
    EXPECT_NE(text.find("# TYPE nn_test_pool_size gauge\nnn_test_pool_size 7\n"), std::string::npos);
    EXPECT_NE(text.find("nn_test_cache_hits_total{cache=\"portfolios\"} 4\n"), std::string::npos);
}

TEST(HttpServer, ServesTheOpenApiDocumentOfItsRoutes) {
    TestServer ts;
    ts.server().Routes().Get(
        "/api/v1/things/{id}",
        [](Request&) -> boost::asio::awaitable<Response> { co_return Response::NoContent(); },
        {.name = "things.get", .require_auth = true});
    Client c(ts.Start());
    auto r = c.Request("GET", "/api/v1/openapi.json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    auto paths = BodyObject(*r).at("paths").as_object();
    // The built-in routes are listed too, the document itself included.
    for (auto p : {"/api/v1/things/{id}", "/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"}) {
        EXPECT_TRUE(paths.contains(p)) << p;
    }
    EXPECT_EQ(paths.size(), 5u);
}

TEST(HttpServer, HealthzAndReadyzReportEachCheck) {
    TestServer ts;
    std::atomic<bool> redis_up{false};
    ts.server().AddReadinessCheck("postgres",
                                  [](std::size_t) -> boost::asio::awaitable<bool> { co_return true; });
    ts.server().AddReadinessCheck(
        "redis", [&redis_up](std::size_t) -> boost::asio::awaitable<bool> { co_return redis_up.load(); });
    Client c(ts.Start());
    auto r = c.Request("GET", "/healthz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    r = c.Request("GET", "/readyz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    auto body = BodyObject(*r);
    EXPECT_EQ(body.at("status").as_string(), "not_ready");
    EXPECT_EQ(body.at("checks").at("postgres").as_string(), "up");
    EXPECT_EQ(body.at("checks").at("redis").as_string(), "down");
    redis_up = true;
    r = c.Request("GET", "/readyz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(BodyObject(*r).at("status").as_string(), "ready");
}

// /metrics and which dependency is down were open to anyone who could reach the port.
TEST(HttpServer, MetricsAndReadinessDetailNeedTheOpsToken) {
    ServerOptions options;
    options.ops_token = "a-long-operations-token-0123456789";
    TestServer ts(options);
    ts.server().AddReadinessCheck("postgres",
                                  [](std::size_t) -> boost::asio::awaitable<bool> { co_return true; });
    Client c(ts.Start());
    auto r = c.Request("GET", "/metrics");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    r = c.Request("GET", "/metrics", "", {{"X-Ops-Token", "a-long-operations-token-0123456788"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    r = c.Request("GET", "/metrics", "", {{"X-Ops-Token", "a-long-operations-token-0123456789"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("# TYPE"), std::string::npos);

    r = c.Request("GET", "/readyz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(BodyObject(*r).at("status").as_string(), "ready");
    EXPECT_FALSE(BodyObject(*r).contains("checks"));
    r = c.Request("GET", "/readyz", "", {{"X-Ops-Token", "a-long-operations-token-0123456789"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(BodyObject(*r).at("checks").at("postgres").as_string(), "up");
}

TEST(HttpServer, ReadinessCheckThatHangsTimesOut) {
    ServerOptions options;
    options.readiness_timeout = 200ms;
    TestServer ts(options);
    ts.server().AddReadinessCheck("slow", [](std::size_t) -> boost::asio::awaitable<bool> {
        co_await Sleep(10s);
        co_return true;
    });
    Client c(ts.Start());
    const auto started = std::chrono::steady_clock::now();
    auto r = c.Request("GET", "/readyz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST(HttpServer, SlowHeadersAreCutOffByTheHeaderTimeout) {
    ServerOptions options;
    options.header_timeout = 500ms;
    TestServer ts(options);
    ts.routes().Get("/ping", Ok);
    Client c(ts.Start());
    const auto started = std::chrono::steady_clock::now();
    ASSERT_TRUE(c.Send("GET /ping HTTP/1.1\r\n"));
    // Trickle a header one byte every 100 ms (slowloris); the server must hang up anyway.
    const std::string trickle = "X-Slow: " + std::string(100, 'a');
    bool closed = false;
    for (char byte : trickle) {
        if (!c.Send(std::string_view(&byte, 1), 1s)) {
            closed = true;
            break;
        }
        if (c.ClosedWithin(100ms)) {
            closed = true;
            break;
        }
        if (std::chrono::steady_clock::now() - started > 5s) break;
    }
    const auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_TRUE(closed);
    EXPECT_GE(elapsed, 450ms);
    EXPECT_LT(elapsed, 2s);
}

TEST(HttpServer, SlowBodiesAreCutOffByTheBodyTimeout) {
    ServerOptions options;
    options.body_timeout = 400ms;
    TestServer ts(options);
    ts.routes().Post("/upload", BodySize);
    Client c(ts.Start());
    ASSERT_TRUE(c.Send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc"));
    const auto started = std::chrono::steady_clock::now();
    bool closed = false;
    for (int i = 0; i < 50 && !closed; ++i) {
        closed = !c.Send("x", 1s) || c.ClosedWithin(100ms);
    }
    EXPECT_TRUE(closed);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST(HttpServer, IdleKeepAliveConnectionsAreClosed) {
    ServerOptions options;
    options.idle_timeout = 300ms;
    TestServer ts(options);
    ts.routes().Get("/ping", Ok);
    Client c(ts.Start());
    ASSERT_TRUE(c.Request("GET", "/ping"));
    const auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.ClosedWithin(3s));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST(HttpServer, ConnectionCapAnswers503) {
    ServerOptions options;
    options.max_connections = 2;
    TestServer ts(options);
    ts.routes().Get("/ping", Ok);
    const std::uint16_t port = ts.Start();
    Client a(port), b(port);
    ASSERT_TRUE(a.Request("GET", "/ping"));
    ASSERT_TRUE(b.Request("GET", "/ping"));
    Client third(port);
    auto r = third.Request("GET", "/ping");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(r->Header("retry-after"), "1");
    EXPECT_TRUE(third.ClosedWithin(3s));
    // A freed slot is usable again.
    a.Close();
    for (int attempt = 0; attempt < 50 && ts.server().Connections() > 1; ++attempt)
        std::this_thread::sleep_for(20ms);
    Client fourth(port);
    r = fourth.Request("GET", "/ping");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

TEST(HttpServer, GracefulShutdownDrainsInFlightRequestsAndRefusesNewOnes) {
    TestServer ts;
    std::atomic<bool> handler_started{false};
    ts.routes().Get("/slow", [&](Request&) -> boost::asio::awaitable<Response> {
        handler_started = true;
        co_await Sleep(600ms);
        co_return Response::Text(200, "done");
    });
    ts.routes().Get("/ping", Ok);
    const std::uint16_t port = ts.Start();
    Client idle(port);
    ASSERT_TRUE(idle.Request("GET", "/ping"));
    Client busy(port);
    ASSERT_TRUE(busy.Send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"));
    for (int i = 0; i < 100 && !handler_started; ++i) std::this_thread::sleep_for(5ms);
    ASSERT_TRUE(handler_started);

    const auto started = std::chrono::steady_clock::now();
    auto stopped = std::async(std::launch::async, [&] { ts.server().Stop(5s); });
    std::this_thread::sleep_for(100ms);
    Client late(port);
    EXPECT_TRUE(!late.Connected() || !late.Request("GET", "/ping").has_value());
    EXPECT_TRUE(idle.ClosedWithin(1s));

    auto r = busy.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "done");
    EXPECT_FALSE(r->keep_alive);
    ASSERT_EQ(stopped.wait_for(3s), std::future_status::ready);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_LT(took, 3s);
    EXPECT_EQ(ts.server().Connections(), 0u);
}

TEST(HttpServer, ShutdownCancelsHandlersThatOutliveTheDrain) {
    TestServer ts;
    ts.routes().Get("/forever", [](Request&) -> boost::asio::awaitable<Response> {
        co_await Sleep(60s);
        co_return Response::Text(200, "late");
    });
    Client c(ts.Start());
    ASSERT_TRUE(c.Send("GET /forever HTTP/1.1\r\nHost: a\r\n\r\n"));
    std::this_thread::sleep_for(100ms);
    const auto started = std::chrono::steady_clock::now();
    ts.server().Stop(200ms);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    EXPECT_EQ(ts.server().Connections(), 0u);
}

boost::asio::awaitable<void> ThreeEvents(std::string last_id, SseStream& stream) {
    stream.Send(SseEvent{.data = "resumed after " + last_id, .event = "hello"});
    for (int i = 1; i <= 3; ++i) {
        stream.Send(SseEvent{
            .data = "{\"n\":" + std::to_string(i) + "}\nline2", .event = "tick", .id = std::to_string(i)});
        co_await Sleep(20ms);
    }
    co_await Sleep(250ms);  // long enough for a heartbeat
}

TEST(HttpServer, ServerSentEventsArriveInOrderWithHeartbeats) {
    TestServer ts;
    ts.routes().Get("/stream", [](Request& request) -> boost::asio::awaitable<Response> {
        std::string last(request.LastEventId());
        co_return Response::Sse([last](SseStream& s) { return ThreeEvents(last, s); },
                                SseOptions{.heartbeat = 100ms});
    });
    Client c(ts.Start());
    ASSERT_TRUE(c.Send("GET /stream HTTP/1.1\r\nHost: a\r\nLast-Event-ID: 41\r\n\r\n"));
    const std::string seen = c.ReadUntil("\r\n0\r\n\r\n", 5s);
    EXPECT_NE(seen.find("Content-Type: text/event-stream"), std::string::npos) << seen;
    EXPECT_NE(seen.find("Transfer-Encoding: chunked"), std::string::npos);
    const auto hello = seen.find("event: hello\ndata: resumed after 41\n\n");
    const auto one = seen.find("id: 1\nevent: tick\ndata: {\"n\":1}\ndata: line2\n\n");
    const auto two = seen.find("id: 2\nevent: tick\n");
    const auto three = seen.find("id: 3\nevent: tick\n");
    ASSERT_NE(hello, std::string::npos) << seen;
    ASSERT_NE(one, std::string::npos) << seen;
    ASSERT_NE(two, std::string::npos);
    ASSERT_NE(three, std::string::npos);
    EXPECT_LT(hello, one);
    EXPECT_LT(one, two);
    EXPECT_LT(two, three);
    EXPECT_NE(seen.find(": ping\n\n", three), std::string::npos);
    EXPECT_NE(seen.find("\r\n0\r\n\r\n"), std::string::npos);  // the stream ended cleanly
    EXPECT_TRUE(c.ClosedWithin(2s));
}

boost::asio::awaitable<void> Forever(std::shared_ptr<std::atomic<int>> ended, SseStream& stream) {
    for (int i = 0;; ++i) {
        if (!stream.Send(SseEvent{.data = std::to_string(i)})) break;
        try {
            co_await Sleep(50ms);
        } catch (const boost::system::system_error&) {
            break;
        }
    }
    ended->fetch_add(1);
}

TEST(HttpServer, ServerSentEventsEndOnDisconnectAndOnShutdown) {
    TestServer ts;
    auto ended = std::make_shared<std::atomic<int>>(0);
    ts.routes().Get("/stream", [ended](Request&) -> boost::asio::awaitable<Response> {
        co_return Response::Sse([ended](SseStream& s) { return Forever(ended, s); });
    });
    const std::uint16_t port = ts.Start();
    {
        Client gone(port);
        ASSERT_TRUE(gone.Send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n"));
        EXPECT_NE(gone.ReadUntil("data: 2\n", 3s).find("data: 2\n"), std::string::npos);
    }
    for (int i = 0; i < 100 && ended->load() < 1; ++i) std::this_thread::sleep_for(20ms);
    EXPECT_EQ(ended->load(), 1);

    Client stays(port);
    ASSERT_TRUE(stays.Send("GET /stream HTTP/1.1\r\nHost: a\r\n\r\n"));
    EXPECT_NE(stays.ReadUntil("data: 1\n", 3s).find("data: 1\n"), std::string::npos);
    const auto started = std::chrono::steady_clock::now();
    ts.server().Stop(5s);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
    EXPECT_TRUE(stays.ClosedWithin(1s));
    EXPECT_EQ(ended->load(), 2);
}

TEST(HttpServer, QueryAndPaginationHelpers) {
    TestServer ts;
    ts.routes().Get("/list", [](Request& request) -> boost::asio::awaitable<Response> {
        const PageRequest page = ParsePage(request, {.default_limit = 10, .max_limit = 50});
        const std::string q(request.Query().Get("q").value_or("-"));
        std::string text = std::to_string(page.limit) + "|" + page.cursor.value_or("-") + "|" + q;
        co_return Response::Text(200, std::move(text));
    });
    Client c(ts.Start());
    auto r = c.Request("GET", "/list");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "10|-|-");
    r = c.Request("GET", "/list?limit=25&cursor=" + EncodeCursor("2024|abc") + "&q=a+b%21");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "25|2024|abc|a b!");
    r = c.Request("GET", "/list?limit=51");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 422);
    EXPECT_EQ(BodyObject(*r).at("errors").as_array()[0].at("field").as_string(), "limit");
    r = c.Request("GET", "/list?cursor=Zh");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(BodyObject(*r).at("code").as_string(), "pagination.bad_cursor");
    r = c.Request("GET", "/list?q=%zz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(BodyObject(*r).at("code").as_string(), "http.bad_query");
}

boost::asio::awaitable<Response> EchoRemote(Request& request) {
    co_return Response::Text(200, request.remote_address);
}

TEST(HttpServer, ClientAddressComesFromTrustedProxiesOnly) {
    {  // default: nobody is trusted, a client cannot choose its address
        TestServer ts;
        ts.routes().Get("/whoami", EchoRemote);
        Client c(ts.Start());
        auto r = c.Request("GET", "/whoami", "", {{"X-Forwarded-For", "203.0.113.7"}});
        ASSERT_TRUE(r);
        EXPECT_EQ(r->body, "127.0.0.1");
    }
    {  // loopback is a trusted proxy (haproxy on this machine): its X-Forwarded-For is believed
        ServerOptions options;
        options.trusted_proxies = TrustedProxies::Parse({"127.0.0.1"});
        TestServer ts(options);
        ts.routes().Get("/whoami", EchoRemote);
        Client c(ts.Start());
        auto r = c.Request("GET", "/whoami", "", {{"X-Forwarded-For", "198.51.100.1, 203.0.113.7"}});
        ASSERT_TRUE(r);
        EXPECT_EQ(r->body, "203.0.113.7");
        // Several X-Forwarded-For fields are one list, in order.
        ASSERT_TRUE(
            c.Send("GET /whoami HTTP/1.1\r\nHost: test\r\nX-Forwarded-For: 203.0.113.7\r\n"
                   "X-Forwarded-For: 127.0.0.1\r\n\r\n"));
        r = c.Read();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->body, "203.0.113.7");
        r = c.Request("GET", "/whoami");
        ASSERT_TRUE(r);
        EXPECT_EQ(r->body, "127.0.0.1");
    }
    {  // the peer is not in the list: the header is ignored
        ServerOptions options;
        options.trusted_proxies = TrustedProxies::Parse({"10.0.0.0/8"});
        TestServer ts(options);
        ts.routes().Get("/whoami", EchoRemote);
        Client c(ts.Start());
        auto r = c.Request("GET", "/whoami", "", {{"X-Forwarded-For", "203.0.113.7"}});
        ASSERT_TRUE(r);
        EXPECT_EQ(r->body, "127.0.0.1");
    }
}

}  // namespace
}  // namespace nn::http
