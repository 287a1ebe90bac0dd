#include "portfolio/ledger_state.hpp"

#include <charconv>
#include <vector>

namespace nn::portfolio {
namespace {

// Space-separated tokens; "-" is an absent value.
void Put(std::string& out, std::string_view token) {
    if (!out.empty()) out.push_back(' ');
    out += token;
}
// Written in place: a stored position holds four values per open lot (thousands of them).
void PutDecimal(std::string& out, const Decimal& d) {
    if (!out.empty()) out.push_back(' ');
    d.AppendTo(out);
}
void PutOptional(std::string& out, const std::optional<Decimal>& d) {
    if (d) {
        PutDecimal(out, *d);
    } else {
        Put(out, "-");
    }
}
void PutTime(std::string& out, Timestamp t) {
    char buffer[24];
    const std::to_chars_result written =
        std::to_chars(buffer, buffer + sizeof buffer, t.time_since_epoch().count());
    Put(out, std::string_view(buffer, static_cast<std::size_t>(written.ptr - buffer)));
}

class Reader {
public:
    explicit Reader(std::string_view text) : text_(text) {}

    std::optional<std::string_view> Token() {
        while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
        if (pos_ >= text_.size()) return std::nullopt;
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != ' ') ++pos_;
        return text_.substr(start, pos_ - start);
    }
    bool Done() {
        while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
        return pos_ >= text_.size();
    }
    bool ReadDecimal(Decimal& out) {
        auto t = Token();
        if (!t) return false;
        auto d = Decimal::Parse(*t);
        if (!d) return false;
        out = *d;
        return true;
    }
    bool ReadOptional(std::optional<Decimal>& out) {
        auto t = Token();
        if (!t) return false;
        if (*t == "-") {
            out.reset();
            return true;
        }
        auto d = Decimal::Parse(*t);
        if (!d) return false;
        out = *d;
        return true;
    }
    bool ReadInt(std::int64_t& out) {
        auto t = Token();
        if (!t) return false;
        auto [p, ec] = std::from_chars(t->data(), t->data() + t->size(), out);
        return ec == std::errc() && p == t->data() + t->size();
    }
    bool ReadTime(Timestamp& out) {
        std::int64_t v = 0;
        if (!ReadInt(v)) return false;
        out = Timestamp(std::chrono::microseconds(v));
        return true;
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

std::string EncodeHolding(const Holding& h) {
    std::string out;
    out.reserve(160 + h.fifo.lots.size() * 64);
    Put(out, "v1");
    Put(out, h.currency.Code());
    PutDecimal(out, h.quantity);
    PutDecimal(out, h.average.cost);
    PutOptional(out, h.average.cost_base);
    PutDecimal(out, h.average.realized);
    PutOptional(out, h.average.realized_base);
    PutDecimal(out, h.fifo.realized);
    PutOptional(out, h.fifo.realized_base);
    PutDecimal(out, h.income);
    PutDecimal(out, h.fees);
    if (h.first_trade_at) {
        PutTime(out, *h.first_trade_at);
    } else {
        Put(out, "-");
    }
    Put(out, h.base_rate_missing ? "1" : "0");
    Put(out, std::to_string(h.fifo.lots.size()));
    for (const Lot& lot : h.fifo.lots) {
        PutDecimal(out, lot.quantity);
        PutDecimal(out, lot.cost);
        PutOptional(out, lot.cost_base);
        PutTime(out, lot.acquired_at);
    }
    return out;
}

std::optional<Holding> DecodeHolding(std::string_view text, std::string symbol) {
    Reader r(text);
    Holding h;
    h.symbol = std::move(symbol);
    auto version = r.Token();
    if (!version || *version != "v1") return std::nullopt;
    auto currency = r.Token();
    if (!currency) return std::nullopt;
    auto c = Currency::Parse(*currency);
    if (!c) return std::nullopt;
    h.currency = *c;
    if (!r.ReadDecimal(h.quantity) || !r.ReadDecimal(h.average.cost) ||
        !r.ReadOptional(h.average.cost_base) || !r.ReadDecimal(h.average.realized) ||
        !r.ReadOptional(h.average.realized_base) || !r.ReadDecimal(h.fifo.realized) ||
        !r.ReadOptional(h.fifo.realized_base) || !r.ReadDecimal(h.income) || !r.ReadDecimal(h.fees)) {
        return std::nullopt;
    }
    auto first = r.Token();
    if (!first) return std::nullopt;
    if (*first != "-") {
        std::int64_t v = 0;
        auto [p, ec] = std::from_chars(first->data(), first->data() + first->size(), v);
        if (ec != std::errc() || p != first->data() + first->size()) return std::nullopt;
        h.first_trade_at = Timestamp(std::chrono::microseconds(v));
    }
    auto missing = r.Token();
    if (!missing || (*missing != "0" && *missing != "1")) return std::nullopt;
    h.base_rate_missing = *missing == "1";
    std::int64_t lots = 0;
    if (!r.ReadInt(lots) || lots < 0) return std::nullopt;
    for (std::int64_t i = 0; i < lots; ++i) {
        Lot lot;
        if (!r.ReadDecimal(lot.quantity) || !r.ReadDecimal(lot.cost) || !r.ReadOptional(lot.cost_base) ||
            !r.ReadTime(lot.acquired_at)) {
            return std::nullopt;
        }
        h.fifo.lots.push_back(std::move(lot));
    }
    if (!r.Done()) return std::nullopt;
    return h;
}

}  // namespace nn::portfolio
