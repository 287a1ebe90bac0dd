// Decimal against the floor a scaled int64 would cost: each benchmark runs our operation and
// its int64 counterpart over the same 1024 inputs in every iteration and reports
//   ns_per_op           our time per operation (also the benchmark's manual time)
//   baseline_ns_per_op  the int64 counterpart (strtoll, multiply + rounding divide, to_chars)
//   ratio               ours / baseline
#include <benchmark/benchmark.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/decimal.hpp"

namespace {

constexpr int kBatch = 1024;

struct Inputs {
    std::vector<std::string> decimal_text;     // "1234.5678": prices with 4 places
    std::vector<std::string> integer_text;     // "12345678": the same digits without the point
    std::vector<nn::Decimal> prices;           // scale 4
    std::vector<nn::Decimal> quantities;       // scale 8
    std::vector<std::int64_t> price_units;     // price * 10^4
    std::vector<std::int64_t> quantity_units;  // quantity * 10^8
};

const Inputs& TheInputs() {
    static const Inputs inputs = [] {
        Inputs in;
        std::mt19937_64 rng(42);
        for (int i = 0; i < kBatch; ++i) {
            const std::int64_t price = static_cast<std::int64_t>(rng() % 100'000'000) + 1;  // up to 9999.9999
            const std::int64_t quantity =
                static_cast<std::int64_t>(rng() % 100'000'000'000) + 1;  // up to 999.99999999
            in.price_units.push_back(price);
            in.quantity_units.push_back(quantity);
            in.integer_text.push_back(std::to_string(price));
            in.prices.push_back(nn::Decimal::FromUnscaled(price, 4));
            in.quantities.push_back(nn::Decimal::FromUnscaled(quantity, 8));
            in.decimal_text.push_back(in.prices.back().ToString());
        }
        return in;
    }();
    return inputs;
}

template <class Ours, class Baseline>
void Compare(benchmark::State& state, Ours ours, Baseline baseline) {
    using Clock = std::chrono::steady_clock;
    double ours_ns = 0;
    double baseline_ns = 0;
    std::int64_t ops = 0;
    for (auto _ : state) {
        const auto t0 = Clock::now();
        ours();
        const auto t1 = Clock::now();
        baseline();
        const auto t2 = Clock::now();
        const std::chrono::duration<double, std::nano> ours_time = t1 - t0;
        const std::chrono::duration<double, std::nano> baseline_time = t2 - t1;
        state.SetIterationTime(ours_time.count() / 1e9);
        ours_ns += ours_time.count();
        baseline_ns += baseline_time.count();
        ops += kBatch;
    }
    state.SetItemsProcessed(ops);
    state.counters["ns_per_op"] = ours_ns / static_cast<double>(ops);
    state.counters["baseline_ns_per_op"] = baseline_ns / static_cast<double>(ops);
    state.counters["ratio"] = ours_ns / baseline_ns;
}

void BM_Parse(benchmark::State& state) {
    const Inputs& in = TheInputs();
    Compare(
        state,
        [&] {
            for (const auto& text : in.decimal_text) benchmark::DoNotOptimize(nn::Decimal::Parse(text));
        },
        [&] {
            for (const auto& text : in.integer_text)
                benchmark::DoNotOptimize(std::strtoll(text.c_str(), nullptr, 10));
        });
}

// quantity (8 places) * price (4 places) rounded half-even to 2 places: a trade's value.
void BM_MultiplyRound(benchmark::State& state) {
    const Inputs& in = TheInputs();
    Compare(
        state,
        [&] {
            for (int i = 0; i < kBatch; ++i) {
                benchmark::DoNotOptimize((in.quantities[i] * in.prices[i]).Rescale(2));
            }
        },
        [&] {
            // The scaled-int64 version: the product at 12 places divided back to 2, half-up.
            for (int i = 0; i < kBatch; ++i) {
                const __int128 product = static_cast<__int128>(in.quantity_units[i]) * in.price_units[i];
                benchmark::DoNotOptimize(
                    static_cast<std::int64_t>((product + 5'000'000'000) / 10'000'000'000));
            }
        });
}

// price / quantity to 8 places: an average cost.
void BM_Divide(benchmark::State& state) {
    const Inputs& in = TheInputs();
    Compare(
        state,
        [&] {
            for (int i = 0; i < kBatch; ++i) {
                benchmark::DoNotOptimize(nn::Decimal::Div(in.prices[i], in.quantities[i], 8));
            }
        },
        [&] {
            for (int i = 0; i < kBatch; ++i) {
                const __int128 numerator = static_cast<__int128>(in.price_units[i]) * 1'000'000'000'000;
                benchmark::DoNotOptimize(static_cast<std::int64_t>(numerator / in.quantity_units[i]));
            }
        });
}

void BM_Format(benchmark::State& state) {
    const Inputs& in = TheInputs();
    Compare(
        state,
        [&] {
            for (const auto& price : in.prices) benchmark::DoNotOptimize(price.ToString());
        },
        [&] {
            for (const auto units : in.price_units) benchmark::DoNotOptimize(std::to_string(units));
        });
}

BENCHMARK(BM_Parse)->UseManualTime();
BENCHMARK(BM_MultiplyRound)->UseManualTime();
BENCHMARK(BM_Divide)->UseManualTime();
BENCHMARK(BM_Format)->UseManualTime();

}  // namespace

BENCHMARK_MAIN();
