#include "infra/http/static_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>

#include "infra/http/test_server.hpp"

namespace nn::http {
namespace {

namespace fs = std::filesystem;
using testing::Client;
using testing::ClientResponse;
using testing::TestServer;

const std::string kIndex =
    "<!doctype html><html><head><script type=module src=/assets/app-3f2a.js></script>"
    "</head><body></body></html>";
const std::string kScript = "console.log('identity');";
const std::string kScriptBr = "BROTLI-BYTES";
const std::string kScriptGz = "GZIP-BYTES";

// A fixture dashboard build in a fresh temporary folder, removed afterwards.
class Dist {
public:
    Dist() {
        std::random_device rd;
        root_ =
            fs::temp_directory_path() / ("nn_static_" + std::to_string(rd()) + std::to_string(::getpid()));
        fs::create_directories(root_);
    }
    ~Dist() {
        std::error_code ec;
        fs::remove_all(root_, ec);
        fs::remove_all(outside_, ec);
    }
    void Write(const std::string& relative, const std::string& content) {
        const auto path = root_ / relative;
        fs::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << content;
    }
    // A secret file next to (not inside) the root, and links to it from inside.
    void LinkOutside() {
        outside_ = root_.string() + "_outside";
        fs::create_directories(outside_);
        std::ofstream(outside_ / "secret.txt") << "SECRET";
        fs::create_symlink(outside_ / "secret.txt", root_ / "secret.txt");
        fs::create_directory_symlink(outside_, root_ / "linked");
    }
    void Standard() {
        Write("index.html", kIndex);
        Write("assets/app-3f2a.js", kScript);
        Write("assets/app-3f2a.js.br", kScriptBr);
        Write("assets/app-3f2a.js.gz", kScriptGz);
        Write("assets/app-3f2a.css", "body{}");
        Write("assets/inter-1a.woff2", "wOF2");
        Write("assets/logo-9c.svg", "<svg/>");
        Write("assets/app-3f2a.js.map", "{}");
        Write("favicon.ico", "ICO");
        Write("robots.txt", "User-agent: *\n");
        Write("icon.png", "PNG");
        Write("manifest.json", "{}");
        Write(".vite/manifest.json", "{\"hidden\":true}");
        Write("api/docs/index.html", "must never be served");
    }
    const fs::path& root() const { return root_; }

private:
    fs::path root_;
    fs::path outside_;
};

// A server with one API route and the static files behind the routes.
class Site {
public:
    explicit Site(const fs::path& root) : server_(LoggingOptions()) {
        StaticFilesOptions o;
        o.root = root;
        files_ = StaticFiles::Load(o);
        server_.routes().Get("/api/v1/ping", [](Request&) -> boost::asio::awaitable<Response> {
            co_return Response::Text(200, "pong");
        });
        server_.server().Use(StaticFilesMiddleware(files_));
        port_ = server_.Start();
    }
    std::optional<ClientResponse> Get(const std::string& target,
                                      const std::map<std::string, std::string>& headers = {},
                                      const std::string& method = "GET") {
        Client c(port_);
        return c.Request(method, target, "", headers);
    }
    const StaticFiles& files() const { return *files_; }
    // The access log's route labels, in order.
    std::vector<std::string> Routes() {
        std::lock_guard lock(routes_->mutex);
        return routes_->labels;
    }

private:
    struct Labels {
        std::mutex mutex;
        std::vector<std::string> labels;
    };
    ServerOptions LoggingOptions() {
        ServerOptions o;
        o.access_log = [routes = routes_](const AccessLogEntry& e) {
            std::lock_guard lock(routes->mutex);
            routes->labels.emplace_back(e.route);
        };
        return o;
    }
    std::shared_ptr<Labels> routes_ = std::make_shared<Labels>();
    TestServer server_;
    std::shared_ptr<const StaticFiles> files_;
    std::uint16_t port_ = 0;
};

void ExpectSecurityHeaders(const ClientResponse& r) {
    EXPECT_EQ(r.Header("content-security-policy"),
              "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; "
              "base-uri 'none'; form-action 'self'");
    EXPECT_EQ(r.Header("x-content-type-options"), "nosniff");
    EXPECT_EQ(r.Header("referrer-policy"), "no-referrer");
}

TEST(StaticFiles, IndexAtRootIsNeverCached) {
    Dist dist;
    dist.Standard();
    Site site(dist.root());
    EXPECT_TRUE(site.files().Built());
    for (const char* target : {"/", "/index.html", "/?x=1"}) {
        auto r = site.Get(target);
        ASSERT_TRUE(r) << target;
        EXPECT_EQ(r->status, 200) << target;
        EXPECT_EQ(r->body, kIndex);
        EXPECT_EQ(r->Header("content-type"), "text/html; charset=utf-8");
        EXPECT_EQ(r->Header("cache-control"), "no-cache");
        ExpectSecurityHeaders(*r);
    }
    EXPECT_EQ(site.Get("/nothing-here")->status, 404);
    EXPECT_EQ(site.Routes(), (std::vector<std::string>{"web.static", "web.static", "web.static", ""}));
}

TEST(StaticFiles, HashedAssetsAreImmutableAndPrecompressedWhenAccepted) {
    Dist dist;
    dist.Standard();
    Site site(dist.root());

    auto br = site.Get("/assets/app-3f2a.js", {{"Accept-Encoding", "gzip, deflate, br"}});
    ASSERT_TRUE(br);
    EXPECT_EQ(br->status, 200);
    EXPECT_EQ(br->body, kScriptBr);
    EXPECT_EQ(br->Header("content-encoding"), "br");
    EXPECT_EQ(br->Header("vary"), "Accept-Encoding");
    EXPECT_EQ(br->Header("content-type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(br->Header("cache-control"), "public, max-age=31536000, immutable");
    ExpectSecurityHeaders(*br);

    auto gz = site.Get("/assets/app-3f2a.js", {{"Accept-Encoding", "gzip"}});
    ASSERT_TRUE(gz);
    EXPECT_EQ(gz->body, kScriptGz);
    EXPECT_EQ(gz->Header("content-encoding"), "gzip");
    EXPECT_NE(gz->Header("etag"), br->Header("etag"));

    auto refused_br = site.Get("/assets/app-3f2a.js", {{"Accept-Encoding", "br;q=0, gzip;q=0.5"}});
    ASSERT_TRUE(refused_br);
    EXPECT_EQ(refused_br->body, kScriptGz);

    auto plain = site.Get("/assets/app-3f2a.js");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->body, kScript);
    EXPECT_EQ(plain->Header("content-encoding"), "");
    EXPECT_EQ(plain->Header("vary"), "Accept-Encoding");

    // A file without siblings does not vary.
    auto css = site.Get("/assets/app-3f2a.css", {{"Accept-Encoding", "br"}});
    ASSERT_TRUE(css);
    EXPECT_EQ(css->body, "body{}");
    EXPECT_EQ(css->Header("vary"), "");
    EXPECT_EQ(css->Header("content-encoding"), "");

    // The siblings are not files of their own.
    auto sibling = site.Get("/assets/app-3f2a.js.br");
    ASSERT_TRUE(sibling);
    EXPECT_EQ(sibling->status, 404);
}

TEST(StaticFiles, ContentTypes) {
    Dist dist;
    dist.Standard();
    Site site(dist.root());
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"/assets/app-3f2a.css", "text/css; charset=utf-8"},
        {"/assets/inter-1a.woff2", "font/woff2"},
        {"/assets/logo-9c.svg", "image/svg+xml"},
        {"/assets/app-3f2a.js.map", "application/json"},
        {"/favicon.ico", "image/x-icon"},
        {"/robots.txt", "text/plain; charset=utf-8"},
        {"/icon.png", "image/png"},
        {"/manifest.json", "application/json"},
    };
    for (const auto& [target, type] : cases) {
        auto r = site.Get(target);
        ASSERT_TRUE(r) << target;
        EXPECT_EQ(r->status, 200) << target;
        EXPECT_EQ(r->Header("content-type"), type) << target;
        EXPECT_EQ(r->Header("cache-control"),
                  target.starts_with("/assets/") ? "public, max-age=31536000, immutable" : "no-cache")
            << target;
        ExpectSecurityHeaders(*r);
    }
    EXPECT_EQ(MimeTypeFor("a/b/APP.JS"), "text/javascript; charset=utf-8");
    EXPECT_EQ(MimeTypeFor("index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(MimeTypeFor("data.bin"), "application/octet-stream");
    EXPECT_EQ(MimeTypeFor("Makefile"), "application/octet-stream");
}

TEST(StaticFiles, HeadAndConditionalRequests) {
    Dist dist;
    dist.Standard();
    Site site(dist.root());
    auto head = site.Get("/assets/app-3f2a.js", {}, "HEAD");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->Header("content-length"), std::to_string(kScript.size()));
    EXPECT_EQ(head->body, "");
    ExpectSecurityHeaders(*head);

    auto first = site.Get("/");
    ASSERT_TRUE(first);
    const auto etag = first->Header("etag");
    ASSERT_FALSE(etag.empty());
    auto again = site.Get("/", {{"If-None-Match", "\"other\", " + etag}});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 304);
    EXPECT_EQ(again->body, "");
    EXPECT_EQ(again->Header("etag"), etag);
    ExpectSecurityHeaders(*again);
    auto changed = site.Get("/", {{"If-None-Match", "\"other\""}});
    ASSERT_TRUE(changed);
    EXPECT_EQ(changed->status, 200);
}

TEST(StaticFiles, NothingOutsideTheRootOrUnderApi) {
    Dist dist;
    dist.Standard();
    dist.LinkOutside();
    Site site(dist.root());
    for (const char* target :
         {"/secret.txt", "/linked/secret.txt", "/assets/..%2f..%2fetc%2fpasswd",
          "/assets%2f..%2f..%2fsecret.txt", "/.vite/manifest.json", "/api/docs/index.html", "/api/docs",
          "/%61pi/docs/index.html", "/missing.js", "/assets/"}) {
        auto r = site.Get(target);
        ASSERT_TRUE(r) << target;
        EXPECT_EQ(r->status, 404) << target;
        EXPECT_EQ(r->body.find("SECRET"), std::string::npos) << target;
        EXPECT_EQ(r->body.find("must never"), std::string::npos) << target;
        EXPECT_EQ(r->Header("content-type"), "application/problem+json") << target;
    }
    for (const char* target : {"/../etc/passwd", "/assets/../../secret.txt", "/%2e%2e/secret.txt"}) {
        auto r = site.Get(target);
        ASSERT_TRUE(r) << target;
        EXPECT_EQ(r->status, 400) << target;
    }
    // The API keeps its routes and its 404s; writing methods never reach the files.
    auto api = site.Get("/api/v1/ping");
    ASSERT_TRUE(api);
    EXPECT_EQ(api->body, "pong");
    auto post = site.Get("/", {}, "POST");
    ASSERT_TRUE(post);
    EXPECT_EQ(post->status, 404);
}

// The API reference is the one page under /api/, with a policy of its own (inline styles for
// Redoc); the dashboard's pages keep theirs.
TEST(StaticFiles, ApiDocsPageAtApiDocsWithItsOwnPolicy) {
    Dist dist;
    dist.Standard();
    dist.Write("api-docs.html", "<!doctype html><title>API reference</title>");
    Site site(dist.root());
    for (const char* target : {"/api/docs", "/api/docs?x=1", "/api-docs.html"}) {
        auto r = site.Get(target);
        ASSERT_TRUE(r) << target;
        EXPECT_EQ(r->status, 200) << target;
        EXPECT_EQ(r->body, "<!doctype html><title>API reference</title>") << target;
        EXPECT_EQ(r->Header("content-type"), "text/html; charset=utf-8") << target;
        EXPECT_EQ(r->Header("content-security-policy"), kApiDocsCsp) << target;
        EXPECT_EQ(r->Header("x-content-type-options"), "nosniff");
    }
    // Scripts fall back to default-src 'self': nothing inline, nothing evaluated.
    EXPECT_EQ(std::string(kApiDocsCsp).find("script-src"), std::string::npos);
    EXPECT_TRUE(std::string(kApiDocsCsp).starts_with("default-src 'self';"));
    ExpectSecurityHeaders(*site.Get("/"));
    for (const char* target : {"/api/docs/", "/api/docs/index.html", "/api/docsx", "/api/v1/docs"}) {
        auto r = site.Get(target);
        ASSERT_TRUE(r) << target;
        EXPECT_EQ(r->status, 404) << target;
    }
}

TEST(StaticFiles, MissingBuildSaysHowToBuild) {
    Dist dist;
    Site missing(dist.root() / "not-there");
    EXPECT_FALSE(missing.files().Built());
    auto r = missing.Get("/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->Header("content-type"), "text/plain; charset=utf-8");
    EXPECT_NE(r->body.find("not built"), std::string::npos);
    EXPECT_NE(r->body.find("make run"), std::string::npos);
    ExpectSecurityHeaders(*r);
    auto asset = missing.Get("/assets/app.js");
    ASSERT_TRUE(asset);
    EXPECT_EQ(asset->status, 404);

    // A folder without index.html is not a build either.
    dist.Write("assets/app.js", "x");
    Site empty(dist.root());
    EXPECT_FALSE(empty.files().Built());
    auto page = empty.Get("/");
    ASSERT_TRUE(page);
    EXPECT_NE(page->body.find("not built"), std::string::npos);
}

TEST(StaticFiles, ChoosesCodingByAcceptEncoding) {
    struct Case {
        const char* accept;
        ContentCoding expected;
    };
    const std::vector<Case> cases = {
        {"", ContentCoding::kIdentity},
        {"gzip, deflate, br, zstd", ContentCoding::kBrotli},
        {"gzip", ContentCoding::kGzip},
        {"x-gzip", ContentCoding::kGzip},
        {"BR", ContentCoding::kBrotli},
        {"br;q=0", ContentCoding::kIdentity},
        {"br;q=0.000, gzip", ContentCoding::kGzip},
        {"br; q=0.1", ContentCoding::kBrotli},
        {"*", ContentCoding::kBrotli},
        {"*;q=0", ContentCoding::kIdentity},
        {"gzip;q=0, *", ContentCoding::kBrotli},
        {"identity", ContentCoding::kIdentity},
        {"deflate", ContentCoding::kIdentity},
    };
    for (const auto& c : cases) EXPECT_EQ(ChooseCoding(c.accept, true, true), c.expected) << c.accept;
    EXPECT_EQ(ChooseCoding("br", false, true), ContentCoding::kIdentity);
    EXPECT_EQ(ChooseCoding("br, gzip", false, true), ContentCoding::kGzip);
    EXPECT_EQ(ChooseCoding("gzip, *;q=0", true, false), ContentCoding::kIdentity);
}

}  // namespace
}  // namespace nn::http
