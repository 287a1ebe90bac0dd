#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "infra/db/pool.hpp"
#include "infra/db/query.hpp"
#include "infra/db/transaction.hpp"

namespace nn::db {

struct ReadRouterOptions {
    // Reads go to the replica only while it is known to hold every transaction the primary had
    // committed this long ago (docs/scale-out.md "Read replica").
    std::chrono::milliseconds max_lag{5'000};
    // How often the lag is measured; it also bounds how soon a recovered replica is used again.
    std::chrono::milliseconds probe_interval{500};
    std::chrono::milliseconds probe_timeout{1'000};
};

struct ReadRouterStats {
    std::uint64_t replica_reads = 0;
    std::uint64_t primary_reads = 0;  // no replica, or it lagged or was down
    std::uint64_t fallbacks = 0;      // a replica read failed and was run on the primary
    std::uint64_t probes = 0;
    std::uint64_t probe_failures = 0;
};

// Routes reads that tolerate bounded staleness (market history, statements, analytics inputs)
// to a streaming replica and everything else to the primary. Lives on one io_context, like the
// two pools it is given.
//
// The lag is a bound, not an estimate: every probe reads the primary's pg_current_wal_lsn()
// (time t, LSN l), then the replica's pg_last_wal_replay_lsn() R. When R >= l the replica holds
// every transaction committed before t, so its staleness is at most now - t for the newest such
// sample. A replica that stops replaying (stopped, cut off from the primary, paused) therefore
// ages past max_lag by itself, however idle the primary is; a failed replica read marks it
// unusable at once and the read runs on the primary, so callers see no error.
//
// Anything that must read its own writes uses the primary's Pool directly, not this.
class ReadRouter final : public QueryRunner {
public:
    // Without a replica every read goes to the primary.
    ReadRouter(boost::asio::any_io_executor executor,
               Pool& primary,
               Pool* replica,
               ReadRouterOptions options);
    ~ReadRouter() override;
    ReadRouter(const ReadRouter&) = delete;
    ReadRouter& operator=(const ReadRouter&) = delete;

    boost::asio::awaitable<Result> Run(Query query,
                                       Params params,
                                       std::optional<std::chrono::milliseconds> timeout) override;
    boost::asio::awaitable<PipelineResults> RunPipeline(
        Pipeline pipeline, std::optional<std::chrono::milliseconds> timeout) override;
    // A READ ONLY transaction on the replica when it is usable (the option is forced), else on
    // the primary.
    [[nodiscard]] boost::asio::awaitable<Transaction> Begin(TransactionOptions options);

    // Starts the periodic probe (no-op without a replica); Close() stops it.
    void Start();
    void Close();
    // One measurement now (tests; the probe loop calls it).
    boost::asio::awaitable<void> Probe();

    // The current staleness bound of the replica; nullopt when unknown (never measured, down).
    std::optional<std::chrono::milliseconds> Lag() const;
    bool ReplicaUsable() const;
    bool HasReplica() const noexcept { return replica_ != nullptr; }
    const ReadRouterStats& Stats() const noexcept { return stats_; }
    Pool& Primary() noexcept { return primary_; }

private:
    using Clock = std::chrono::steady_clock;
    struct State;
    Pool* Pick();
    void MarkReplicaDown();
    // The replica's answer to `call(replica)` when the replica is usable and answers; nullopt
    // (and the replica marked down, a fallback counted) when it is unusable or in trouble. Run,
    // RunPipeline and Begin then ask the primary.
    template <class T, class Call>
    boost::asio::awaitable<std::optional<T>> OnReplica(Call call);

    boost::asio::any_io_executor executor_;
    Pool& primary_;
    Pool* replica_;
    ReadRouterOptions options_;
    ReadRouterStats stats_;
    // (time of the primary sample, its LSN), oldest first.
    std::deque<std::pair<Clock::time_point, std::uint64_t>> samples_;
    // The newest sample time the replica is known to have replayed past.
    std::optional<Clock::time_point> fresh_as_of_;
    std::shared_ptr<State> state_;
};

// "16/B374D848" -> 0x16B374D848; nullopt when malformed.
std::optional<std::uint64_t> ParseLsn(std::string_view text);

}  // namespace nn::db
