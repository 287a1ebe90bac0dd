#pragma once

// Test helper (not part of nn_db): a private pgbouncer 1.18 in transaction mode in front of the
// test cluster, on a free loopback port, stopped by the destructor. pgbouncer refuses to run as
// root, so as root it drops to the 'postgres' system user (-u), like scripts/services.sh does
// for PostgreSQL.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>

#include "tests/support/test_env.hpp"

namespace nn::db::testkit {

class PgBouncer {
public:
    // `pool_size` server connections per (user, database): small, so that consecutive
    // transactions of one client land on different server connections.
    explicit PgBouncer(int pool_size = 2) {
        const std::string admin = nn::test::PgUrl();
        static const std::regex kUrl(R"(^postgres(?:ql)?://([^:@/]+):([^@/]*)@([^:/]+):(\d+)/.*$)");
        std::smatch m;
        if (!std::regex_match(admin, m, kUrl))
            throw std::runtime_error("unexpected NEXANEST_TEST_PG_URL form");
        user_ = m[1];
        password_ = m[2];
        std::random_device rd;
        dir_ = "/tmp/nn-pgbouncer-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000);
        std::filesystem::create_directories(dir_);
        ::chmod(dir_.c_str(), 0755);
        {
            std::ofstream users(dir_ + "/users.txt");
            users << '"' << user_ << "\" \"" << password_ << "\"\n";
        }
        const bool root = ::geteuid() == 0;
        if (root) {
            std::system(("chown -R postgres " + dir_).c_str());
            ::chmod((dir_ + "/users.txt").c_str(), 0600);
        }
        // A port the kernel just handed out, and up to 3 tries: another process may take it
        // between our probe and pgbouncer's bind.
        for (int attempt = 0; attempt < 3; ++attempt) {
            port_ = FreePort();
            {
                std::ofstream ini(dir_ + "/pgbouncer.ini");
                ini << "[databases]\n* = host=" << m[3] << " port=" << m[4] << "\n"
                    << "[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = " << port_ << "\n"
                    << "unix_socket_dir =\nauth_type = scram-sha-256\nauth_file = " << dir_ << "/users.txt\n"
                    << "pool_mode = transaction\ndefault_pool_size = " << pool_size << "\n"
                    << "max_client_conn = 200\nlogfile = " << dir_ << "/pgbouncer.log\npidfile = " << dir_
                    << "/pgbouncer.pid\n";
            }
            const std::string cmd =
                std::string("pgbouncer -q -d ") + (root ? "-u postgres " : "") + dir_ + "/pgbouncer.ini";
            if (std::system(cmd.c_str()) != 0) continue;
            for (int i = 0; i < 100; ++i) {
                if (Accepts(port_)) return;
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            Stop();
        }
        throw std::runtime_error("pgbouncer did not start (is it installed? see " + dir_ + "/pgbouncer.log)");
    }
    ~PgBouncer() {
        Stop();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    PgBouncer(const PgBouncer&) = delete;
    PgBouncer& operator=(const PgBouncer&) = delete;

    // The test superuser's URL to `database`, through pgbouncer.
    std::string Url(const std::string& database) const {
        return "postgresql://" + user_ + ":" + password_ + "@127.0.0.1:" + std::to_string(port_) + "/" +
               database;
    }

private:
    static int FreePort() {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        socklen_t len = sizeof a;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            ::close(fd);
            throw std::runtime_error("no free loopback port");
        }
        ::close(fd);
        return ntohs(a.sin_port);
    }
    static bool Accepts(int port) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        return ok;
    }
    // SIGTERM to the daemon named in the pid file (it exits at once; a zombie it may leave
    // behind under a container's init does not matter).
    void Stop() {
        std::ifstream pidfile(dir_ + "/pgbouncer.pid");
        long pid = 0;
        if (pidfile >> pid && pid > 0) {
            ::kill(static_cast<pid_t>(pid), SIGTERM);
            for (int i = 0; i < 50 && Accepts(port_); ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        std::error_code ignored;
        std::filesystem::remove(dir_ + "/pgbouncer.pid", ignored);
    }

    std::string user_, password_, dir_;
    int port_ = 0;
};

}  // namespace nn::db::testkit
