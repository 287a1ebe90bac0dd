#include "infra/db/read_router.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/hex.hpp"
#include "infra/db/errors.hpp"

namespace nn::db {
namespace asio = boost::asio;

namespace {

constexpr Query kPrimaryLsn{"SELECT pg_current_wal_lsn()::text", "db.replica_probe_primary"};
constexpr Query kReplayLsn{"SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn()::text, '')",
                           "db.replica_probe_replica"};

// A replica read that failed for these reasons is run again on the primary: the replica (or
// the way to it) is the problem, not the query.
bool ReplicaTrouble(const DbError& e) {
    return dynamic_cast<const ConnectionError*>(&e) != nullptr ||
           dynamic_cast<const PoolTimeout*>(&e) != nullptr ||
           dynamic_cast<const DeadlineExceeded*>(&e) != nullptr ||
           // 40001 on a standby: "canceling statement due to conflict with recovery"
           e.SqlState() == "40001" || e.SqlState().starts_with("57P");
}

}  // namespace

struct ReadRouter::State {
    explicit State(asio::any_io_executor ex) : timer(ex) {}
    bool closed = false;
    bool started = false;
    asio::steady_timer timer;
};

std::optional<std::uint64_t> ParseLsn(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 >= text.size()) return std::nullopt;
    auto hex = [](std::string_view s) -> std::optional<std::uint64_t> {
        if (s.size() > 8) return std::nullopt;
        std::uint64_t v = 0;
        for (char c : s) {
            const int d = HexDigitValue(c);
            if (d < 0) return std::nullopt;
            v = v * 16 + static_cast<std::uint64_t>(d);
        }
        return v;
    };
    auto hi = hex(text.substr(0, slash));
    auto lo = hex(text.substr(slash + 1));
    if (!hi || !lo) return std::nullopt;
    return (*hi << 32) | *lo;
}

ReadRouter::ReadRouter(asio::any_io_executor executor,
                       Pool& primary,
                       Pool* replica,
                       ReadRouterOptions options)
    : executor_(executor),
      primary_(primary),
      replica_(replica),
      options_(options),
      state_(std::make_shared<State>(executor)) {}

ReadRouter::~ReadRouter() {
    Close();
}

void ReadRouter::Start() {
    if (replica_ == nullptr || state_->started) return;
    state_->started = true;
    asio::co_spawn(
        executor_,
        [this, st = state_]() -> asio::awaitable<void> {
            while (!st->closed) {
                try {
                    co_await Probe();
                } catch (const std::exception&) {
                    // counted by Probe; the next round tries again
                }
                if (st->closed) co_return;
                st->timer.expires_after(options_.probe_interval);
                co_await st->timer.async_wait(asio::as_tuple(asio::use_awaitable));
            }
        },
        asio::detached);
}

void ReadRouter::Close() {
    state_->closed = true;
    state_->timer.cancel();
}

asio::awaitable<void> ReadRouter::Probe() {
    if (replica_ == nullptr) co_return;
    auto st = state_;
    ++stats_.probes;
    const auto sampled = Clock::now();
    bool ok = false;
    try {
        auto primary = co_await primary_.Execute(Timeout{options_.probe_timeout}, kPrimaryLsn);
        if (st->closed) co_return;
        auto lsn = ParseLsn(primary.AsSingleRow<std::string>());
        if (lsn) {
            samples_.emplace_back(sampled, *lsn);
            // Keep what can still prove a bound within max_lag, plus one older sample.
            while (samples_.size() > 2 &&
                   samples_[1].first < sampled - options_.max_lag - options_.probe_interval)
                samples_.pop_front();
        }
        auto replica = co_await replica_->Execute(Timeout{options_.probe_timeout}, kReplayLsn);
        if (st->closed) co_return;
        auto [recovering, replay_text] = replica.AsSingleRow<bool, std::string>();
        auto replay = ParseLsn(replay_text);
        if (recovering && replay) {
            // The newest primary sample the replica has replayed past.
            std::optional<Clock::time_point> best;
            for (const auto& [t, l] : samples_) {
                if (l <= *replay) best = t;
            }
            if (best && (!fresh_as_of_ || *best > *fresh_as_of_)) fresh_as_of_ = best;
            ok = true;
        }
        // Not in recovery: promoted, or pointed at a primary by mistake. Either way it is not the
        // replica this router measures; reads stay on the primary.
    } catch (const std::exception&) {
        if (st->closed) co_return;
    }
    if (!ok) {
        ++stats_.probe_failures;
        MarkReplicaDown();
    }
}

std::optional<std::chrono::milliseconds> ReadRouter::Lag() const {
    if (!fresh_as_of_) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *fresh_as_of_);
}

bool ReadRouter::ReplicaUsable() const {
    auto lag = Lag();
    return replica_ != nullptr && lag && *lag <= options_.max_lag;
}

void ReadRouter::MarkReplicaDown() {
    fresh_as_of_.reset();
}

Pool* ReadRouter::Pick() {
    if (ReplicaUsable()) return replica_;
    return nullptr;
}

template <class T, class Call>
asio::awaitable<std::optional<T>> ReadRouter::OnReplica(Call call) {
    Pool* replica = Pick();
    if (replica == nullptr) co_return std::nullopt;
    bool failed = false;
    try {
        T answer = co_await call(*replica);
        ++stats_.replica_reads;
        co_return std::optional<T>(std::move(answer));
    } catch (const DbError& e) {
        if (!ReplicaTrouble(e)) throw;
        failed = true;
    }
    if (failed) {
        ++stats_.fallbacks;
        MarkReplicaDown();
    }
    co_return std::nullopt;
}

asio::awaitable<Result> ReadRouter::Run(Query query,
                                        Params params,
                                        std::optional<std::chrono::milliseconds> timeout) {
    auto on_replica =
        co_await OnReplica<Result>([&](Pool& replica) { return replica.Run(query, params, timeout); });
    if (on_replica) co_return std::move(*on_replica);
    ++stats_.primary_reads;
    co_return co_await primary_.Run(query, std::move(params), timeout);
}

asio::awaitable<PipelineResults> ReadRouter::RunPipeline(Pipeline pipeline,
                                                         std::optional<std::chrono::milliseconds> timeout) {
    auto on_replica = co_await OnReplica<PipelineResults>(
        [&](Pool& replica) { return replica.RunPipeline(pipeline, timeout); });
    if (on_replica) co_return std::move(*on_replica);
    ++stats_.primary_reads;
    co_return co_await primary_.RunPipeline(std::move(pipeline), timeout);
}

asio::awaitable<Transaction> ReadRouter::Begin(TransactionOptions options) {
    TransactionOptions read_only = options;
    read_only.ReadOnly();
    auto on_replica =
        co_await OnReplica<Transaction>([&](Pool& replica) { return replica.Begin(std::move(read_only)); });
    if (on_replica) co_return std::move(*on_replica);
    ++stats_.primary_reads;
    co_return co_await primary_.Begin(std::move(options));
}

}  // namespace nn::db
