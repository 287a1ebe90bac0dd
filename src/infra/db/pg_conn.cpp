#include "infra/db/detail/pg_conn.hpp"

#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace nn::db::detail {
namespace asio = boost::asio;
namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// PQcancel blocks (it opens a new connection to the server) until PG17, so cancels run on a
// small thread pool of their own and never on an event loop.
asio::thread_pool& CancelThreads() {
    static asio::thread_pool pool(1);
    return pool;
}

struct CancelDeleter {
    void operator()(PGcancel* c) const noexcept { PQfreeCancel(c); }
};

std::string Field(const PGresult* r, int code) {
    const char* v = PQresultErrorField(r, code);
    return v == nullptr ? std::string() : std::string(v);
}

std::string Trimmed(const char* message) {
    std::string out = message == nullptr ? "" : message;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
}

}  // namespace

PgConn::PgConn(asio::any_io_executor executor) : executor_(executor), socket_(executor), timer_(executor) {}

PgConn::~PgConn() {
    timer_.cancel();
    // libpq owns the socket: Asio must forget it without closing it.
    if (socket_.is_open()) socket_.release();
    if (conn_ != nullptr) PQfinish(conn_);
}

void PgConn::OnNotice(void* self, const PGresult*) {
    ++static_cast<PgConn*>(self)->notices_;
}

void PgConn::RefreshSocket() {
    // libpq may close and reopen its socket inside PQconnectPoll (another host, SSL fallback);
    // the new one can reuse the old number, so always re-register instead of comparing numbers.
    if (socket_.is_open()) socket_.release();
    int fd = PQsocket(conn_);
    if (fd >= 0) socket_.assign(fd);
}

