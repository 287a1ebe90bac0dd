#pragma once

// The shared in-process App of tests/support/app_fixture.hpp with the auth module against a
// freshly migrated auth database and real tokens (no test authenticator), for the *_pgtest.cpp
// files of this folder (and the benchmark).

#include <libpq-fe.h>

#include <boost/json.hpp>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "auth/module.hpp"
#include "auth/test_keys.hpp"
#include "infra/app/app.hpp"
#include "infra/crypto/encoding.hpp"
#include "infra/crypto/key_ring.hpp"
#include "infra/crypto/random.hpp"
#include "infra/mail/mailer.hpp"
#include "infra/migrate/migrator.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace nn::auth::testing {

// Keeps every message instead of sending it.
class CapturingMailer final : public mail::Mailer {
public:
    boost::asio::awaitable<void> Send(mail::Message message) override {
        std::lock_guard lock(mu_);
        sent_.push_back(std::move(message));
        co_return;
    }
    std::vector<mail::Message> Sent() {
        std::lock_guard lock(mu_);
        return sent_;
    }
    // The token of the last message of `kind` to `to` ("" when none).
    std::string LastToken(const std::string& to, const std::string& kind) {
        std::lock_guard lock(mu_);
        static const std::regex kToken("token=([A-Za-z0-9_-]+)");
        for (auto it = sent_.rbegin(); it != sent_.rend(); ++it) {
            std::smatch m;
            if (it->to == to && it->kind == kind && std::regex_search(it->text_body, m, kToken)) return m[1];
        }
        return {};
    }

private:
    std::mutex mu_;
    std::vector<mail::Message> sent_;
};

using Reply = test::AppReply;

class Harness;

struct HarnessOptions {
    AuthSettings settings;
    bool redis_down = false;  // point Redis at a closed port
    std::size_t shards = 2;
    // Another instance of the same deployment: the same databases, Redis prefix and keys.
    const Harness* peer = nullptr;
};

class Harness : public test::AppHost {
public:
    explicit Harness(HarnessOptions o = {})
        : migrate_(o.peer
                       ? o.peer->migrate_
                       : std::make_shared<test::SuiteDatabases>(
                             "t_auth_", std::initializer_list<migrate::Database>{migrate::Database::kAuth})) {
        runtime::Config c;
        if (o.peer) {
            c = o.peer->config_;
        } else {
            c.database_url = Secret(test::PgUrl());
            c.database_prefix = migrate_->prefix;
            c.db_service_password = Secret(test::ServicePassword());
            Keys keys = TestKeys();
            keys.jwt_keys = Secret(crypto::NewKeyEntry("k1", 32) + "," + crypto::NewKeyEntry("k0", 32));
            PutKeys(c, keys);
        }
        c.listen_port = 0;
        c.threads = o.shards;
        c.services = "auth";
        c.redis_url = Secret(o.redis_down ? "redis://127.0.0.1:1/0" : test::RedisUrl());
        c.redis_timeout = std::chrono::milliseconds(300);
        c.cpu_threads = 2;
        config_ = c;
        redis_prefix_ = o.peer ? o.peer->redis_prefix_ : test::UniqueName("t_auth_rl_") + ":";
        MakeApp(c);
        mailer_ = std::make_shared<CapturingMailer>();
        ModuleOptions mo;
        mo.settings = o.settings;
        mo.settings.redis_prefix = redis_prefix_;
        mo.mailer = mailer_;
        directory_ = Register(*app_, mo);
        StartApp();
    }
    ~Harness() {
        StopApp();
        directory_.reset();
        app_.reset();  // before the last peer drops the databases
    }

    Reply Bearer(const std::string& method,
                 const std::string& target,
                 const std::string& token,
                 const std::string& body = "") {
        return Call(method, target, body, {{"Authorization", "Bearer " + token}});
    }

    std::string Db() const { return test::PgUrlFor(migrate_->prefix + "_auth"); }
    const std::string& RedisPrefix() const { return redis_prefix_; }
    // SET key value through this instance's Redis client (on shard 0, where it lives).
    void RedisSet(const std::string& key, const std::string& value) {
        Run([&]() -> boost::asio::awaitable<void> { co_await app_->Redis(0).Set(key, value); }());
    }
    std::string Scalar(const std::string& sql) { return test::QueryValue(Db(), sql); }
    long Count(const std::string& table) { return std::stol(Scalar("SELECT count(*) FROM " + table)); }

    // Register, verify by the mailed token, log in: the token pair JSON.
    boost::json::object SignUp(const std::string& email,
                               const std::string& password = "correct horse battery",
                               bool verify = true) {
        auto r = Call("POST", "/api/v1/auth/register",
                      R"({"email":")" + email + R"(","password":")" + password + R"("})");
        if (r.status != 202) throw std::runtime_error("register: " + r.body);
        if (verify) {
            auto token = mailer_->LastToken(email, "verification");
            auto v = Call("POST", "/api/v1/auth/verify-email", R"({"token":")" + token + R"("})");
            if (v.status != 200) throw std::runtime_error("verify: " + v.body);
        }
        return Login(email, password);
    }
    boost::json::object Login(const std::string& email,
                              const std::string& password = "correct horse battery") {
        auto r = Call("POST", "/api/v1/auth/login",
                      R"({"email":")" + email + R"(","password":")" + password + R"("})");
        if (r.status != 200) throw std::runtime_error("login: " + r.body);
        return r.Json().as_object();
    }

    CapturingMailer& mailer() { return *mailer_; }
    UserDirectory& directory() { return *directory_; }
    const runtime::Config& config() const { return config_; }

private:
    std::shared_ptr<test::SuiteDatabases> migrate_;  // dropped after the last peer's App is gone
    std::string redis_prefix_;
    runtime::Config config_;
    std::shared_ptr<CapturingMailer> mailer_;
    std::shared_ptr<UserDirectory> directory_;
};

// A fresh address per call ("<tag>_<unique>@example.com"): suites share the database set.
inline std::string Email(const std::string& tag) {
    return test::UniqueName(tag + "_") + "@example.com";
}

inline std::string S(const boost::json::object& o, std::string_view k) {
    return std::string(o.at(k).as_string());
}

}  // namespace nn::auth::testing
