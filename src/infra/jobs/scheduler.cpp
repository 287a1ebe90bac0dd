#include "infra/jobs/scheduler.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <list>
#include <map>
#include <random>

#include "core/error.hpp"
#include "infra/db/pool.hpp"

namespace nn::jobs {
namespace asio = boost::asio;

namespace {

// Takes or renews the lease; returns whether this instance holds it afterwards.
constexpr db::Query kTakeLease{
    "INSERT INTO public.job_leases (job_name, owner, expires_at) "
    "VALUES ($1, $2, now() + make_interval(secs => $3::bigint / 1000.0)) "
    "ON CONFLICT (job_name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at "
    "WHERE job_leases.owner = EXCLUDED.owner OR job_leases.expires_at <= now() "
    "RETURNING owner",
    "jobs.take_lease"};

std::string DefaultInstanceId() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    std::random_device rd;
    return fmt::format("{}:{}:{:08x}", host, getpid(), rd());
}

}  // namespace

struct Job {
    JobSpec spec;
    JobStats stats;
};

struct Scheduler::State {
    asio::any_io_executor executor;
    std::string instance_id;
    std::map<std::string, Job> jobs;
    // One signal per loop: a signal's slot holds a single handler, so binding one slot to every
    // co_spawn would destroy the handler of each loop before it.
    std::list<asio::cancellation_signal> stops;
    bool started = false;
    std::mt19937_64 rng{std::random_device{}()};
};

namespace {

// A failure caused by Stop() is not the job's failure.
bool Stopping(const asio::cancellation_state& state) {
    return state.cancelled() != asio::cancellation_type::none;
}

asio::awaitable<bool> RunRound(std::shared_ptr<Scheduler::State> state, Job& job) {
    auto lease = std::max(job.spec.interval, job.spec.min_lease);
    auto cancel = co_await asio::this_coro::cancellation_state;
    try {
        auto res = co_await job.spec.lease_pool->Execute(kTakeLease, job.spec.name, state->instance_id,
                                                         static_cast<std::int64_t>(lease.count()));
        if (res.Empty()) {
            ++job.stats.skipped;
            co_return false;
        }
    } catch (const std::exception& e) {
        if (Stopping(cancel)) throw;
        ++job.stats.failures;
        job.stats.last_error = std::string("lease: ") + e.what();
        spdlog::warn("job {}: cannot take its lease: {}", job.spec.name, e.what());
        co_return false;
    }
    auto start = std::chrono::steady_clock::now();
    try {
        co_await job.spec.run();
        ++job.stats.runs;
    } catch (const std::exception& e) {
        if (Stopping(cancel)) throw;
        ++job.stats.failures;
        job.stats.last_error = e.what();
        spdlog::error("job {} failed: {}", job.spec.name, e.what());
    }
    job.stats.last_duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    co_return true;
}

asio::awaitable<void> Loop(std::shared_ptr<Scheduler::State> state, std::string name) {
    auto& job = state->jobs.at(name);
    std::uniform_real_distribution<double> frac(0.0, 1.0);
    auto first =
        std::chrono::milliseconds(static_cast<std::int64_t>(job.spec.interval.count() * frac(state->rng)));
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(first);
    for (;;) {
        co_await timer.async_wait(asio::use_awaitable);
        co_await RunRound(state, job);
        timer.expires_after(job.spec.interval);
    }
}

}  // namespace

Scheduler::Scheduler(asio::any_io_executor executor, std::string instance_id)
    : state_(std::make_shared<State>()) {
    state_->executor = std::move(executor);
    state_->instance_id = instance_id.empty() ? DefaultInstanceId() : std::move(instance_id);
}

Scheduler::~Scheduler() {
    Stop();
}

void Scheduler::Add(JobSpec job) {
    if (job.name.empty() || job.lease_pool == nullptr || !job.run || job.interval.count() <= 0) {
        throw Error(ErrorKind::kInternal, "jobs.bad_spec", "job '" + job.name + "' is incomplete");
    }
    if (state_->started)
        throw Error(ErrorKind::kInternal, "jobs.started", "jobs must be added before Start()");
    auto name = job.name;
    Job entry{std::move(job), {}};
    entry.stats.name = name;
    if (!state_->jobs.emplace(name, std::move(entry)).second) {
        throw Error(ErrorKind::kInternal, "jobs.duplicate", "job '" + name + "' is added twice");
    }
}

void Scheduler::Start() {
    if (state_->started) return;
    state_->started = true;
    for (const auto& [name, job] : state_->jobs) {
        auto& stop = state_->stops.emplace_back();
        asio::co_spawn(state_->executor, Loop(state_, name),
                       asio::bind_cancellation_slot(stop.slot(), [name = name](std::exception_ptr e) {
                           if (!e) return;
                           try {
                               std::rethrow_exception(e);
                           } catch (const boost::system::system_error& se) {
                               if (se.code() == asio::error::operation_aborted) return;
                               spdlog::error("job {} loop ended: {}", name, se.what());
                           } catch (const std::exception& ex) {
                               spdlog::error("job {} loop ended: {}", name, ex.what());
                           }
                       }));
    }
}

void Scheduler::Stop() {
    if (!state_ || !state_->started) return;
    // The signal must be emitted on the executor that owns the loops.
    asio::dispatch(state_->executor, [state = state_] {
        for (auto& stop : state->stops) stop.emit(asio::cancellation_type::all);
    });
}

asio::awaitable<bool> Scheduler::RunOnce(const std::string& name) {
    auto it = state_->jobs.find(name);
    if (it == state_->jobs.end())
        throw Error(ErrorKind::kNotFound, "jobs.unknown", "no job named '" + name + "'");
    co_return co_await RunRound(state_, it->second);
}

std::vector<JobStats> Scheduler::Stats() const {
    std::vector<JobStats> out;
    for (const auto& [name, job] : state_->jobs) out.push_back(job.stats);
    return out;
}

const std::string& Scheduler::InstanceId() const noexcept {
    return state_->instance_id;
}

}  // namespace nn::jobs
