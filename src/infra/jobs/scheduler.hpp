#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace nn::db {
class Pool;
}

namespace nn::jobs {

// A periodic job. Every instance of the platform schedules the same jobs; a lease row in the
// job's database (`public.job_leases`) decides which instance runs each round, so a job runs
// once per interval cluster-wide. The lease lasts one interval (or `min_lease` if longer) and
// is not released after the run: another instance takes over only when a whole interval
// passed without the holder renewing, i.e. when it died.
struct JobSpec {
    std::string name;  // unique; the lease key and the metrics label
    std::chrono::milliseconds interval;
    std::chrono::milliseconds min_lease{0};
    // The database holding the lease; must outlive the scheduler's Stop().
    db::Pool* lease_pool = nullptr;
    std::function<boost::asio::awaitable<void>()> run;
};

struct JobStats {
    std::string name;
    std::uint64_t runs = 0;
    std::uint64_t failures = 0;
    std::uint64_t skipped = 0;  // rounds another instance held the lease
    std::chrono::milliseconds last_duration{0};
    std::string last_error;  // message of the last failure; never holds secrets
};

class Scheduler {
public:
    // `instance_id` names this process in the lease table (host:pid:random by default).
    Scheduler(boost::asio::any_io_executor executor, std::string instance_id = {});
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    void Add(JobSpec job);
    // Starts one loop per job on the executor. The first round of each job starts after a
    // random fraction of its interval so instances started together do not collide.
    void Start();
    // Cancels the loops; a run in progress is cancelled at its next suspension point.
    void Stop();

    // Runs one round of a job now (tries the lease, runs when it holds it); for tests and
    // the CLI. Returns whether it ran.
    boost::asio::awaitable<bool> RunOnce(const std::string& name);

    std::vector<JobStats> Stats() const;
    const std::string& InstanceId() const noexcept;

    struct State;

private:
    std::shared_ptr<State> state_;
};

}  // namespace nn::jobs
