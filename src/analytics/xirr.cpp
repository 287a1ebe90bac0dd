#include "analytics/xirr.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

namespace nn::analytics {
namespace {

constexpr double kGuess = 0.1;
constexpr int kNewtonIterations = 100;
constexpr double kLogRateLow = -10.0;
constexpr double kLogRateHigh = 10.0;
// Grid cells of ln(1 + r); two roots inside one cell are still found because the NPV has an
// extremum between them, which the derivative's sign change inside the cell reveals.
constexpr int kScanSteps = 1000;

// NPV as a function of x = ln(1 + r): sum(a_i * exp(-x * t_i)), defined for every real x.
double NpvAtLog(std::span<const TimedFlow> flows, double x) {
    double sum = 0.0;
    for (const TimedFlow& f : flows) {
        sum += f.amount * std::exp(-x * f.years);
    }
    return sum;
}

// d/dx of NpvAtLog.
double NpvAtLogDerivative(std::span<const TimedFlow> flows, double x) {
    double sum = 0.0;
    for (const TimedFlow& f : flows) {
        sum -= f.years * f.amount * std::exp(-x * f.years);
    }
    return sum;
}

int SignChanges(std::span<const TimedFlow> flows) {
    std::vector<TimedFlow> sorted(flows.begin(), flows.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const TimedFlow& a, const TimedFlow& b) { return a.years < b.years; });
    int changes = 0;
    int last = 0;
    for (const TimedFlow& f : sorted) {
        const int sign = f.amount > 0 ? 1 : (f.amount < 0 ? -1 : 0);
        if (sign == 0) {
            continue;
        }
        if (last != 0 && sign != last) {
            ++changes;
        }
        last = sign;
    }
    return changes;
}

// Newton on x = ln(1 + r) (keeps r > -1 by construction). nullopt when it does not converge.
std::optional<double> Newton(std::span<const TimedFlow> flows, double tolerance) {
    double x = std::log1p(kGuess);
    for (int i = 0; i < kNewtonIterations; ++i) {
        const double value = NpvAtLog(flows, x);
        if (std::abs(value) <= tolerance) {
            return x;
        }
        const double slope = NpvAtLogDerivative(flows, x);
        if (slope == 0.0 || !std::isfinite(slope)) {
            return std::nullopt;
        }
        const double next = x - value / slope;
        if (!std::isfinite(next) || next < kLogRateLow || next > kLogRateHigh) {
            return std::nullopt;
        }
        x = next;
    }
    return std::nullopt;
}

// Bisection of `f` on [low, high] whose ends have opposite signs (or one is within tolerance).
template <class F>
double Bisect(F f, double low, double high, double tolerance) {
    double f_low = f(low);
    for (int i = 0; i < 200 && high - low > 1e-15; ++i) {
        const double mid = 0.5 * (low + high);
        const double f_mid = f(mid);
        if (std::abs(f_mid) <= tolerance) {
            return mid;
        }
        if ((f_mid < 0) == (f_low < 0)) {
            low = mid;
            f_low = f_mid;
        } else {
            high = mid;
        }
    }
    return 0.5 * (low + high);
}

// Every root of the NPV on [kLogRateLow, kLogRateHigh]: the grid points and the NPV's extrema
// (where its derivative changes sign inside a cell) cut the range into pieces on which the NPV
// is monotone, so each piece holds at most one root. A run of points within the tolerance of
// zero is one root (it touches or crosses zero there).
struct RootScan {
    int roots = 0;
    std::optional<double> at;                          // a point within tolerance of the root
    std::optional<std::pair<double, double>> bracket;  // or a sign change around it
};

RootScan ScanRoots(std::span<const TimedFlow> flows, double tolerance) {
    auto slope = [flows](double x) { return NpvAtLogDerivative(flows, x); };
    // The NPV and its slope at every grid point in one pass over the flows (the exponentials
    // are shared); extrema inside cells are added with their NPV.
    std::vector<std::pair<double, double>> points;  // (x, NPV)
    points.reserve(kScanSteps + 16);
    double previous_slope = 0.0;
    for (int i = 0; i <= kScanSteps; ++i) {
        const double x = kLogRateLow + (kLogRateHigh - kLogRateLow) * i / kScanSteps;
        double value = 0.0;
        double s = 0.0;
        for (const TimedFlow& f : flows) {
            const double term = f.amount * std::exp(-x * f.years);
            value += term;
            s -= f.years * term;
        }
        if (i > 0 && s != 0.0 && previous_slope != 0.0 && (s < 0) != (previous_slope < 0)) {
            const double extremum = Bisect(slope, points.back().first, x, 0.0);
            points.emplace_back(extremum, NpvAtLog(flows, extremum));
        }
        points.emplace_back(x, value);
        previous_slope = s;
    }
    RootScan scan;
    int last_sign = 0;
    double last_x = kLogRateLow;
    bool in_zero_run = false;
    for (const auto& [x, value] : points) {
        if (std::abs(value) <= tolerance) {
            if (!in_zero_run) {
                ++scan.roots;
                scan.at = x;
                in_zero_run = true;
            }
            continue;
        }
        const int sign = value < 0 ? -1 : 1;
        if (!in_zero_run && last_sign != 0 && sign != last_sign) {
            ++scan.roots;
            scan.bracket = std::make_pair(last_x, x);
            scan.at.reset();
        }
        in_zero_run = false;
        last_sign = sign;
        last_x = x;
    }
    return scan;
}

}  // namespace

