#include "portfolio/csv_import.hpp"

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <cctype>
#include <map>
#include <optional>
#include <utility>

#include "infra/http/http_error.hpp"
#include "infra/http/json.hpp"
#include "portfolio/json_io.hpp"

namespace nn::portfolio {
namespace json = boost::json;

namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 34> kAliases = {{
    {"type", "type"},
    {"action", "type"},
    {"transaction type", "type"},
    {"activity type", "type"},
    {"symbol", "symbol"},
    {"ticker", "symbol"},
    {"instrument", "symbol"},
    {"quantity", "quantity"},
    {"shares", "quantity"},
    {"qty", "quantity"},
    {"no. of shares", "quantity"},
    {"price", "price"},
    {"price / share", "price"},
    {"unit price", "price"},
    {"tradeprice", "price"},
    {"amount", "amount"},
    {"total", "amount"},
    {"net amount", "amount"},
    {"fee", "fee"},
    {"fees", "fee"},
    {"commission", "fee"},
    {"ibcommission", "fee"},
    {"currency", "currency"},
    {"currency (price / share)", "currency"},
    {"fx_rate", "fx_rate"},
    {"exchange rate", "fx_rate"},
    {"split_ratio", "split_ratio"},
    {"executed_at", "executed_at"},
    {"date", "executed_at"},
    {"trade date", "executed_at"},
    {"tradedate", "executed_at"},
    {"time", "executed_at"},
    {"notes", "notes"},
    {"comment", "notes"},
}};

std::string Lower(std::string_view s) {
    std::string out;
    for (char c : s) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return out;
}

std::string Trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) return "";
    auto e = s.find_last_not_of(" \t\r");
    return std::string(s.substr(b, e - b + 1));
}

std::optional<std::string_view> Canonical(std::string_view header) {
    std::string h = Lower(Trim(header));
    for (const auto& [alias, name] : kAliases) {
        if (alias == h) return name;
    }
    return std::nullopt;
}

// RFC 4180 fields of one record starting at `pos`; advances `pos` past the record. nullopt on
// an unterminated quote.
std::optional<std::vector<std::string>> ReadRecord(std::string_view text, std::size_t& pos) {
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    bool was_quoted = false;
    while (pos < text.size()) {
        char c = text[pos++];
        if (quoted) {
            if (c == '"') {
                if (pos < text.size() && text[pos] == '"') {
                    field.push_back('"');
                    ++pos;
                } else {
                    quoted = false;
                }
            } else {
                field.push_back(c);
            }
        } else if (c == '"' && field.empty() && !was_quoted) {
            quoted = true;
            was_quoted = true;
        } else if (c == ',') {
            fields.push_back(was_quoted ? field : Trim(field));
            field.clear();
            was_quoted = false;
        } else if (c == '\n') {
            break;
        } else {
            field.push_back(c);
        }
    }
    if (quoted) return std::nullopt;
    fields.push_back(was_quoted ? field : Trim(field));
    return fields;
}

std::string CanonicalType(std::string_view raw) {
    std::string t = Lower(Trim(raw));
    for (char& c : t) c = c == ' ' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (t == "MARKET_BUY" || t == "LIMIT_BUY" || t == "BOUGHT") return "BUY";
    if (t == "MARKET_SELL" || t == "LIMIT_SELL" || t == "SOLD") return "SELL";
    if (t == "DIVIDENDS" || t == "DIVIDEND_(ORDINARY)") return "DIVIDEND";
    return t;
}

}  // namespace

CsvImport ParseTransactionsCsv(std::string_view text,
                               Timestamp now,
                               const std::function<void(std::size_t)>& progress) {
    CsvImport out;
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    std::size_t pos = 0;
    auto header = ReadRecord(text, pos);
    if (!header || text.empty()) {
        out.errors.push_back({1, "", "the file has no header line"});
        return out;
    }
    std::vector<std::optional<std::string_view>> columns;
    std::map<std::string_view, int> seen;
    for (const auto& h : *header) {
        auto c = Canonical(h);
        if (!c) {
            out.errors.push_back({1, h, "unknown column (see docs/portfolio.md for the accepted names)"});
        } else if (seen[*c]++) {
            out.errors.push_back({1, h, "a second column for the same field"});
        }
        columns.push_back(c);
    }
    if (!seen.count("type") || !seen.count("executed_at") || !seen.count("currency")) {
        out.errors.push_back({1, "", "the header needs type, date (executed_at) and currency columns"});
    }
    if (!out.errors.empty()) return out;

    std::size_t line = 1;
    while (pos < text.size()) {
        ++line;
        auto record = ReadRecord(text, pos);
        if (!record) {
            out.errors.push_back({line, "", "unterminated quoted field"});
            break;
        }
        if (record->size() == 1 && (*record)[0].empty()) continue;  // blank line
        ++out.lines;
        if (out.lines > kMaxImportLines) {
            out.errors.push_back({line, "", "more than 100000 lines"});
            break;
        }
        if (record->size() != columns.size()) {
            out.errors.push_back({line, "", "the number of fields differs from the header"});
            continue;
        }
        json::object o;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            const std::string& v = (*record)[i];
            if (v.empty()) continue;
            std::string_view name = *columns[i];
            if (name == "type") {
                o[name] = CanonicalType(v);
            } else if (name == "executed_at" && ParseDate(v)) {
                o[name] = v + "T00:00:00Z";
            } else if (name == "quantity" || name == "amount" || name == "fee") {
                // Brokers export sells and withdrawals with a sign; the type carries the direction.
                o[name] = !v.empty() && v[0] == '-' ? v.substr(1) : v;
            } else {
                o[name] = v;
            }
        }
        http::FieldReader in(o);
        Transaction t = ReadTransaction(in, now);
        if (in.Ok()) {
            out.transactions.push_back(std::move(t));
        } else {
            for (const auto& e : in.Errors()) out.errors.push_back({line, e.field, e.message});
        }
        if (progress && out.lines % 1000 == 0) progress(out.lines);
    }
    if (progress) progress(out.lines);
    return out;
}

json::object ToJson(const CsvImport& import) {
    json::array errors;
    for (const auto& e : import.errors) {
        errors.push_back(json::object{{"line", e.line}, {"field", e.field}, {"message", e.message}});
    }
    return json::object{
        {"lines", import.lines}, {"valid", import.transactions.size()}, {"errors", std::move(errors)}};
}

}  // namespace nn::portfolio
