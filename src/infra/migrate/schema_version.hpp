#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.hpp"
#include "infra/migrate/catalog.hpp"

// Semantic versions of each database's schema (docs/migrations.md "Schema versions"): every
// migration brings its database to a version, recorded in the table of schema_version.cpp;
// a binary knows the newest one of each database and refuses to serve against any other.
namespace nn::migrate {

struct SemVer {
    std::uint32_t major = 0;
    std::uint32_t minor = 0;
    std::uint32_t patch = 0;

    static std::optional<SemVer> Parse(std::string_view text);  // "1.2.0"
    std::string ToString() const;
    auto operator<=>(const SemVer&) const = default;
};

// One migration and the schema version its database has once it is applied.
struct SchemaMark {
    std::string_view migration;  // "0003", as the file is named
    SemVer version;
};

// Every migration of `database` this build knows, in version order.
std::span<const SchemaMark> SchemaHistory(Database database);

// The newest mark of `database`: the schema this build needs.
const SchemaMark& RequiredSchema(Database database);

// What the applied migrations of one database say about it.
struct SchemaState {
    // The version of the newest applied migration this build knows; nullopt when none is applied.
    std::optional<SemVer> version;
    std::string newest_applied;  // version of the newest applied migration ("" when none)
    bool newer = false;          // an applied migration this build does not know
    bool complete = false;       // every known migration is applied and none is unknown
};
SchemaState EvaluateSchema(Database database, const std::vector<std::string>& applied_migrations);

// The one-line reason `serve` refuses a database, or nullopt when it matches this build.
std::optional<std::string> SchemaMismatch(Database database, const SchemaState& state);

// The applied migration versions of a database (blocking libpq; any role that may SELECT on
// public.schema_migrations: the admin, or a service role since `migrate up` grants it). An
// empty list when the table does not exist.
std::vector<std::string> ReadAppliedMigrations(const Secret& url);

}  // namespace nn::migrate
