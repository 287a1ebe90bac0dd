#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret.hpp"
#include "infra/migrate/catalog.hpp"
#include "infra/migrate/migration_files.hpp"

// The migration engine (docs/migrations.md). Blocking libpq by design: it runs in the CLI and
// at start-up before any event loop. Every failure is an nn::Error whose message is one line
// fit for the CLI and never holds a password: kUnprocessable for bad files, changed checksums
// and bad arguments, kUnavailable when the server cannot be reached, kInternal when the server
// refuses a statement.
namespace nn::migrate {

struct Options {
    // A superuser, or a role with CREATEROLE and CREATEDB, in any libpq form; its database
    // part is ignored (each step picks its own database).
    Secret admin_url;
    // Databases are "<prefix>_auth", ...; [a-z_][a-z0-9_]*, at most 48 characters.
    std::string prefix = "nexanest";
    // The password every service role gets (set again on each bootstrap, so rotating it is
    // changing the configuration and running `migrate up`).
    Secret service_password;
    // A service role's own password (keyed by the service: "auth", "portfolio", "market",
    // "analytics", "notify"), used instead of service_password for that role.
    std::map<std::string, Secret> role_passwords;
    std::filesystem::path migrations_dir = "migrations";
    // One line per step ("auth: applied 0002_sessions (14 ms)") and per server notice.
    std::function<void(const std::string&)> progress;
};

// What one call did, in order.
struct Step {
    Database database = Database::kAuth;
    std::string version;
    std::string name;
    Direction direction = Direction::kUp;
    std::int64_t duration_ms = 0;
};

enum class MigrationState {
    kPending,      // file present, not applied
    kApplied,      // applied and the up file is unchanged
    kChanged,      // applied, but the up file's checksum differs: every operation refuses
    kFileMissing,  // applied, but no file has this version any more
};

struct MigrationStatus {
    std::string version;
    std::string name;
    MigrationState state = MigrationState::kPending;
    bool no_transaction = false;
    std::string file_checksum;     // empty when the file is missing
    std::string applied_checksum;  // empty when not applied
    std::string applied_at;        // "2024-05-01T12:00:00.123Z", empty when not applied
    std::int64_t duration_ms = 0;
};

struct DatabaseStatus {
    Database database = Database::kAuth;
    std::string name;                         // "<prefix>_auth"
    bool exists = false;                      // false before the first bootstrap: every file is then pending
    std::vector<MigrationStatus> migrations;  // by version
};

// Creates or repairs roles, databases, grants and the pg_partman extension. Idempotent and safe
// to run from several processes at once (cluster-wide advisory lock in the "postgres"
// database). Up and To call it first.
void Bootstrap(const Options& options);

// Applies every pending migration of one database or of all five, in version order.
std::vector<Step> Up(const Options& options, std::optional<Database> database = std::nullopt);

// Rolls back the `steps` most recently versioned applied migrations (fewer if fewer are applied).
std::vector<Step> Down(const Options& options, Database database, int steps = 1);

// Brings one database to exactly `version`: rolls back every applied migration above it, then
// applies every pending one up to it. "0" rolls back everything.
std::vector<Step> To(const Options& options, Database database, std::string_view version);

// Reads, never writes or locks.
std::vector<DatabaseStatus> Status(const Options& options);

// A plain-text table of Status for the CLI, one line per migration.
std::string FormatStatus(const std::vector<DatabaseStatus>& status);

// The admin URL pointing at another database (for tools and tests).
Secret AdminUrlFor(const Options& options, Database database);

// How a service role reaches a database on the admin URL's cluster: same host, port and
// options, the role's name and the service password.
// The password of `role`: its own when role_passwords has one, else service_password.
const Secret& PasswordFor(const Options& options, ServiceRole role);
Secret ServiceUrlFor(const Options& options, ServiceRole role, Database database);

}  // namespace nn::migrate
