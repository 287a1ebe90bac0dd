// Abuse-resistant password checks (issue 15, items 4, 8, 9, 10): parallel guesses all count,
// one address cannot lock a victim out, /me/password meets the login limits, and forgot-password
// answers without waiting for its database write.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "auth/auth_fixture.hpp"

namespace nn::auth {
namespace {

using testing::Harness;
using testing::HarnessOptions;
using testing::S;

using testing::Email;

std::string AbuseLoginBody(const std::string& email, const std::string& password) {
    return R"({"email":")" + email + R"(","password":")" + password + R"("})";
}

// Ten wrong passwords at once: each read the same counters and wrote them back, so most were lost.
TEST(AuthAbuse, ParallelWrongPasswordsAllCount) {
    HarnessOptions o;
    o.settings.lockout_threshold = 4;
    o.settings.lockout_base = std::chrono::seconds(60);
    o.settings.login_failures_per_source = 1000;
    o.settings.login_attempts_per_ip = 1000;
    Harness h(o);
    const auto email = Email("par");
    h.SignUp(email);
    std::vector<std::future<int>> calls;
    for (int i = 0; i < 10; ++i) {
        calls.push_back(std::async(std::launch::async, [&h, &email] {
            return h.Call("POST", "/api/v1/auth/login", AbuseLoginBody(email, "wrong password here")).status;
        }));
    }
    for (auto& c : calls) EXPECT_EQ(c.get(), 401);
    const auto counted = h.Scalar(
        "SELECT lockout_count * 4 + failed_login_count FROM auth.users WHERE email = '" + email + "'");
    // Failures after the first lockout are refused without a check ("LOCKED") and not counted.
    const auto locked = h.Scalar("SELECT count(*) FROM auth.login_attempts WHERE email = '" + email +
                                 "' AND failure_reason = 'LOCKED'");
    EXPECT_EQ(std::stol(counted) + std::stol(locked), 10) << "every failure is counted once";
    EXPECT_GE(std::stol(h.Scalar("SELECT lockout_count FROM auth.users WHERE email = '" + email + "'")), 1);
}

// One address guessing wrong locked the account for its owner everywhere (lockout after 5).
TEST(AuthAbuse, OneAddressCannotLockTheVictimOut) {
    HarnessOptions o;
    o.settings.login_failures_per_source = 3;
    o.settings.login_attempts_per_ip = 1000;
    Harness h(o);
    const auto email = Email("victim");
    h.SignUp(email);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(
            h.Call("POST", "/api/v1/auth/login", AbuseLoginBody(email, "guess number one"), {}, "127.0.0.2")
                .status,
            401);
    }
    auto blocked =
        h.Call("POST", "/api/v1/auth/login", AbuseLoginBody(email, "correct horse battery"), {}, "127.0.0.2");
    EXPECT_EQ(blocked.status, 429) << "the attacker's address is stopped, even with the right password";
    EXPECT_FALSE(blocked.headers["retry-after"].empty());
    auto owner = h.Call("POST", "/api/v1/auth/login", AbuseLoginBody(email, "correct horse battery"));
    EXPECT_EQ(owner.status, 200) << owner.body;
}

// /me/password checked the current password with no limit and no lockout.
TEST(AuthAbuse, PasswordChangeMeetsTheLoginLimitsAndLockout) {
    HarnessOptions o;
    o.settings.login_failures_per_source = 4;
    o.settings.login_attempts_per_ip = 1000;
    o.settings.lockout_threshold = 3;
    o.settings.lockout_base = std::chrono::seconds(60);
    Harness h(o);
    const auto email = Email("chg");
    const auto token = S(h.SignUp(email), "access_token");
    auto change = [&](const std::string& current) {
        return h.Bearer(
            "POST", "/api/v1/me/password", token,
            R"({"current_password":")" + current + R"(","new_password":"another long passphrase"})");
    };
    EXPECT_EQ(change("wrong guess one").status, 422);
    EXPECT_EQ(change("wrong guess two").status, 422);
    EXPECT_EQ(change("wrong guess three").status, 422);
    EXPECT_EQ(h.Scalar("SELECT lockout_count FROM auth.users WHERE email = '" + email + "'"), "1")
        << "three wrong current passwords lock the account like three wrong logins";
    auto locked = change("correct horse battery");
    EXPECT_EQ(locked.status, 429) << locked.body;
    EXPECT_EQ(change("correct horse battery").status, 429) << "and the per-source limit holds too";
}

// The answer for an existing account waited for its reset-token write; an unknown one did not.
TEST(AuthAbuse, ForgotPasswordAnswersWithoutWaitingForItsWrite) {
    HarnessOptions o;
    o.settings.requests_per_ip = 1000;
    Harness h(o);
    const auto email = Email("forgot");
    h.SignUp(email);
    PGconn* lock = PQconnectdb(h.Db().c_str());
    ASSERT_EQ(PQstatus(lock), CONNECTION_OK);
    PQclear(PQexec(lock, "BEGIN"));
    PQclear(PQexec(lock, "LOCK TABLE auth.password_reset_tokens IN ACCESS EXCLUSIVE MODE"));
    const auto start = std::chrono::steady_clock::now();
    auto r = h.Call("POST", "/api/v1/auth/password/forgot", R"({"email":")" + email + R"("})");
    const auto took = std::chrono::steady_clock::now() - start;
    PQclear(PQexec(lock, "COMMIT"));
    PQfinish(lock);
    EXPECT_EQ(r.status, 202) << r.body;
    EXPECT_LT(took, std::chrono::milliseconds(1000)) << "the write happens after the answer";
    std::string token;
    for (int i = 0; i < 100 && token.empty(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        token = h.mailer().LastToken(email, "password_reset");
    }
    EXPECT_FALSE(token.empty()) << "the reset mail is still sent";
}

}  // namespace
}  // namespace nn::auth
