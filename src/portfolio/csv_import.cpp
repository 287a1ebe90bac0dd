#include "portfolio/csv_import.hpp"

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <cctype>
#include <map>
#include <optional>
#include <utility>

#include "core/text.hpp"
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

std::string Trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) return "";
    auto e = s.find_last_not_of(" \t\r");
    return std::string(s.substr(b, e - b + 1));
}

std::optional<std::string_view> Canonical(std::string_view header) {
    std::string h = AsciiLower(Trim(header));
    for (const auto& [alias, name] : kAliases) {
        if (alias == h) return name;
    }
    return std::nullopt;
}

enum class RecordStatus { kOk, kUnterminated, kTooLong, kTooManyFields };

// RFC 4180 fields of one record starting at `pos` into `fields`; advances `pos` past the record.
// A record longer than kMaxImportLineBytes or with more than kMaxImportColumns fields stops
// being read there (the rest of its line is skipped), so one line costs at most that much.
RecordStatus ReadRecord(std::string_view text, std::size_t& pos, std::vector<std::string>& fields) {
    fields.clear();
    const std::size_t start = pos;
    std::string field;
    bool quoted = false;
    bool was_quoted = false;
    auto skip_line = [&] {
        auto nl = text.find('\n', pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
    };
    while (pos < text.size()) {
        if (pos - start >= kMaxImportLineBytes) {
            skip_line();
            return RecordStatus::kTooLong;
        }
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
            if (fields.size() + 1 >= kMaxImportColumns) {
                skip_line();
                return RecordStatus::kTooManyFields;
            }
            fields.push_back(was_quoted ? field : Trim(field));
            field.clear();
            was_quoted = false;
        } else if (c == '\n') {
            break;
        } else {
            field.push_back(c);
        }
    }
    if (quoted) return RecordStatus::kUnterminated;
    fields.push_back(was_quoted ? field : Trim(field));
    return RecordStatus::kOk;
}

const char* Describe(RecordStatus status) {
    switch (status) {
        case RecordStatus::kUnterminated:
            return "unterminated quoted field";
        case RecordStatus::kTooLong:
            return "the line is longer than 16384 bytes";
        case RecordStatus::kTooManyFields:
            return "more than 64 fields";
        case RecordStatus::kOk:
            break;
    }
    return "";
}

void AddError(CsvImport& out, std::size_t line, std::string_view field, std::string message) {
    ++out.error_count;
    if (out.errors.size() < kMaxImportErrors)
        out.errors.push_back({line, std::string(field), std::move(message)});
}

std::string CanonicalType(std::string_view raw) {
    std::string t = AsciiLower(Trim(raw));
    for (char& c : t) c = c == ' ' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (t == "MARKET_BUY" || t == "LIMIT_BUY" || t == "BOUGHT") return "BUY";
    if (t == "MARKET_SELL" || t == "LIMIT_SELL" || t == "SOLD") return "SELL";
    if (t == "DIVIDENDS" || t == "DIVIDEND_(ORDINARY)") return "DIVIDEND";
    return t;
}

// A data record as the JSON object ReadTransaction reads: empty fields left out, the type and a
// date-only executed_at in the API's forms, signs dropped from amounts.
json::object RecordObject(const std::vector<std::optional<std::string_view>>& columns,
                          const std::vector<std::string>& record) {
    json::object o;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        const std::string& v = record[i];
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
    return o;
}

}  // namespace

CsvImport ParseTransactionsCsv(std::string_view text,
                               Timestamp now,
                               const std::function<void(std::size_t)>& progress) {
    CsvImport out;
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    std::size_t pos = 0;
    std::vector<std::string> header;
    const RecordStatus header_status = ReadRecord(text, pos, header);
    if (text.empty()) {
        AddError(out, 1, "", "the file has no header line");
        return out;
    }
    if (header_status != RecordStatus::kOk) {
        AddError(out, 1, "", std::string("header: ") + Describe(header_status));
        return out;
    }
    std::vector<std::optional<std::string_view>> columns;
    std::map<std::string_view, int> seen;
    for (const auto& h : header) {
        auto c = Canonical(h);
        if (!c) {
            AddError(out, 1, h.substr(0, 64),
                     "unknown column (see docs/portfolio.md for the accepted names)");
        } else if (seen[*c]++) {
            AddError(out, 1, h, "a second column for the same field");
        }
        columns.push_back(c);
    }
    if (!seen.count("type") || !seen.count("executed_at") || !seen.count("currency")) {
        AddError(out, 1, "", "the header needs type, date (executed_at) and currency columns");
    }
    if (out.error_count != 0) return out;

    std::size_t line = 1;
    std::vector<std::string> record;
    while (pos < text.size()) {
        ++line;
        const RecordStatus status = ReadRecord(text, pos, record);
        if (status == RecordStatus::kUnterminated) {
            AddError(out, line, "", Describe(status));
            break;
        }
        if (status == RecordStatus::kOk && record.size() == 1 && record[0].empty()) continue;  // blank line
        ++out.lines;
        if (out.lines > kMaxImportLines) {
            AddError(out, line, "", "more than 100000 lines");
            break;
        }
        if (status != RecordStatus::kOk) {
            AddError(out, line, "", Describe(status));
            continue;
        }
        if (record.size() != columns.size()) {
            AddError(out, line, "", "the number of fields differs from the header");
            continue;
        }
        json::object o = RecordObject(columns, record);
        http::FieldReader in(o);
        Transaction t = ReadTransaction(in, now);
        if (in.Ok()) {
            out.transactions.push_back(std::move(t));
        } else {
            for (const auto& e : in.Errors()) AddError(out, line, e.field, e.message);
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
    return json::object{{"lines", import.lines},
                        {"valid", import.transactions.size()},
                        {"errors", std::move(errors)},
                        {"error_count", import.error_count},
                        {"errors_truncated", import.error_count > import.errors.size()}};
}

}  // namespace nn::portfolio
