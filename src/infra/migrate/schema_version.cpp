#include "infra/migrate/schema_version.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/error.hpp"
#include "infra/migrate/pg_session.hpp"

namespace nn::migrate {
namespace {

// The schema version each migration brings its database to. Add a row with every new
// migration (schema_version_test checks the table against migrations/): MAJOR when a binary
// built before it cannot run against the result (a column dropped, renamed or retyped, data
// rewritten), MINOR when it adds (tables, columns, functions, policies), PATCH when nothing a
// query sees changes (an index, a grant, a comment). Releases are in CHANGELOG.md.
constexpr SchemaMark kAuth[] = {
    {"0001", {1, 0, 0}},
    {"0002", {1, 1, 0}},
    {"0003", {1, 2, 0}},
    {"0004", {1, 2, 1}},
};
constexpr SchemaMark kPortfolio[] = {
    {"0001", {1, 0, 0}}, {"0002", {1, 1, 0}}, {"0003", {1, 2, 0}}, {"0004", {1, 3, 0}}, {"0005", {1, 4, 0}},
    {"0006", {1, 4, 1}}, {"0007", {1, 5, 0}}, {"0008", {1, 5, 1}}, {"0009", {1, 6, 0}}, {"0010", {1, 6, 1}},
};
constexpr SchemaMark kAnalytics[] = {
    {"0001", {1, 0, 0}},
    {"0002", {1, 1, 0}},
    {"0003", {1, 1, 1}},
};
constexpr SchemaMark kNotifications[] = {
    {"0001", {1, 0, 0}},
    {"0002", {1, 0, 1}},
};
constexpr SchemaMark kTimescale[] = {
    {"0001", {1, 0, 0}},
    {"0002", {1, 1, 0}},
    {"0003", {1, 1, 1}},
};

std::uint64_t Number(std::string_view version) {
    std::uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(version.data(), version.data() + version.size(), n);
    if (ec != std::errc() || ptr != version.data() + version.size()) return UINT64_MAX;
    return n;
}

}  // namespace

std::optional<SemVer> SemVer::Parse(std::string_view text) {
    SemVer v;
    std::uint32_t* parts[] = {&v.major, &v.minor, &v.patch};
    const char* p = text.data();
    const char* end = text.data() + text.size();
    for (int i = 0; i < 3; ++i) {
        if (i > 0) {
            if (p == end || *p != '.') return std::nullopt;
            ++p;
        }
        if (p == end || (*p == '0' && p + 1 != end && p[1] != '.')) return std::nullopt;  // no leading zeros
        auto [next, ec] = std::from_chars(p, end, *parts[i]);
        if (ec != std::errc()) return std::nullopt;
        p = next;
    }
    if (p != end) return std::nullopt;
    return v;
}

std::string SemVer::ToString() const {
    return fmt::format("{}.{}.{}", major, minor, patch);
}

std::span<const SchemaMark> SchemaHistory(Database database) {
    switch (database) {
        case Database::kAuth:
            return kAuth;
        case Database::kPortfolio:
            return kPortfolio;
        case Database::kAnalytics:
            return kAnalytics;
        case Database::kNotifications:
            return kNotifications;
        case Database::kTimescale:
            return kTimescale;
    }
    return {};
}

const SchemaMark& RequiredSchema(Database database) {
    return SchemaHistory(database).back();
}

SchemaState EvaluateSchema(Database database, const std::vector<std::string>& applied_migrations) {
    SchemaState state;
    auto history = SchemaHistory(database);
    std::uint64_t newest = 0;
    std::uint64_t newest_known = 0;
    std::size_t known_applied = 0;
    for (const auto& applied : applied_migrations) {
        std::uint64_t n = Number(applied);
        if (state.newest_applied.empty() || n > newest) {
            newest = n;
            state.newest_applied = applied;
        }
        auto mark = std::find_if(history.begin(), history.end(),
                                 [&](const SchemaMark& m) { return Number(m.migration) == n; });
        if (mark == history.end()) {
            state.newer = true;
            continue;
        }
        ++known_applied;
        if (!state.version || n > newest_known) {
            newest_known = n;
            state.version = mark->version;
        }
    }
    state.complete = !state.newer && known_applied == history.size();
    return state;
}

std::optional<std::string> SchemaMismatch(Database database, const SchemaState& state) {
    const SchemaMark& need = RequiredSchema(database);
    const auto key = DatabaseKey(database);
    if (state.newer) {
        return fmt::format(
            "the {} schema is newer than this nexanest knows (migration {} applied, this build knows up to "
            "{}, schema {}): run the nexanest that migrated it, or roll the database back with the newer "
            "binary's `migrate to`",
            key, state.newest_applied, need.migration, need.version.ToString());
    }
    if (!state.complete) {
        return fmt::format(
            "the {} schema is {} but this nexanest needs {} (migration {}): run `nexanest migrate up`", key,
            state.version ? state.version->ToString() : std::string("empty"), need.version.ToString(),
            need.migration);
    }
    return std::nullopt;
}

std::vector<std::string> ReadAppliedMigrations(const Secret& url) {
    detail::Session s(url.Reveal(), "");
    auto exists =
        s.Exec("SELECT to_regclass('public.schema_migrations') IS NOT NULL", "looking up schema_migrations");
    std::vector<std::string> out;
    if (std::string_view(PQgetvalue(exists.get(), 0, 0)) != "t") return out;
    detail::Result rows;
    if (auto error = s.TryExec("SELECT version FROM public.schema_migrations", &rows)) {
        if (error->sqlstate == "42501") {
            throw Error(ErrorKind::kUnprocessable, "migrate.schema_unreadable",
                        "cannot read the schema version (" + error->message +
                            "): run `nexanest migrate up`, which grants it to the service roles");
        }
        throw Error(ErrorKind::kInternal, "migrate.sql", "reading schema_migrations: " + error->Describe());
    }
    for (int i = 0; i < PQntuples(rows.get()); ++i) out.emplace_back(PQgetvalue(rows.get(), i, 0));
    return out;
}

}  // namespace nn::migrate
