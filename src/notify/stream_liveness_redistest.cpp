// Live streams end when their principal stops being live, and one user holds a bounded number
// of them (issue 15, item 3). A stream used to run until the client left, whatever happened to
// its session or account.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "auth/user_directory.hpp"
#include "infra/app/app.hpp"
#include "infra/migrate/migrator.hpp"
#include "notify/module.hpp"
#include "notify/notify_app_fixture.hpp"
#include "notify/sse_test_client.hpp"
#include "portfolio/notify_directory.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace nn::notify {
namespace {
namespace asio = boost::asio;
using testing::SseClient;

// Users are live until Kill; the auth module's own tests cover what makes a session dead.
class Directory final : public auth::UserDirectory {
public:
    void Kill(const std::string& user) {
        std::lock_guard lock(mutex_);
        dead_.insert(user);
    }
    asio::awaitable<std::optional<auth::UserStatus>> GetUser(UserId, std::size_t) override {
        co_return std::nullopt;
    }
    asio::awaitable<auth::AdvisorGrants> GrantsOf(UserId, std::size_t) override {
        co_return auth::AdvisorGrants{};
    }
    asio::awaitable<bool> StillLive(const auth::Principal& p, std::size_t) override {
        std::lock_guard lock(mutex_);
        co_return !dead_.count(p.user_id.ToString());
    }

private:
    std::mutex mutex_;
    std::set<std::string> dead_;
};

class StreamLiveness : public testing::NotifyApp<StreamLiveness> {
public:
    static constexpr const char* kPrefix = "t_nt_sl_";

protected:
    void Configure(ModuleOptions& mo) override {
        directory_ = std::make_shared<Directory>();
        mo.directory = directory_;
        mo.start_live_feed = false;
        mo.liveness_check = std::chrono::milliseconds(300);
        mo.max_streams_per_user = 3;
    }

    std::shared_ptr<Directory> directory_;
};

TEST_F(StreamLiveness, AStreamEndsSoonAfterItsPrincipalStopsBeingLive) {
    const auto user = NewUser();
    const auto other = NewUser();
    SseClient mine(port_, user);
    SseClient theirs(port_, other);
    ASSERT_TRUE(mine.Open());
    ASSERT_TRUE(theirs.Open());
    directory_->Kill(user.substr(0, 36));
    const auto start = std::chrono::steady_clock::now();
    auto events = mine.ReadFor(std::chrono::seconds(5), [](const auto& got) {
        for (const auto& e : got) {
            if (e.type == "end") return true;
        }
        return false;
    });
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(mine.Of("end").empty()) << mine.Raw();
    EXPECT_LT(took, std::chrono::seconds(3));
    theirs.ReadFor(std::chrono::milliseconds(700));
    EXPECT_TRUE(theirs.Of("end").empty()) << "another user's stream goes on";
}

TEST_F(StreamLiveness, OneUserHoldsABoundedNumberOfStreams) {
    const auto user = NewUser();
    std::vector<std::unique_ptr<SseClient>> open;
    for (int i = 0; i < 3; ++i) {
        open.push_back(std::make_unique<SseClient>(port_, user));
        ASSERT_TRUE(open.back()->Open()) << i;
    }
    SseClient fourth(port_, user);
    fourth.ReadFor(std::chrono::milliseconds(300));
    EXPECT_EQ(fourth.Status(), 429) << fourth.Raw().substr(0, 200);
    EXPECT_NE(fourth.Raw().find("stream.too_many"), std::string::npos) << fourth.Raw().substr(0, 400);
    EXPECT_NE(fourth.Raw().find("Retry-After: 5\r\n"), std::string::npos) << fourth.Raw().substr(0, 400);
    SseClient someone_else(port_, NewUser());
    EXPECT_TRUE(someone_else.Open());
    open.pop_back();  // closing one frees its slot once the server sees the disconnect
    bool reopened = false;
    for (int i = 0; i < 30 && !reopened; ++i) {
        SseClient again(port_, user);
        again.ReadFor(std::chrono::milliseconds(100));
        reopened = again.Status() == 200;
    }
    EXPECT_TRUE(reopened);
}

}  // namespace
}  // namespace nn::notify
