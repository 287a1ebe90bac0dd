#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/decimal.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace nn::analytics {

// A cash flow seen from the investor: negative = paid in (a purchase, a deposit, the opening
// value), positive = received (a withdrawal, the closing value).
struct CashFlow {
    Date date;
    Decimal amount;
};

// A cash flow at a time in years from the first flow.
struct TimedFlow {
    double years;
    double amount;
};

// Why an internal rate of return is not given.
enum class XirrFailure {
    kTooFewFlows,    // fewer than two flows
    kNoSignChange,   // every flow has the same sign (or is zero): no rate makes the NPV zero
    kNoRoot,         // flows of both signs, yet no rate above -100% solves the equation
    kMultipleRoots,  // several rates solve it: no single answer is meaningful
};

// A sentence for the client, e.g. "the cash flows change sign more than once and several rates
// solve the equation".
const char* Describe(XirrFailure failure) noexcept;

// The rate r > -1 with sum(amount_i / (1 + r)^years_i) = 0.
//
// Newton's method from 10% (the spreadsheet default guess) when the flows change sign once
// (Descartes' rule of signs then allows a single root). Otherwise, or when Newton does not
// converge, the solver finds every root of the NPV on ln(1 + r) in [-10, 10] (r from -99.995% to
// about 2.2 million %): a grid of 1000 cells plus the NPV's extrema inside cells (where its
// derivative changes sign), so two roots in one cell are not missed. Exactly one root: that
// root, refined by bisection; none: kNoRoot; several: kMultipleRoots (never one of them as if it
// were the answer). The NPV tolerance is 1e-9 of the largest absolute flow.
Result<double, XirrFailure> SolveIrr(std::span<const TimedFlow> flows);

// The spreadsheet XIRR: times are (date_i - date_0) / 365 with date_0 the earliest date, so
// the result can be checked with =XIRR(values, dates) in any spreadsheet.
Result<double, XirrFailure> Xirr(std::span<const CashFlow> flows);

}  // namespace nn::analytics
