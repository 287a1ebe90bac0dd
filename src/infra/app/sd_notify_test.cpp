#include "infra/app/sd_notify.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "tests/support/test_env.hpp"

namespace nn::app {
namespace {

// A datagram socket bound like systemd's notify socket; receives one message.
class NotifySocket {
public:
    explicit NotifySocket(const std::string& name) : name_(name) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, name.data(), name.size());
        if (name[0] == '@') addr.sun_path[0] = '\0';
        auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0) << std::strerror(errno);
        timeval tv{2, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~NotifySocket() {
        ::close(fd_);
        if (name_[0] == '/') std::filesystem::remove(name_);
    }
    std::string Receive() {
        char buf[512];
        ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        return n < 0 ? std::string() : std::string(buf, static_cast<std::size_t>(n));
    }

private:
    std::string name_;
    int fd_ = -1;
};

TEST(SdNotify, SendsOneDatagramToAPathSocket) {
    auto path = (std::filesystem::temp_directory_path() / test::UniqueName("nn_notify_")).string();
    NotifySocket socket(path);
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
    EXPECT_TRUE(SdNotify("READY=1\nSTATUS=serving"));
    EXPECT_EQ(socket.Receive(), "READY=1\nSTATUS=serving");
    ::unsetenv("NOTIFY_SOCKET");
}

TEST(SdNotify, SendsToAnAbstractSocket) {
    auto name = "@" + test::UniqueName("nn_notify_");
    NotifySocket socket(name);
    ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
    EXPECT_TRUE(SdNotify("STOPPING=1"));
    EXPECT_EQ(socket.Receive(), "STOPPING=1");
    ::unsetenv("NOTIFY_SOCKET");
}

TEST(SdNotify, DoesNothingOutsideSystemd) {
    ::unsetenv("NOTIFY_SOCKET");
    EXPECT_FALSE(SdNotify("READY=1"));
    ::setenv("NOTIFY_SOCKET", "relative/path", 1);
    EXPECT_FALSE(SdNotify("READY=1"));
    ::unsetenv("NOTIFY_SOCKET");
}

}  // namespace
}  // namespace nn::app
