#include "infra/mail/eml_mailer.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "core/error.hpp"
#include "infra/runtime/cpu_pool.hpp"

namespace nn::mail {
namespace {

namespace fs = std::filesystem;

// File writes are rare and short; one thread keeps fsync off the event loops, and the queue
// bound only guards against a runaway producer.
constexpr std::size_t kMaxQueued = 1024;

[[noreturn]] void Failed(const std::string& what, int error) {
    throw Error(ErrorKind::kUnavailable, "mail.unavailable", what + ": " + std::strerror(error));
}

// "20250304T090507.123Z": sorts by time and contains no character a file system dislikes.
std::string FileTimestamp(std::chrono::system_clock::time_point now) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[80];
    std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

// The kind goes into a file name: keep [a-z0-9_-] so it cannot leave the directory.
std::string SafeKind(const std::string& kind) {
    std::string out;
    for (char c : kind.substr(0, 40)) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        out += ok ? c : '_';
    }
    return out.empty() ? "mail" : out;
}

void WriteAll(int fd, const std::string& data, const fs::path& path) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            Failed("writing " + path.string(), errno);
        }
        done += static_cast<std::size_t>(n);
    }
}

fs::path WriteDurably(const fs::path& dir, const std::string& kind, const std::string& content) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) Failed("creating " + dir.string(), ec.value());
    std::string name =
        FileTimestamp(std::chrono::system_clock::now()) + "-" + SafeKind(kind) + "-" + RandomHex(6);
    fs::path final_path = dir / (name + ".eml");
    // Hidden and without the .eml suffix, so a reader listing *.eml never sees a partial file.
    fs::path temp_path = dir / ("." + name + ".tmp");
    int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) Failed("creating " + temp_path.string(), errno);
    try {
        WriteAll(fd, content, temp_path);
        if (::fsync(fd) != 0) Failed("syncing " + temp_path.string(), errno);
        int closed = ::close(fd);
        fd = -1;
        if (closed != 0) Failed("closing " + temp_path.string(), errno);
        if (::rename(temp_path.c_str(), final_path.c_str()) != 0)
            Failed("renaming to " + final_path.string(), errno);
    } catch (...) {
        if (fd >= 0) ::close(fd);
        ::unlink(temp_path.c_str());
        throw;
    }
    // The rename is durable only once the directory entry is on disk.
    int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) Failed("opening " + dir.string(), errno);
    int synced = ::fsync(dir_fd);
    int sync_errno = errno;
    ::close(dir_fd);
    if (synced != 0) Failed("syncing " + dir.string(), sync_errno);
    return final_path;
}

class EmlMailer final : public Mailer {
public:
    EmlMailer(fs::path dir, Mailbox from) : dir_(std::move(dir)), from_(std::move(from)) {}

    boost::asio::awaitable<void> Send(Message message) override {
        std::string content = BuildMessage(message, from_, NewStamp(from_));
        // Named, not written inside the co_await: GCC 12 miscompiles a capturing lambda there.
        auto write = [this, &message, &content] { return WriteDurably(dir_, message.kind, content); };
        auto path = co_await io_.Run(write);
        // Without SMTP this console line is how a local user reaches the verify or reset page
        // (`make run`); the link is a one-time token for the user's own machine. Never logged by
        // the SMTP mailer.
        if (message.link.empty()) {
            spdlog::info("mail to {}: {}", message.to, message.subject);
        } else {
            spdlog::info("mail to {}: {} \u2014 {}", message.to, message.subject, message.link);
        }
        spdlog::debug("mail: {} message written to {}", message.kind, path.string());
    }

private:
    fs::path dir_;
    Mailbox from_;
    runtime::CpuPool io_{1, kMaxQueued};
};

}  // namespace

std::unique_ptr<Mailer> MakeEmlMailer(std::filesystem::path dir, Mailbox from) {
    return std::make_unique<EmlMailer>(std::move(dir), std::move(from));
}

}  // namespace nn::mail
