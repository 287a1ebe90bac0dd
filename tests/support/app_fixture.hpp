#pragma once

// What the in-process App tests of every domain share: the suite's migrated databases
// (suite_databases.hpp), the App's configuration against them, a test authenticator, and the App
// itself on shards of its own with a blocking HTTP client (AppHost, TestUserAppHost). A domain's
// fixture keeps only its own part: which databases, which modules with which options, its own
// helpers. Header-only: it needs nn_app, nn_auth and nn_migrate, which only the domain tests link
// (nn_test_support stays below them).
#include <chrono>
#include <concepts>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "auth/principal.hpp"
#include "infra/app/app.hpp"
#include "infra/http/test_server.hpp"
#include "infra/migrate/migrator.hpp"
#include "tests/support/suite_databases.hpp"
#include "tests/support/test_env.hpp"

namespace nn::test {

// An App configuration on 127.0.0.1:0 against the suite's databases and the test Redis.
inline runtime::Config AppConfig(const migrate::Options& databases,
                                 std::string services,
                                 std::chrono::milliseconds redis_timeout = std::chrono::milliseconds(300)) {
    runtime::Config c;
    c.listen_port = 0;
    c.threads = 2;
    c.services = std::move(services);
    c.database_url = Secret(PgUrl());
    c.database_prefix = databases.prefix;
    c.db_service_password = Secret(ServicePassword());
    c.redis_url = Secret(RedisUrl());
    c.redis_timeout = redis_timeout;
    return c;
}

// Turns the X-Test-User header ("<uuid>:<ROLE>") into the principal, with the role's
// permissions; the auth service's own tests cover real tokens.
inline void AddTestUserAuthenticator(App& app) {
    app.AddAuthenticator([](http::Request& req) -> boost::asio::awaitable<void> {
        auto h = std::string(req.Header("X-Test-User"));
        auto colon = h.find(':');
        if (colon == std::string::npos) co_return;
        auth::Principal p;
        p.user_id = *UserId::Parse(h.substr(0, colon));
        p.role = *auth::ParseRole(h.substr(colon + 1));
        p.scopes = auth::PermissionStrings(p.role);
        // X-Test-Scopes "a,b" narrows the principal to those scopes, as an API key would be.
        if (req.HasHeader("X-Test-Scopes")) {
            p.scopes.clear();
            p.is_api_key = true;
            std::string list(req.Header("X-Test-Scopes"));
            for (std::size_t start = 0; start <= list.size();) {
                auto comma = list.find(',', start);
                if (comma == std::string::npos) comma = list.size();
                if (comma > start) p.scopes.push_back(list.substr(start, comma - start));
                start = comma + 1;
            }
        }
        // X-Test-Live names the copy of the user's liveness facts the request was checked
        // against (auth's bearer authenticator sets a real one): the same name, the same copy; a
        // new name, a replaced copy. Without it the principal has none, as with an API key.
        if (req.HasHeader("X-Test-Live")) {
            static std::mutex mutex;
            static std::map<std::string, std::shared_ptr<const void>> copies;
            std::lock_guard lock(mutex);
            auto& copy = copies[std::string(req.Header("X-Test-Live"))];
            if (!copy) copy = std::make_shared<const int>(0);
            p.live = copy;
        }
        req.principal_key = p.user_id.ToString();
        req.principal = p;
    });
}

// One answer of the App: status 0 when none came (refused, timed out).
struct AppReply {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;

    boost::json::value Json() const { return boost::json::parse(body); }
    // A string member of the JSON object body ("" when absent or not a string).
    std::string Field(std::string_view key) const {
        auto v = Json();
        const auto* f = v.as_object().if_contains(key);
        return f && f->is_string() ? std::string(f->as_string()) : std::string();
    }
    std::string Header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string() : it->second;
    }
};

// An in-process App on 127.0.0.1:0 on `config.threads` shards of its own. The fixture makes it
// (MakeApp), registers its modules on app_, starts it (StartApp), talks to it over HTTP (Call) or
// runs coroutines on its shards (Run). StopApp stops the App, then its shards; the App itself is
// destroyed with the host, after what the derived fixture holds (its modules and services).
class AppHost {
public:
    AppHost() = default;
    ~AppHost() { StopApp(); }
    AppHost(const AppHost&) = delete;
    AppHost& operator=(const AppHost&) = delete;

    App& MakeApp(const runtime::Config& config) {
        shards_ = std::make_unique<http::testing::Shards>(config.threads);
        app_ = std::make_unique<App>(config, shards_->Pointers());
        return *app_;
    }
    std::uint16_t StartApp() { return port_ = app_->Start(); }
    void StopApp() {
        if (!app_ || stopped_) return;
        stopped_ = true;
        app_->Stop();
        shards_->Stop();
    }

    // One blocking request; a JSON Content-Type is added to a body that has none. `from` binds
    // the client to another loopback address (127.0.0.2, ...) for per-source limits.
    AppReply Call(const std::string& method,
                  const std::string& target,
                  const std::string& body = "",
                  std::map<std::string, std::string> headers = {},
                  const std::string& from = "") const {
        auto client = from.empty() ? http::testing::Client(port_) : http::testing::Client(port_, from);
        if (!body.empty() && !headers.count("Content-Type")) headers["Content-Type"] = "application/json";
        auto r = client.Request(method, target, body, headers, call_timeout_);
        AppReply out;
        if (!r) return out;
        out.status = r->status;
        out.headers = std::move(r->headers);
        out.body = std::move(r->body);
        return out;
    }

    // Runs `op` on the App's shard `shard` and waits for its value (or rethrows).
    template <class T>
    T Run(boost::asio::awaitable<T> op, std::size_t shard = 0) {
        return boost::asio::co_spawn(app_->Shard(shard), std::move(op), boost::asio::use_future).get();
    }
    // The same for a lambda coroutine that makes the op (it outlives the run).
    template <class Make>
    requires std::invocable<Make&>
    auto Run(Make make, std::size_t shard = 0) { return Run(make(), shard); }

    App& app() { return *app_; }
    std::uint16_t port() const { return port_; }

protected:
    std::unique_ptr<http::testing::Shards> shards_;
    std::unique_ptr<App> app_;
    std::uint16_t port_ = 0;
    // How long Call waits for an answer: a deadline for a hung server, not a latency check.
    std::chrono::milliseconds call_timeout_ = std::chrono::seconds(5);

private:
    bool stopped_ = false;
};

// An AppHost whose App takes its principal from X-Test-User (AddTestUserAuthenticator): the
// fixture of the domains other than auth. Call goes as a user ("" for none).
class TestUserAppHost : public AppHost {
public:
    App& MakeApp(const runtime::Config& config) {
        App& app = AppHost::MakeApp(config);
        AddTestUserAuthenticator(app);
        return app;
    }

    AppReply Call(const std::string& user,
                  const std::string& method,
                  const std::string& target,
                  const std::string& body = "",
                  std::map<std::string, std::string> headers = {}) const {
        if (!user.empty()) headers["X-Test-User"] = user;
        return AppHost::Call(method, target, body, std::move(headers));
    }

    // A fresh user as X-Test-User takes it: "<uuid>:<ROLE>".
    static std::string NewUser(std::string_view role = "USER") {
        return UserId::Generate().ToString() + ":" + std::string(role);
    }
    static std::string IdOf(const std::string& user) { return user.substr(0, 36); }
};

}  // namespace nn::test
