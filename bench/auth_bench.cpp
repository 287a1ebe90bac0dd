// Auth benchmarks, each a ratio to a limit measured in the same run:
//   1. login throughput / raw argon2id verifications per second (same CPU pool size),
//   2. GET /api/v1/me with a bearer token / the bare GET /healthz route,
//   3. p99 of GET /api/v1/me during a login flood / unloaded (goal <= 3x).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "auth/auth_fixture.hpp"
#include "infra/crypto/password.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using nn::auth::testing::Harness;

double Seconds(Clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

// Requests per second over `threads` keep-alive connections, each sending `per_thread` requests.
double Throughput(
    std::uint16_t port, const std::string& target, const std::string& token, int threads, int per_thread) {
    std::vector<std::thread> pool;
    std::atomic<int> failures{0};
    const auto start = Clock::now();
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            nn::http::testing::Client c(port);
            std::map<std::string, std::string> h;
            if (!token.empty()) h["Authorization"] = "Bearer " + token;
            for (int i = 0; i < per_thread; ++i) {
                auto r = c.Request("GET", target, "", h);
                if (!r || r->status != 200) ++failures;
            }
        });
    }
    for (auto& t : pool) t.join();
    const double s = Seconds(Clock::now() - start);
    if (failures) std::fprintf(stderr, "  %d failed requests on %s\n", failures.load(), target.c_str());
    return threads * per_thread / s;
}

double P99Ms(std::uint16_t port, const std::string& token, int n) {
    nn::http::testing::Client c(port);
    std::vector<double> ms;
    for (int i = 0; i < n; ++i) {
        const auto t0 = Clock::now();
        auto r = c.Request("GET", "/api/v1/me", "", {{"Authorization", "Bearer " + token}});
        ms.push_back(Seconds(Clock::now() - t0) * 1000);
        if (!r || r->status != 200) std::fprintf(stderr, "  /me failed\n");
    }
    std::sort(ms.begin(), ms.end());
    return ms[static_cast<std::size_t>(n * 0.99)];
}

}  // namespace

int main() {
    nn::auth::testing::HarnessOptions o;
    o.settings.login_attempts_per_ip = 1'000'000;
    o.settings.requests_per_ip = 1'000'000;
    Harness h(o);
    const auto cpu = h.config().cpu_threads;

    // 1. Raw argon2id: verifications per second on `cpu` threads (what the CPU pool allows).
    const auto phc = nn::crypto::HashPassword(std::string_view("correct horse battery"));
    const int raw_each = 6;
    auto start = Clock::now();
    {
        std::vector<std::thread> ts;
        for (std::size_t t = 0; t < cpu; ++t) {
            ts.emplace_back([&] {
                for (int i = 0; i < raw_each; ++i)
                    nn::crypto::VerifyPassword(phc, std::string_view("correct horse battery"));
            });
        }
        for (auto& t : ts) t.join();
    }
    const double raw_rate = cpu * raw_each / Seconds(Clock::now() - start);

    const std::string email = nn::test::UniqueName("bench_") + "@example.com";
    auto tokens = h.SignUp(email);
    const std::string access(tokens.at("access_token").as_string());
    const std::string body = R"({"email":")" + email + R"(","password":"correct horse battery"})";

    // Logins over 4 connections (the CPU pool is the bottleneck by design).
    const int login_threads = 4, logins_each = 4;
    start = Clock::now();
    {
        std::vector<std::thread> ts;
        for (int t = 0; t < login_threads; ++t) {
            ts.emplace_back([&] {
                nn::http::testing::Client c(h.port());
                for (int i = 0; i < logins_each; ++i) {
                    auto r =
                        c.Request("POST", "/api/v1/auth/login", body, {{"Content-Type", "application/json"}});
                    if (!r || r->status != 200)
                        std::fprintf(stderr, "  login failed: %d\n", r ? r->status : 0);
                }
            });
        }
        for (auto& t : ts) t.join();
    }
    const double login_rate = login_threads * logins_each / Seconds(Clock::now() - start);
    std::printf("login: %.1f logins/s vs raw argon2id %.1f verifications/s on %zu threads: ratio %.2f\n",
                login_rate, raw_rate, cpu, login_rate / raw_rate);

    // 2. /me vs /healthz.
    Throughput(h.port(), "/healthz", "", 2, 200);  // warm-up
    const double bare = Throughput(h.port(), "/healthz", "", 2, 2000);
    const double me = Throughput(h.port(), "/api/v1/me", access, 2, 2000);
    std::printf("GET /api/v1/me: %.0f req/s vs bare /healthz %.0f req/s: ratio %.2f\n", me, bare, me / bare);

    // 3. p99 of /me unloaded vs during a login flood.
    const double p99_idle = P99Ms(h.port(), access, 1000);
    std::atomic<bool> stop{false};
    std::vector<std::thread> flood;
    for (int t = 0; t < 6; ++t) {
        flood.emplace_back([&] {
            nn::http::testing::Client c(h.port());
            while (!stop)
                c.Request("POST", "/api/v1/auth/login", body, {{"Content-Type", "application/json"}});
        });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const double p99_flood = P99Ms(h.port(), access, 1000);
    stop = true;
    for (auto& t : flood) t.join();
    std::printf(
        "GET /api/v1/me p99: %.2f ms during a login flood vs %.2f ms unloaded: ratio %.2f (goal <= 3)\n",
        p99_flood, p99_idle, p99_flood / p99_idle);
    return 0;
}
