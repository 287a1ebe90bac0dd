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

namespace {

// Everything but the lots: the fields of v1 up to the rate flag.
void PutHeader(std::string& out, const Holding& h, std::string_view version) {
    Put(out, version);
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
}

void PutLot(std::string& out, const Lot& lot) {
    PutDecimal(out, lot.quantity);
    PutDecimal(out, lot.cost);
    PutOptional(out, lot.cost_base);
    PutTime(out, lot.acquired_at);
}

// v2's lot fields: the totals, the numbering and the count.
void PutLotsHeader(std::string& out, const LotQueue& lots) {
    PutDecimal(out, lots.Totals().cost);
    PutDecimal(out, lots.Totals().cost_base);
    Put(out, std::to_string(lots.Totals().missing_base));
    Put(out, std::to_string(lots.FirstSeq()));
    Put(out, std::to_string(lots.size()));
}

bool ReadHeader(Reader& r, Holding& h) {
    auto currency = r.Token();
    if (!currency) return false;
    auto c = Currency::Parse(*currency);
    if (!c) return false;
    h.currency = *c;
    if (!r.ReadDecimal(h.quantity) || !r.ReadDecimal(h.average.cost) ||
        !r.ReadOptional(h.average.cost_base) || !r.ReadDecimal(h.average.realized) ||
        !r.ReadOptional(h.average.realized_base) || !r.ReadDecimal(h.fifo.realized) ||
        !r.ReadOptional(h.fifo.realized_base) || !r.ReadDecimal(h.income) || !r.ReadDecimal(h.fees)) {
        return false;
    }
    auto first = r.Token();
    if (!first) return false;
    if (*first != "-") {
        std::int64_t v = 0;
        auto [p, ec] = std::from_chars(first->data(), first->data() + first->size(), v);
        if (ec != std::errc() || p != first->data() + first->size()) return false;
        h.first_trade_at = Timestamp(std::chrono::microseconds(v));
    }
    auto missing = r.Token();
    if (!missing || (*missing != "0" && *missing != "1")) return false;
    h.base_rate_missing = *missing == "1";
    return true;
}

bool ReadLot(Reader& r, Lot& lot) {
    return r.ReadDecimal(lot.quantity) && r.ReadDecimal(lot.cost) && r.ReadOptional(lot.cost_base) &&
           r.ReadTime(lot.acquired_at);
}

// `count` lots, the last tokens of the text.
std::optional<std::vector<Lot>> ReadLotsToEnd(Reader& r, std::int64_t count) {
    std::vector<Lot> list;
    list.reserve(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i) {
        Lot lot;
        if (!ReadLot(r, lot)) return std::nullopt;
        list.push_back(std::move(lot));
    }
    if (!r.Done()) return std::nullopt;
    return list;
}

}  // namespace

std::string EncodeHolding(const Holding& h) {
    std::string out;
    out.reserve(200 + h.fifo.lots.size() * 64);
    PutHeader(out, h, "v2");
    PutLotsHeader(out, h.fifo.lots);
    Put(out, "L");
    h.fifo.lots.ForEach([&](const Lot& lot) { PutLot(out, lot); });
    return out;
}

std::string EncodePosition(const Holding& h, std::int64_t lots_per_page) {
    std::string out;
    out.reserve(200);
    PutHeader(out, h, "v2");
    PutLotsHeader(out, h.fifo.lots);
    Put(out, "P" + std::to_string(lots_per_page));
    return out;
}