asio::awaitable<void> PgConn::Connect(std::vector<std::pair<std::string, std::string>> options,
                                      Clock::time_point deadline) {
    std::vector<const char*> keywords;
    std::vector<const char*> values;
    for (const auto& [k, v] : options) {
        keywords.push_back(k.c_str());
        values.push_back(v.c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectStartParams(keywords.data(), values.data(), 0);
    if (conn_ == nullptr) ThrowConnectionError("cannot allocate a connection");
    PQsetNoticeReceiver(conn_, &PgConn::OnNotice, this);
    if (PQstatus(conn_) == CONNECTION_BAD) ThrowConnectionError("connect");

    DeadlineGuard guard(*this, deadline, OnDeadline::kGiveUp, std::chrono::milliseconds(0));
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    while (status != PGRES_POLLING_OK) {
        if (status == PGRES_POLLING_FAILED) ThrowConnectionError("connect");
        RefreshSocket();
        bool ready = false;
        if (status == PGRES_POLLING_READING) {
            ready = co_await WaitReadable();
        } else {
            ready = co_await WaitWritable();
        }
        if (!ready) {
            MarkBroken();
            ErrorInfo info;
            info.server_message = "connect timed out";
            throw ConnectionError(ErrorKind::kUnavailable, "db.connection", std::move(info));
        }
        status = PQconnectPoll(conn_);
    }
    // Only valid on an established connection (fe-exec.c).
    if (PQsetnonblocking(conn_, 1) != 0) ThrowConnectionError("PQsetnonblocking");
    RefreshSocket();
}

// The timer is lazy: arming a deadline later than the pending expiry changes nothing, and
// disarming leaves the timer pending. When it fires it compares the clock with the deadline of
// the operation in progress (if any) and re-arms for it. Back-to-back queries thus cost no timer
// operations at all; a connection's timer fires about once per query_timeout while it is busy.
void PgConn::EnsureTimer(Clock::time_point at) {
    if (timer_pending_ && timer_at_ <= at) return;
    timer_at_ = at;
    timer_pending_ = true;
    ++timer_generation_;
    timer_.expires_at(at);  // cancels the previous wait, whose handler then sees a stale generation
    timer_.async_wait(
        [weak = weak_from_this(), generation = timer_generation_](boost::system::error_code ec) {
            auto self = weak.lock();
            if (!self || self->timer_generation_ != generation) return;
            self->timer_pending_ = false;
            if (ec || self->deadline_ == Clock::time_point::max()) return;
            if (Clock::now() < self->deadline_) {
                self->EnsureTimer(self->deadline_);
                return;
            }
            self->expired_ = true;
            boost::system::error_code ignored;
            self->socket_.cancel(ignored);
        });
}

void PgConn::ArmDeadline(Clock::time_point deadline, OnDeadline mode, std::chrono::milliseconds grace) {
    deadline_ = deadline;
    mode_ = mode;
    grace_ = grace;
    expired_ = false;
    cancel_sent_ = false;
    EnsureTimer(deadline);
}

void PgConn::DisarmDeadline() {
    deadline_ = Clock::time_point::max();
    expired_ = false;
}

void PgConn::SendCancel() {
    std::unique_ptr<PGcancel, CancelDeleter> cancel(PQgetCancel(conn_));
    if (!cancel) return;
    asio::post(CancelThreads(), [cancel = std::move(cancel)]() {
        char error[256];
        PQcancel(cancel.get(), error, sizeof error);
    });
}

asio::awaitable<bool> PgConn::Wait(int kind) {
    for (;;) {
        if (!expired_) {
            boost::system::error_code ec;
            if (kind == 0) {
                std::tie(ec) = co_await socket_.async_wait(asio::posix::descriptor_base::wait_read, kAwait);
            } else if (kind == 1) {
                std::tie(ec) = co_await socket_.async_wait(asio::posix::descriptor_base::wait_write, kAwait);
            } else {
                using namespace asio::experimental::awaitable_operators;
                auto either = co_await (socket_.async_wait(asio::posix::descriptor_base::wait_read, kAwait) ||
                                        socket_.async_wait(asio::posix::descriptor_base::wait_write, kAwait));
                ec = std::visit([](const auto& t) { return std::get<0>(t); }, either);
            }
            if (!ec) co_return true;
            if (ec != asio::error::operation_aborted) ThrowConnectionError(ec.message());
            if (!expired_) ThrowConnectionError("wait cancelled");
        }
        if (mode_ == OnDeadline::kCancelQuery && !cancel_sent_) {
            // The server gets a grace period to answer the cancel with 57014; a connection that
            // stays silent after that is given up.
            SendCancel();
            cancel_sent_ = true;
            expired_ = false;
            deadline_ = Clock::now() + grace_;
            EnsureTimer(deadline_);
            continue;
        }
        co_return false;
    }
}

asio::awaitable<bool> PgConn::WaitReadable() {
    return Wait(0);
}
asio::awaitable<bool> PgConn::WaitWritable() {
    return Wait(1);
}
asio::awaitable<bool> PgConn::WaitReadOrWrite() {
    return Wait(2);
}

asio::awaitable<void> PgConn::Flush() {
    for (;;) {
        int r = PQflush(conn_);
        if (r == 0) co_return;
        if (r < 0) ThrowConnectionError("send");
        // libpq's rule: wait for read *or* write; reading avoids a deadlock when the server
        // is itself blocked sending to us.
        const bool ready = co_await WaitReadOrWrite();
        if (!ready) ThrowDeadline();
        if (PQconsumeInput(conn_) == 0) ThrowConnectionError("receive");
    }
}

asio::awaitable<PgResultPtr> PgConn::NextResult() {
    while (PQisBusy(conn_)) {
        const bool ready = co_await WaitReadable();
        if (!ready) ThrowDeadline();
        if (PQconsumeInput(conn_) == 0) ThrowConnectionError("receive");
    }
    co_return PgResultPtr(PQgetResult(conn_));
}

ErrorInfo PgConn::ErrorFrom(const PGresult* result, std::string_view query_name) const {
    ErrorInfo info;
    info.sqlstate = Field(result, PG_DIAG_SQLSTATE);
    info.server_message = Field(result, PG_DIAG_MESSAGE_PRIMARY);
    if (info.server_message.empty()) info.server_message = Trimmed(PQresultErrorMessage(result));
    info.constraint = Field(result, PG_DIAG_CONSTRAINT_NAME);
    info.table = Field(result, PG_DIAG_TABLE_NAME);
    info.column = Field(result, PG_DIAG_COLUMN_NAME);
    info.severity = Field(result, PG_DIAG_SEVERITY_NONLOCALIZED);
    info.query_name = query_name;
    return info;
}

void PgConn::ThrowConnectionError(std::string_view what, std::string_view query_name) {
    MarkBroken();
    ErrorInfo info;
    info.server_message = std::string(what);
    std::string message = conn_ == nullptr ? "" : Trimmed(PQerrorMessage(conn_));
    if (!message.empty()) info.server_message += ": " + message;
    info.query_name = query_name;
    throw ConnectionError(ErrorKind::kUnavailable, "db.connection", std::move(info));
}

void PgConn::ThrowDeadline(std::string_view query_name) {
    // Reaching here means the cancel was not answered within the grace period (or there was
    // nothing to cancel): the protocol state is unknown, so the connection is not reused.
    MarkBroken();
    ErrorInfo info;
    info.server_message = "deadline exceeded";
    info.query_name = query_name;
    throw DeadlineExceeded(ErrorKind::kTimeout, "db.timeout", std::move(info));
}

}  // namespace nn::db::detail
