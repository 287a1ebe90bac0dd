#include "portfolio/model.hpp"

#include <array>
#include <stdexcept>
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

void LotTotals::Add(const Lot& lot) {
    cost += lot.cost;
    if (lot.cost_base) {
        cost_base += *lot.cost_base;
    } else {
        ++missing_base;
    }
}

void LotTotals::Remove(const Lot& lot) {
    cost -= lot.cost;
    if (lot.cost_base) {
        cost_base -= *lot.cost_base;
    } else {
        --missing_base;
    }
}

std::deque<Lot>& LotQueue::FrontDeque() {
    if (!head_.empty()) return head_;
    if (hidden_ != 0) throw LotsNotLoaded{};
    if (tail_.empty()) throw std::out_of_range("LotQueue: the front of an empty queue");
    return tail_;
}

const Lot& LotQueue::front() const {
    return const_cast<LotQueue*>(this)->FrontDeque().front();
}

void LotQueue::pop_front() {
    std::deque<Lot>& from = FrontDeque();
    totals_.Remove(from.front());
    from.pop_front();
    ++first_seq_;
    front_touched_ = true;
}

void LotQueue::ReduceFront(const Decimal& quantity,
                           const Decimal& cost,
                           const std::optional<Decimal>& cost_base) {
    Lot& lot = FrontDeque().front();
    lot.quantity -= Decimal::FromInt(lot.quantity.Sign()) * quantity;
    lot.cost -= cost;
    totals_.cost -= cost;
    if (lot.cost_base && cost_base) {
        lot.cost_base = *lot.cost_base - *cost_base;
        totals_.cost_base -= *cost_base;
    }
    front_touched_ = true;
}

void LotQueue::push_back(Lot lot) {
    totals_.Add(lot);
    tail_.push_back(std::move(lot));
}

void LotQueue::clear() {
    first_seq_ = NextSeq();
    head_.clear();
    tail_.clear();
    hidden_ = 0;
    totals_ = LotTotals();
    front_touched_ = true;
}

std::optional<Decimal> LotQueue::CostBase() const {
    if (totals_.missing_base != 0) return std::nullopt;
    return totals_.cost_base;
}

LotQueue LotQueue::Stored(std::int64_t first_seq, std::size_t count, LotTotals totals) {
    LotQueue q;
    q.first_seq_ = first_seq;
    q.hidden_ = count;
    q.totals_ = std::move(totals);
    return q;
}

LotQueue LotQueue::Numbered(std::int64_t first_seq, std::vector<Lot> lots) {
    LotQueue q;
    q.first_seq_ = first_seq;
    for (Lot& lot : lots) q.push_back(std::move(lot));
    return q;
}

bool LotQueue::LoadAfterHead(std::vector<Lot> lots) {
    if (lots.size() > hidden_) return false;
    for (Lot& lot : lots) head_.push_back(std::move(lot));
    hidden_ -= lots.size();
    return true;
}

bool LotQueue::LoadTail(std::vector<Lot> lots) {
    if (lots.size() > hidden_ || !tail_.empty()) return false;
    for (Lot& lot : lots) tail_.push_back(std::move(lot));
    hidden_ -= tail_.size();
    return true;
}

const Lot* LotQueue::Loaded(std::int64_t seq) const noexcept {
    if (seq < first_seq_) return nullptr;
    const auto i = static_cast<std::size_t>(seq - first_seq_);
    if (i < head_.size()) return &head_[i];
    const std::int64_t tail_start = NextSeq() - static_cast<std::int64_t>(tail_.size());
    if (seq >= tail_start && seq < NextSeq()) return &tail_[static_cast<std::size_t>(seq - tail_start)];
    return nullptr;
}

bool operator==(const LotQueue& a, const LotQueue& b) {
    if (a.first_seq_ != b.first_seq_ || a.size() != b.size() || a.hidden_ != 0 || b.hidden_ != 0 ||
        !(a.totals_ == b.totals_)) {
        return false;
    }
    for (std::int64_t seq = a.first_seq_; seq < a.NextSeq(); ++seq) {
        if (!(*a.Loaded(seq) == *b.Loaded(seq))) return false;
    }
    return true;
}

Decimal Holding::CostBasis(CostBasisMethod method) const {
    if (method == CostBasisMethod::kAverage) return average.cost;
    return fifo.lots.Cost();
}

std::optional<Decimal> Holding::CostBasisBase(CostBasisMethod method) const {
    if (base_rate_missing) return std::nullopt;
    if (method == CostBasisMethod::kAverage) return average.cost_base;
    return fifo.lots.CostBase();
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
