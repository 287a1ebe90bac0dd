#include "infra/runtime/logging.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace nn::runtime {
namespace {

// %* : the message, escaped for a JSON string, so a JSON log line stays one valid object
// whatever the message holds.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        auto escaped = JsonEscape(std::string(msg.payload.data(), msg.payload.size()));
        dest.append(escaped.data(), escaped.data() + escaped.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<JsonMessageFlag>();
    }
};

std::unique_ptr<spdlog::formatter> MakeFormatter(LogFormat format) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    if (format == LogFormat::kJson) {
        formatter->add_flag<JsonMessageFlag>('*').set_pattern(
            R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":"%*"})");
    } else {
        formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ %v");
    }
    return formatter;
}

constexpr std::size_t kBatchBytes = 64 << 10;
constexpr std::size_t kMaxBuffered = 4 << 20;
constexpr std::size_t kPipeAtomic = 4096;  // PIPE_BUF: larger writes to a pipe may interleave
constexpr std::chrono::milliseconds kInterval{200};

// Formats on the caller's thread into a buffer; a writer thread writes the buffer in batches.
class BatchingSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit BatchingSink(int fd) : fd_(fd) {
        struct stat st {};
        // Another writer (the process logger) shares a pipe or socket: keep each write whole
        // lines of at most PIPE_BUF bytes so that lines never interleave.
        chunked_ = fstat(fd, &st) != 0 || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
        writer_ = std::thread([this] { Run(); });
    }
    ~BatchingSink() override {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_one();
        writer_.join();
    }

    std::uint64_t Dropped() const noexcept { return dropped_total_.load(std::memory_order_relaxed); }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        if (buffer_.size() >= kMaxBuffered) {
            ++dropped_;
            dropped_total_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        spdlog::memory_buf_t formatted;
        formatter_->format(msg, formatted);
        buffer_.append(formatted.data(), formatted.size());
        if (buffer_.size() >= kBatchBytes && !woken_) {
            woken_ = true;
            wake_.notify_one();
        }
    }

    // Called with mutex_ held (base_sink::flush): waits until the writer wrote what is buffered.
    void flush_() override {
        const std::uint64_t target = ++flush_requests_;
        wake_.notify_one();
        std::unique_lock lock(mutex_, std::adopt_lock);
        flushed_.wait(lock, [&] { return flushes_done_ >= target || exited_; });
        lock.release();
    }

private:
    void Run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait_for(lock, kInterval, [&] {
                return stop_ || buffer_.size() >= kBatchBytes || flush_requests_ > flushes_done_;
            });
            const std::uint64_t requests = flush_requests_;
            const bool stopping = stop_;
            std::string out;
            out.swap(buffer_);
            buffer_.swap(spare_);
            woken_ = false;
            if (dropped_ > 0) {
                spdlog::memory_buf_t notice;
                const std::string text = "access log: " + std::to_string(dropped_) +
                                         " lines dropped (the log output did not keep up)";
                spdlog::details::log_msg msg(spdlog::string_view_t("nexanest.access"), spdlog::level::warn,
                                             spdlog::string_view_t(text));
                formatter_->format(msg, notice);
                out.append(notice.data(), notice.size());
                dropped_ = 0;
            }
            lock.unlock();
            Write(out);
            out.clear();
            lock.lock();
            if (out.capacity() <= kBatchBytes * 4 && spare_.capacity() < out.capacity()) spare_.swap(out);
            flushes_done_ = requests;
            flushed_.notify_all();
            if (stopping && buffer_.empty()) break;
        }
        exited_ = true;
        flushed_.notify_all();
    }

    void Write(std::string_view data) const {
        while (!data.empty()) {
            std::size_t n = data.size();
            if (chunked_ && n > kPipeAtomic) {
                const auto cut = data.rfind('\n', kPipeAtomic - 1);
                n = cut == std::string_view::npos ? data.find('\n') : cut + 1;
                if (n == std::string_view::npos) n = data.size();
            }
            if (!WriteAll(data.substr(0, n))) return;
            data.remove_prefix(n);
        }
    }

    bool WriteAll(std::string_view data) const {
        while (!data.empty()) {
            const ssize_t n = ::write(fd_, data.data(), data.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                return false;
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    int fd_;
    bool chunked_ = false;
    // Guarded by mutex_ (base_sink's).
    std::string buffer_, spare_;
    std::uint64_t dropped_ = 0;
    std::uint64_t flush_requests_ = 0, flushes_done_ = 0;
    bool woken_ = false, stop_ = false, exited_ = false;
    std::condition_variable wake_, flushed_;
    std::atomic<std::uint64_t> dropped_total_{0};
    std::thread writer_;
};

}  // namespace

void InitLogging(const std::string& level, LogFormat format) {
    spdlog::drop("nexanest");
    auto logger = spdlog::stderr_color_mt("nexanest");
    logger->set_formatter(MakeFormatter(format));
    logger->set_level(spdlog::level::from_str(level));
    spdlog::set_default_logger(logger);
    auto access = AccessLogger();
    access->set_formatter(MakeFormatter(format));
    access->set_level(spdlog::level::from_str(level));
}

std::shared_ptr<spdlog::logger> MakeBatchingLogger(const std::string& name, int fd, LogFormat format) {
    auto logger = std::make_shared<spdlog::logger>(name, std::make_shared<BatchingSink>(fd));
    logger->set_formatter(MakeFormatter(format));
    logger->set_level(spdlog::level::info);
    return logger;
}

std::shared_ptr<spdlog::logger> AccessLogger() {
    static const std::shared_ptr<spdlog::logger> logger = [] {
        auto made = MakeBatchingLogger("nexanest.access", STDERR_FILENO, LogFormat::kText);
        // In the registry, so that spdlog::set_level (tests, benchmarks, tools) applies to it
        // as it did when access lines went through the default logger.
        if (!spdlog::get(made->name())) spdlog::register_logger(made);
        return made;
    }();
    return logger;
}

std::uint64_t DroppedLines(const spdlog::logger& logger) {
    std::uint64_t total = 0;
    for (const auto& sink : logger.sinks()) {
        if (const auto* batching = dynamic_cast<const BatchingSink*>(sink.get()))
            total += batching->Dropped();
    }
    return total;
}

std::string JsonEscape(const std::string& s) {
    std::string out;
    out.reserve(s.size() + 8);
    for (unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    static constexpr char kHex[] = "0123456789abcdef";
                    out += "\\u00";
                    out.push_back(kHex[c >> 4]);
                    out.push_back(kHex[c & 0xf]);
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
    }
    return out;
}

}  // namespace nn::runtime
