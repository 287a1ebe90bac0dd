// Auth: login throughput / raw argon2id verifications per second (same CPU pool size), in the
// same run. GET /api/v1/me against the bare route and its p99 during a login flood are in
// bench/reads_bench.cpp (with /api/v1/portfolios, at 16 and 64 connections).
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
    h.SignUp(email);
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

    return 0;
}
