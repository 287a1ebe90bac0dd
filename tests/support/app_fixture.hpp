#pragma once

// What the in-process App tests of every domain share: the suite's migrated databases
// (suite_databases.hpp), the App's configuration against them, and a test authenticator. Header-only: it
// needs nn_app, nn_auth and nn_migrate, which only the domain tests link (nn_test_support stays below them).
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "auth/principal.hpp"
#include "infra/app/app.hpp"
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

}  // namespace nn::test
