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

// The run of `parts` (renumbered) starting at `items[first]`, when it has two or more.
void CloseRun(const std::vector<Pipeline::Item>& items,
              std::size_t first,
              const std::vector<std::string>& parts,
              Plan& plan) {
    if (parts.size() < 2) return;
    Run run{first, parts.size(), "WITH ", "fused(", {}};
    for (std::size_t i = 0; i < parts.size(); ++i) {
        run.sql += (i > 0 ? ", w" : "w") + std::to_string(i) + " AS (" + parts[i] + ")";
        run.name += (i > 0 ? "+" : "") + std::string(items[first + i].query.name);
    }
    run.sql += " SELECT";
    run.name += ")";
    plan.push_back(std::move(run));
}

Plan MakePlan(const Pipeline& batch) {
    const std::vector<Pipeline::Item>& items = batch.Items();
    Plan plan;
    std::vector<std::string> parts;  // the current run's, renumbered
    std::size_t first = 0;           // its first item
    std::set<std::string> tables;    // the tables it writes
    std::size_t offset = 0;          // its parameters so far
    const auto end_run = [&] {
        CloseRun(items, first, parts, plan);
        parts.clear();
        tables.clear();
        offset = 0;
    };
    for (std::size_t i = 0; i < items.size(); ++i) {
        std::optional<std::string> table;
        if (items[i].query.fusable) table = TargetOf(items[i].query.sql);
        if (table && tables.count(*table) > 0) end_run();  // the table again: the run ends before it
        std::optional<std::string> renumbered;
        if (table) renumbered = Renumbered(items[i].query.sql, offset);
        if (!renumbered) {
            end_run();
            continue;
        }
        if (parts.empty()) first = i;
        tables.insert(std::move(*table));
        offset += items[i].params.Size();
        parts.push_back(std::move(*renumbered));
    }
    end_run();
    return plan;
}

// A batch's key in the cache: what its plan depends on. A statement that is not fusable
// counts only as one.
std::string KeyOf(const Pipeline& batch) {
    std::size_t size = 0;
    for (const Pipeline::Item& item : batch.Items())
        size += item.query.sql.size() + item.query.name.size() + 16;
    std::string key;
    key.reserve(size);
    for (const Pipeline::Item& item : batch.Items()) {
        if (!item.query.fusable) {
            key += '\x01';
            continue;
        }
        key += std::to_string(item.params.Size());
        key += '\x02';
        key += item.query.sql;
        key += '\x03';
        key += item.query.name;
        key += '\x04';
    }
    return key;
}

// Each run's query views its own texts, once they are where they stay.
void ViewTexts(Plan& plan) {
    for (Run& run : plan) run.query = Query{run.sql, run.name};
}

// The batch's items, each run of `plan` fused with its parameters in order.
Pipeline Apply(const Plan& plan, Pipeline batch) {
    std::vector<Pipeline::Item> items = batch.Release();
    Pipeline out;
    auto run = plan.begin();
    for (std::size_t i = 0; i < items.size();) {
        if (run != plan.end() && run->first == i) {
            Params params;
            for (std::size_t j = i; j < i + run->count; ++j) params.Append(std::move(items[j].params));
            out.PushParams(run->query, std::move(params));
            i += run->count;
            ++run;
            continue;
        }
        out.PushParams(items[i].query, std::move(items[i].params));
        ++i;
    }
    return out;
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

const Plan* PlanCache::Find(const std::string& key) {
    std::lock_guard lock(mutex_);
    const auto it = plans_.find(key);
    return it == plans_.end() ? nullptr : &it->second;
}

const Plan* PlanCache::Keep(std::string key, Plan plan) {
    std::lock_guard lock(mutex_);
    if (plans_.size() >= max_plans_ && plans_.count(key) == 0) return nullptr;
    const auto [it, added] = plans_.try_emplace(std::move(key), std::move(plan));
    if (added) ViewTexts(it->second);
    return &it->second;
}

PlanCache& ProcessPlans() {
    static PlanCache plans(1024);
    return plans;
}

Pipeline Fused(Pipeline batch, std::deque<std::string>& texts, PlanCache& plans) {
    std::string key = KeyOf(batch);
    if (const Plan* kept = plans.Find(key)) return Apply(*kept, std::move(batch));
    Plan plan = MakePlan(batch);
    if (const Plan* kept = plans.Keep(std::move(key), plan)) return Apply(*kept, std::move(batch));
    // Not kept: the texts stay with the caller until the batch is sent.
    for (Run& run : plan) {
        run.query = Query{texts.emplace_back(std::move(run.sql)), texts.emplace_back(std::move(run.name))};
    }
    return Apply(plan, std::move(batch));
}

}  // namespace nn::db::fuse
