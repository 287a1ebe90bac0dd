#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/test_env.hpp"

extern char** environ;

// Helpers shared by this folder's tests (not part of the library).
namespace nn::mail::test_util {

namespace asio = boost::asio;
namespace fs = std::filesystem;

inline std::string ReadFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
public:
    TempDir() : path_(fs::temp_directory_path() / nn::test::UniqueName("nn_mail_")) {
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& Path() const { return path_; }

private:
    fs::path path_;
};

// Debian's python3 (with python3-aiosmtpd), not a pyenv or venv interpreter on the PATH.
inline std::string Python() {
    const char* v = std::getenv("NEXANEST_TEST_PYTHON");
    return v != nullptr && *v != '\0' ? v : "/usr/bin/python3";
}

inline std::string SinkScript() {
    return nn::test::SourceDir() + "/src/infra/mail/testdata/smtp_sink.py";
}

// Runs a command with arguments, stdout into `out_file`; returns the exit status.
inline int Run(const std::vector<std::string>& args, const fs::path& out_file) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, (out_file.string() + ".err").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + args[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Parses an .eml file with Python's email package (testdata/smtp_sink.py parse).
inline boost::json::object ParseEml(const fs::path& file) {
    auto out = file.string() + ".parsed.json";
    int rc = Run({Python(), SinkScript(), "parse", file.string()}, out);
    if (rc != 0) throw std::runtime_error("parsing " + file.string() + " failed: " + ReadFile(out + ".err"));
    auto parsed = boost::json::parse(ReadFile(out)).as_object();
    fs::remove(out);
    fs::remove(out + ".err");
    return parsed;
}

// A self-signed certificate (its own CA) for `subject_alt_name`, e.g. "DNS:localhost,IP:127.0.0.1".
struct Cert {
    fs::path cert;
    fs::path key;
};

inline Cert MakeCert(const fs::path& dir, const std::string& name, const std::string& subject_alt_name) {
    Cert c{dir / (name + ".pem"), dir / (name + ".key")};
    int rc = Run({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                  c.key.string(), "-out", c.cert.string(), "-days", "2", "-subj", "/CN=" + name, "-addext",
                  "subjectAltName=" + subject_alt_name},
                 dir / (name + ".log"));
    if (rc != 0) throw std::runtime_error("openssl req failed: " + ReadFile(dir / (name + ".log.err")));
    return c;
}

// The Python SMTP sink (testdata/smtp_sink.py serve), on a free loopback port for the life of
// this object.
class SmtpSink {
public:
    explicit SmtpSink(const std::vector<std::string>& options = {}) {
        dir_ = tmp_.Path() / "sink";
        fs::create_directories(dir_);
        std::vector<std::string> args = {Python(), SinkScript(), "serve", "--dir", dir_.string()};
        args.insert(args.end(), options.begin(), options.end());
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        log_ = tmp_.Path() / "sink.log";
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw std::runtime_error("cannot start the SMTP sink");
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (!fs::exists(dir_ / "port")) {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = 0;
                throw std::runtime_error("the SMTP sink exited: " + ReadFile(log_));
            }
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("the SMTP sink did not start");
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        port_ = std::stoi(ReadFile(dir_ / "port"));
    }
    ~SmtpSink() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            int status = 0;
            waitpid(pid_, &status, 0);
        }
    }
    SmtpSink(const SmtpSink&) = delete;
    SmtpSink& operator=(const SmtpSink&) = delete;

    int Port() const { return port_; }
    std::string Log() const { return ReadFile(log_); }

    // The n-th received message (1-based) as the sink described it; waits for it to arrive.
    boost::json::object Message(int n, std::chrono::seconds wait = std::chrono::seconds(10)) const {
        auto file = dir_ / ("msg-" + std::to_string(n) + ".json");
        auto deadline = std::chrono::steady_clock::now() + wait;
        while (!fs::exists(file)) {
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("message " + std::to_string(n) +
                                         " did not arrive; sink log: " + Log());
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return boost::json::parse(ReadFile(file)).as_object();
    }

    std::string Raw(int n) const { return ReadFile(dir_ / ("msg-" + std::to_string(n) + ".eml")); }

    int Count() const {
        int n = 0;
        for (const auto& e : fs::directory_iterator(dir_)) n += e.path().extension() == ".json" ? 1 : 0;
        return n;
    }

private:
    TempDir tmp_;
    fs::path dir_;
    fs::path log_;
    pid_t pid_ = 0;
    int port_ = 0;
};

// Python returns text with the line breaks of the wire (CRLF); the tests compare with "\n".
inline std::string Lf(std::string s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
        out += s[i];
    }
    return out;
}

inline std::string Str(const boost::json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

inline std::string Header(const boost::json::object& o, const char* name) {
    return Str(o.at("headers").as_object(), name);
}

}  // namespace nn::mail::test_util
