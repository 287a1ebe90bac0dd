#include "infra/db/fuse.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

namespace nn::db::fuse {
namespace {

bool StartsWithWord(std::string_view text, std::string_view word) {
    if (text.size() < word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
        if (std::toupper(static_cast<unsigned char>(text[i])) != word[i]) return false;
    }
    return text.size() == word.size() || std::isspace(static_cast<unsigned char>(text[word.size()])) != 0;
}

std::string_view SkipSpace(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0)
        text.remove_prefix(1);
    return text;
}

// After INSERT / UPDATE / DELETE: the rest of the statement from its table name.
std::optional<std::string_view> AfterVerb(std::string_view sql) {
    sql = SkipSpace(sql);
    if (StartsWithWord(sql, "INSERT")) {
        sql = SkipSpace(sql.substr(6));
        if (!StartsWithWord(sql, "INTO")) return std::nullopt;
        return SkipSpace(sql.substr(4));
    }
    if (StartsWithWord(sql, "UPDATE")) {
        sql = SkipSpace(sql.substr(6));
        if (StartsWithWord(sql, "ONLY")) sql = SkipSpace(sql.substr(4));
        return sql;
    }
    if (StartsWithWord(sql, "DELETE")) {
        sql = SkipSpace(sql.substr(6));
        if (!StartsWithWord(sql, "FROM")) return std::nullopt;
        sql = SkipSpace(sql.substr(4));
        if (StartsWithWord(sql, "ONLY")) sql = SkipSpace(sql.substr(4));
        return sql;
    }
    return std::nullopt;
}

// A run of fusable writes, each renumbered once, as the text it takes in the fused statement.
struct Part {
    const Pipeline::Item* item;
    std::string renumbered;
};

void Flush(std::vector<Part>& run, Pipeline& out, std::deque<std::string>& texts) {
    if (run.size() == 1) out.PushParams(run.front().item->query, run.front().item->params);
    if (run.size() > 1) {
        std::string sql = "WITH ";
        std::string name = "fused(";
        Params params;
        for (std::size_t i = 0; i < run.size(); ++i) {
            const Pipeline::Item& item = *run[i].item;
            sql += (i > 0 ? ", w" : "w") + std::to_string(i) + " AS (" + run[i].renumbered + ")";
            name += (i > 0 ? "+" : "") + std::string(item.query.name);
            params.Append(item.params);
        }
        sql += " SELECT";
        name += ")";
        const std::string& stored_sql = texts.emplace_back(std::move(sql));
        const std::string& stored_name = texts.emplace_back(std::move(name));
        out.PushParams(Query{stored_sql, stored_name}, std::move(params));
    }
    run.clear();
}

}  // namespace

std::optional<std::string> Renumbered(std::string_view sql, std::size_t offset) {
    std::string out;
    out.reserve(sql.size() + 16);
    for (std::size_t i = 0; i < sql.size();) {
        // Plain text up to the next quote, comment start or parameter goes over in one piece.
        const std::size_t special = std::min(sql.find_first_of("'\"-/$", i), sql.size());
        out.append(sql.substr(i, special - i));
        i = special;
        if (i == sql.size()) break;
        const char c = sql[i];
        if (c == '\'' || c == '"') {
            const std::size_t close = sql.find(c, i + 1);
            if (close == std::string_view::npos) return std::nullopt;
            out.append(sql.substr(i, close + 1 - i));
            i = close + 1;
            continue;
        }
        if ((c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') ||
            (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*')) {
            return std::nullopt;
        }
        if (c == '$') {
            std::size_t j = i + 1;
            std::size_t n = 0;
            while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0) {
                n = n * 10 + static_cast<std::size_t>(sql[j] - '0');
                ++j;
            }
            if (j == i + 1) return std::nullopt;  // $tag$ quoting
            out += '$';
            out += std::to_string(n + offset);
            i = j;
            continue;
        }
        out += c;  // a lone '-' or '/'
        ++i;
    }
    return out;
}

std::optional<std::string> TargetOf(std::string_view sql) {
    const std::optional<std::string_view> rest = AfterVerb(sql);
    if (!rest) return std::nullopt;
    std::size_t end = 0;
    while (end < rest->size()) {
        const char c = (*rest)[end];
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_' && c != '.' && c != '"') break;
        ++end;
    }
    if (end == 0) return std::nullopt;
    return std::string(rest->substr(0, end));
}

Pipeline Fused(const Pipeline& batch, std::deque<std::string>& texts) {
    Pipeline out;
    std::vector<Part> run;
    std::set<std::string> tables;
    std::size_t offset = 0;  // parameters of the run so far
    for (const Pipeline::Item& item : batch.Items()) {
        std::optional<std::string> table;
        if (item.query.fusable) table = TargetOf(item.query.sql);
        if (table && tables.count(*table) > 0) {  // the table again: the run ends before it
            Flush(run, out, texts);
            tables.clear();
            offset = 0;
        }
        std::optional<std::string> renumbered;
        if (table) renumbered = Renumbered(item.query.sql, offset);
        if (!renumbered) {
            Flush(run, out, texts);
            tables.clear();
            offset = 0;
            out.PushParams(item.query, item.params);
            continue;
        }
        tables.insert(std::move(*table));
        offset += item.params.Size();
        run.push_back(Part{&item, std::move(*renumbered)});
    }
    Flush(run, out, texts);
    return out;
}

}  // namespace nn::db::fuse
