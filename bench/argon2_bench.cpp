// Argon2id with the production parameters (m=19456 KiB, t=2, p=1, 32-byte tag), the cost that
// bounds login throughput, on 1 and 2 threads (the machine has 2 cores). Printed per thread count,
// as aggregate wall-clock rates over all threads:
//   raw      libargon2's argon2id_hash_raw alone: the physical limit, hashes/s
//   hash     HashPassword (random salt + hash + PHC encoding), and its ratio to raw
//   verify   VerifyPassword (PHC parsing + hash + constant-time compare), and its ratio to raw
// Raw and ours alternate over several rounds and each figure is the median, so background load
// on the shared machine hits both alike. The auth issue's login benchmark divides its logins/s by
// the raw figure printed here.
//
// Usage: nn_bench_argon2 [seconds per round, default 0.5] [rounds, default 9]
#include <argon2.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench/median.hpp"
#include "core/secret.hpp"
#include "infra/crypto/password.hpp"
#include "infra/crypto/random.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using nn::crypto::kPasswordParams;

const nn::Secret kPassword("correct horse battery staple, a passphrase");

void RawHash(const std::string& salt) {
    unsigned char tag[32];
    const int rc = argon2id_hash_raw(kPasswordParams.iterations, kPasswordParams.memory_kib,
                                     kPasswordParams.parallelism, kPassword.Reveal().data(),
                                     kPassword.Reveal().size(), salt.data(), salt.size(), tag, sizeof tag);
    if (rc != ARGON2_OK) {
        std::fprintf(stderr, "argon2id_hash_raw: %s\n", argon2_error_message(rc));
        std::exit(1);
    }
}

// Operations per second over all threads, each running `work` until the deadline.
double Rate(const std::function<void()>& work, int threads, double seconds) {
    std::atomic<long> done{0};
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration<double>(seconds);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            long n = 0;
            while (Clock::now() < deadline) {
                work();
                ++n;
            }
            done += n;
        });
    }
    for (auto& thread : pool) thread.join();
    return static_cast<double>(done) / std::chrono::duration<double>(Clock::now() - start).count();
}

using nn::bench::Median;

}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 0.5;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 9;
    const std::string salt = nn::crypto::RandomBytes(kPasswordParams.salt_bytes);
    const std::string phc = nn::crypto::HashPassword(kPassword);
    const auto raw = [&] { RawHash(salt); };
    const auto hash = [] { static_cast<void>(nn::crypto::HashPassword(kPassword)); };
    const auto verify = [&] {
        if (!nn::crypto::VerifyPassword(phc, kPassword)) std::abort();
    };

    std::printf("argon2id m=%u KiB t=%u p=%u tag=%u B; %d round(s) of %.1f s, medians\n",
                kPasswordParams.memory_kib, kPasswordParams.iterations, kPasswordParams.parallelism,
                kPasswordParams.tag_bytes, rounds, seconds);
    std::printf("%-8s %14s %14s %8s %14s %8s\n", "threads", "raw hash/s", "HashPassword/s", "ratio",
                "Verify/s", "ratio");
    double raw_one = 0;
    for (const int threads : {1, 2}) {
        std::vector<double> raw_rates;
        std::vector<double> hash_rates;
        std::vector<double> verify_rates;
        for (int r = 0; r < rounds; ++r) {
            raw_rates.push_back(Rate(raw, threads, seconds));
            hash_rates.push_back(Rate(hash, threads, seconds));
            verify_rates.push_back(Rate(verify, threads, seconds));
        }
        const double raw_rate = Median(raw_rates);
        const double hash_rate = Median(hash_rates);
        const double verify_rate = Median(verify_rates);
        if (threads == 1) raw_one = raw_rate;
        std::printf("%-8d %14.1f %14.1f %8.3f %14.1f %8.3f\n", threads, raw_rate, hash_rate,
                    hash_rate / raw_rate, verify_rate, verify_rate / raw_rate);
        if (threads == 2)
            std::printf("raw scaling 2 threads / 1 thread: %.2f (ideal 2.00)\n", raw_rate / raw_one);
    }
    return 0;
}
