#include "infra/db/text_array.hpp"

#include <cctype>
#include <string_view>

#include "infra/db/codec.hpp"
#include "infra/db/query.hpp"

namespace nn::db {

namespace {

bool NeedsQuotes(std::string_view item) {
    if (item.empty()) return true;
    if (item.size() == 4) {
        std::string lower(item);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower == "null") return true;
    }
    for (char c : item) {
        if (c == '{' || c == '}' || c == '"' || c == '\\' || c == ',' ||
            std::isspace(static_cast<unsigned char>(c)))
            return true;
    }
    return false;
}

}  // namespace

std::string ArrayLiteral(const TextArray& array) {
    std::string out = "{";
    for (std::size_t i = 0; i < array.items.size(); ++i) {
        if (i > 0) out += ',';
        const std::optional<std::string>& item = array.items[i];
        if (!item) {
            out += "NULL";
        } else if (!NeedsQuotes(*item)) {
            out += *item;
        } else {
            out += '"';
            for (char c : *item) {
                if (c == '"' || c == '\\') out += '\\';
                out += c;
            }
            out += '"';
        }
    }
    return out + "}";
}

void ParamTraits<TextArray>::Write(const TextArray& a, ParamValue& p) {
    bool has_null = false;
    for (const auto& item : a.items) has_null = has_null || !item;
    p.binary = true;
    AppendBigEndian(1, 4, p.bytes);  // dimensions
    AppendBigEndian(has_null ? 1 : 0, 4, p.bytes);
    AppendBigEndian(oid::kText, 4, p.bytes);
    AppendBigEndian(a.items.size(), 4, p.bytes);
    AppendBigEndian(1, 4, p.bytes);  // lower bound
    for (const auto& item : a.items) {
        if (!item) {
            AppendBigEndian(0xffffffffu, 4, p.bytes);  // length -1: NULL
            continue;
        }
        AppendBigEndian(item->size(), 4, p.bytes);
        p.bytes += *item;
    }
}

}  // namespace nn::db