const char* Describe(XirrFailure failure) noexcept {
    switch (failure) {
        case XirrFailure::kTooFewFlows:
            return "fewer than two cash flows";
        case XirrFailure::kNoSignChange:
            return "all cash flows have the same sign, so no rate makes their present value zero";
        case XirrFailure::kNoRoot:
            return "no rate above -100% makes the present value of the cash flows zero";
        case XirrFailure::kMultipleRoots:
            return "the cash flows change sign more than once and several rates solve the equation";
    }
    return "unknown";
}

Result<double, XirrFailure> SolveIrr(std::span<const TimedFlow> flows) {
    if (flows.size() < 2) {
        return Fail(XirrFailure::kTooFewFlows);
    }
    const int changes = SignChanges(flows);
    if (changes == 0) {
        return Fail(XirrFailure::kNoSignChange);
    }
    double largest = 0.0;
    for (const TimedFlow& f : flows) {
        largest = std::max(largest, std::abs(f.amount));
    }
    const double tolerance = 1e-9 * largest;

    if (changes == 1) {
        // Descartes' rule of signs: at most one root, so a converged Newton step is the answer.
        if (const std::optional<double> x = Newton(flows, tolerance)) {
            return std::expm1(*x);
        }
    }

    // Several sign changes (or Newton failed): every root on the grid, none missed inside a cell.
    const RootScan scan = ScanRoots(flows, tolerance);
    if (scan.roots == 0) {
        return Fail(XirrFailure::kNoRoot);
    }
    if (scan.roots > 1) {
        return Fail(XirrFailure::kMultipleRoots);
    }
    if (scan.at) {
        return std::expm1(*scan.at);
    }
    auto npv = [flows](double x) { return NpvAtLog(flows, x); };
    return std::expm1(Bisect(npv, scan.bracket->first, scan.bracket->second, tolerance));
}

Result<double, XirrFailure> Xirr(std::span<const CashFlow> flows) {
    if (flows.size() < 2) {
        return Fail(XirrFailure::kTooFewFlows);
    }
    Date first = flows.front().date;
    for (const CashFlow& f : flows) {
        first = std::min(first, f.date);
    }
    std::vector<TimedFlow> timed;
    timed.reserve(flows.size());
    for (const CashFlow& f : flows) {
        timed.push_back({DaysBetween(first, f.date) / 365.0, f.amount.ToDouble()});
    }
    return SolveIrr(timed);
}

}  // namespace nn::analytics
