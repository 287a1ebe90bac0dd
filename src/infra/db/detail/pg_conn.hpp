#pragma once

// Private: the thin libpq wrapper (cpp-anchors d1). One PGconn, its socket registered with Asio,
// the flush/read loops of libpq's non-blocking rules and the per-call deadline. Everything else
// (prepared statements, error translation, pools) is built on top of it.

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "infra/db/errors.hpp"

namespace nn::db::detail {

using Clock = std::chrono::steady_clock;

struct PgResultDeleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

// What to do when the deadline of the current operation passes.
enum class OnDeadline {
    kCancelQuery,  // ask the server to cancel and wait a grace period for it to answer
    kGiveUp,       // stop waiting (connect, waiting for notifications)
};

class PgConn : public std::enable_shared_from_this<PgConn> {
public:
    explicit PgConn(boost::asio::any_io_executor executor);
    ~PgConn();
    PgConn(const PgConn&) = delete;
    PgConn& operator=(const PgConn&) = delete;

    // Starts and drives PQconnectStartParams/PQconnectPoll until the connection is up, then
    // switches libpq to non-blocking mode. `options` are libpq keywords and values. Throws
    // ConnectionError.
    boost::asio::awaitable<void> Connect(std::vector<std::pair<std::string, std::string>> options,
                                         Clock::time_point deadline);

    PGconn* Get() const noexcept { return conn_; }
    const boost::asio::any_io_executor& Executor() const noexcept { return executor_; }

    void ArmDeadline(Clock::time_point deadline, OnDeadline mode, std::chrono::milliseconds grace);
    void DisarmDeadline();
    bool CancelSent() const noexcept { return cancel_sent_; }

    // false when the deadline (and, for kCancelQuery, the grace after the cancel) passed.
    boost::asio::awaitable<bool> WaitReadable();
    boost::asio::awaitable<bool> WaitWritable();
    boost::asio::awaitable<bool> WaitReadOrWrite();

    // Sends what libpq has queued (PQflush until 0). Throws ConnectionError / DeadlineExceeded.
    boost::asio::awaitable<void> Flush();
    // The next result of the current command; null when the command is complete.
    boost::asio::awaitable<PgResultPtr> NextResult();

    bool Broken() const noexcept { return broken_ || conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD; }
    void MarkBroken() noexcept { broken_ = true; }
    std::uint64_t Notices() const noexcept { return notices_; }

    // The server's fields of an error result; parameters never appear in them.
    ErrorInfo ErrorFrom(const PGresult* result, std::string_view query_name) const;
    // ConnectionError with libpq's current message; marks the connection broken.
    [[noreturn]] void ThrowConnectionError(std::string_view what, std::string_view query_name = {});
    // DeadlineExceeded; the connection is broken when the server did not answer the cancel.
    [[noreturn]] void ThrowDeadline(std::string_view query_name = {});

private:
    boost::asio::awaitable<bool> Wait(int kind);
    void EnsureTimer(Clock::time_point at);
    void RefreshSocket();
    void SendCancel();
    static void OnNotice(void* self, const PGresult* result);

    boost::asio::any_io_executor executor_;
    PGconn* conn_ = nullptr;
    boost::asio::posix::stream_descriptor socket_;
    boost::asio::steady_timer timer_;
    OnDeadline mode_ = OnDeadline::kGiveUp;
    std::chrono::milliseconds grace_{0};
    Clock::time_point deadline_ = Clock::time_point::max();  // of the operation in progress
    Clock::time_point timer_at_;
    bool timer_pending_ = false;
    std::uint64_t timer_generation_ = 0;
    bool expired_ = false;
    bool cancel_sent_ = false;
    bool broken_ = false;
    std::uint64_t notices_ = 0;
};

// Arms the deadline for the lifetime of one operation.
class DeadlineGuard {
public:
    DeadlineGuard(PgConn& conn, Clock::time_point deadline, OnDeadline mode, std::chrono::milliseconds grace)
        : conn_(conn) {
        conn_.ArmDeadline(deadline, mode, grace);
    }
    ~DeadlineGuard() { conn_.DisarmDeadline(); }
    DeadlineGuard(const DeadlineGuard&) = delete;
    DeadlineGuard& operator=(const DeadlineGuard&) = delete;

private:
    PgConn& conn_;
};

}  // namespace nn::db::detail
