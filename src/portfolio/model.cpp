#include "portfolio/model.hpp"

#include <array>
#include <utility>

namespace nn::portfolio {
namespace {

constexpr std::array<std::pair<TransactionType, std::string_view>, 10> kTypes = {{
    {TransactionType::kBuy, "BUY"},
    {TransactionType::kSell, "SELL"},
    {TransactionType::kDividend, "DIVIDEND"},
    {TransactionType::kInterest, "INTEREST"},
    {TransactionType::kFee, "FEE"},
    {TransactionType::kDeposit, "DEPOSIT"},
    {TransactionType::kWithdrawal, "WITHDRAWAL"},
    {TransactionType::kSplit, "SPLIT"},
    {TransactionType::kTransferIn, "TRANSFER_IN"},
    {TransactionType::kTransferOut, "TRANSFER_OUT"},
}};

constexpr std::array<std::string_view, 6> kPortfolioTypes = {"INVESTMENT", "RETIREMENT", "SAVINGS",
                                                             "TRADING",    "EDUCATION",  "OTHER"};

}  // namespace

std::string_view TypeName(TransactionType type) noexcept {
    for (const auto& [t, name] : kTypes) {
        if (t == type) return name;
    }
    return "BUY";
}

std::optional<TransactionType> ParseType(std::string_view name) noexcept {
    for (const auto& [t, n] : kTypes) {
        if (n == name) return t;
    }
    return std::nullopt;
}

std::string_view MethodName(CostBasisMethod method) noexcept {
    return method == CostBasisMethod::kFifo ? "FIFO" : "AVERAGE";
}

std::optional<CostBasisMethod> ParseMethod(std::string_view name) noexcept {
    if (name == "AVERAGE") return CostBasisMethod::kAverage;
    if (name == "FIFO") return CostBasisMethod::kFifo;
    return std::nullopt;
}

bool IsPortfolioType(std::string_view name) noexcept {
    for (auto t : kPortfolioTypes) {
        if (t == name) return true;
    }
    return false;
}

Decimal Holding::CostBasis(CostBasisMethod method) const {
    if (method == CostBasisMethod::kAverage) return average.cost;
    Decimal total;
    for (const Lot& lot : fifo.lots) total += lot.cost;
    return total;
}

std::optional<Decimal> Holding::CostBasisBase(CostBasisMethod method) const {
    if (base_rate_missing) return std::nullopt;
    if (method == CostBasisMethod::kAverage) return average.cost_base;
    Decimal total;
    for (const Lot& lot : fifo.lots) {
        if (!lot.cost_base) return std::nullopt;
        total += *lot.cost_base;
    }
    return total;
}

Decimal Holding::Realized(CostBasisMethod method) const {
    return method == CostBasisMethod::kAverage ? average.realized : fifo.realized;
}

std::optional<Decimal> Holding::RealizedBase(CostBasisMethod method) const {
    if (base_rate_missing) return std::nullopt;
    return method == CostBasisMethod::kAverage ? average.realized_base : fifo.realized_base;
}

Decimal Holding::AverageCost(CostBasisMethod method) const {
    if (quantity.IsZero()) return Decimal();
    return Decimal::Div(CostBasis(method), quantity, kAmountScale);
}

}  // namespace nn::portfolio