std::optional<DecodedState> DecodeState(std::string_view text, std::string symbol) {
    Reader r(text);
    DecodedState out;
    Holding& h = out.holding;
    h.symbol = std::move(symbol);
    auto version = r.Token();
    if (!version || (*version != "v1" && *version != "v2")) return std::nullopt;
    if (!ReadHeader(r, h)) return std::nullopt;
    if (*version == "v1") {
        // Before lots were numbered and totalled: numbered from 0, totals summed.
        std::int64_t lots = 0;
        if (!r.ReadInt(lots) || lots < 0) return std::nullopt;
        auto list = ReadLotsToEnd(r, lots);
        if (!list) return std::nullopt;
        h.fifo.lots = LotQueue::Numbered(0, std::move(*list));
        return out;
    }
    LotTotals totals;
    std::int64_t missing_base = 0, first_seq = 0, count = 0;
    if (!r.ReadDecimal(totals.cost) || !r.ReadDecimal(totals.cost_base) || !r.ReadInt(missing_base) ||
        missing_base < 0 || !r.ReadInt(first_seq) || first_seq < 0 || !r.ReadInt(count) || count < 0 ||
        missing_base > count) {
        return std::nullopt;
    }
    totals.missing_base = static_cast<std::size_t>(missing_base);
    auto where = r.Token();
    if (!where) return std::nullopt;
    if (*where == "L") {
        auto list = ReadLotsToEnd(r, count);
        if (!list) return std::nullopt;
        // The stored totals, exactly as they were kept (a sum could differ in scale), if they are
        // the lots' (equal in value).
        LotTotals summed;
        for (const Lot& lot : *list) summed.Add(lot);
        if (!(summed == totals)) return std::nullopt;
        h.fifo.lots = LotQueue::Stored(first_seq, static_cast<std::size_t>(count), std::move(totals));
        h.fifo.lots.LoadAfterHead(std::move(*list));
        return out;
    }
    if (where->size() < 2 || (*where)[0] != 'P' || !r.Done()) return std::nullopt;
    std::int64_t per_page = 0;
    auto [p, ec] = std::from_chars(where->data() + 1, where->data() + where->size(), per_page);
    if (ec != std::errc() || p != where->data() + where->size() || per_page <= 0) return std::nullopt;
    out.lots_per_page = per_page;
    h.fifo.lots = LotQueue::Stored(first_seq, static_cast<std::size_t>(count), std::move(totals));
    return out;
}

std::optional<Holding> DecodeHolding(std::string_view text, std::string symbol) {
    auto decoded = DecodeState(text, std::move(symbol));
    if (!decoded || decoded->lots_per_page != 0) return std::nullopt;
    return std::move(decoded->holding);
}

std::string EncodeLotPage(std::int64_t first_seq, const std::vector<const Lot*>& lots) {
    std::string out;
    out.reserve(24 + lots.size() * 64);
    Put(out, std::to_string(first_seq));
    Put(out, std::to_string(lots.size()));
    for (const Lot* lot : lots) PutLot(out, *lot);
    return out;
}

std::optional<LotPage> DecodeLotPage(std::string_view text) {
    Reader r(text);
    LotPage page;
    std::int64_t count = 0;
    if (!r.ReadInt(page.first_seq) || page.first_seq < 0 || !r.ReadInt(count) || count < 0)
        return std::nullopt;
    auto lots = ReadLotsToEnd(r, count);
    if (!lots) return std::nullopt;
    page.lots = std::move(*lots);
    return page;
}

std::optional<Holding> AssemblePosition(std::string_view state,
                                        std::string symbol,
                                        const std::vector<std::string>& pages) {
    auto decoded = DecodeState(state, std::move(symbol));
    if (!decoded) return std::nullopt;
    if (decoded->lots_per_page == 0) {
        // Lots in the state: no page may be stored besides.
        if (!pages.empty()) return std::nullopt;
        return std::move(decoded->holding);
    }
    LotQueue& lots = decoded->holding.fifo.lots;
    std::int64_t next = lots.FirstSeq();
    for (const std::string& text : pages) {
        auto page = DecodeLotPage(text);
        if (!page || page->first_seq != next) return std::nullopt;
        next += static_cast<std::int64_t>(page->lots.size());
        if (!lots.LoadAfterHead(std::move(page->lots))) return std::nullopt;
    }
    if (!lots.Complete()) return std::nullopt;
    return std::move(decoded->holding);
}

}  // namespace nn::portfolio
