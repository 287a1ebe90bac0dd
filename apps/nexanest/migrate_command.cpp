#include "apps/nexanest/migrate_command.hpp"

#include <fmt/format.h>

#include <iostream>

#include "apps/nexanest/global_options.hpp"
#include "core/error.hpp"
#include "infra/migrate/migration_files.hpp"
#include "infra/migrate/migrator.hpp"
#include "infra/migrate/schema_version.hpp"

namespace nn::app {

migrate::Options MigrateOptions(const runtime::Config& config) {
    if (config.database_url.Empty()) {
        throw Error(ErrorKind::kUnprocessable, "config.missing",
                    "configuration: NEXANEST_DATABASE_URL (database.url) is required for migrations");
    }
    if (config.db_service_password.Empty()) {
        throw Error(ErrorKind::kUnprocessable, "config.missing",
                    "configuration: NEXANEST_DB_SERVICE_PASSWORD (database.service_password) is required for "
                    "migrations: it is the password the service roles get");
    }
    migrate::Options options;
    options.admin_url = config.database_url;
    options.prefix = config.database_prefix;
    options.service_password = config.db_service_password;
    options.role_passwords = config.db_role_passwords;
    options.migrations_dir = config.migrations_dir;
    options.progress = [](const std::string& line) { std::cout << line << '\n'; };
    return options;
}

namespace {

migrate::Database RequireDatabase(const std::string& key) {
    auto db = migrate::ParseDatabase(key);
    if (!db) {
        throw Error(
            ErrorKind::kUnprocessable, "cli.bad_database",
            fmt::format("unknown database '{}': one of auth, portfolio, analytics, notifications, timescale",
                        key));
    }
    return *db;
}

// Applying a file this build does not know leaves a schema its own `serve` refuses (the folder of
// a newer release next to an older binary): refused before anything is applied. A migration this
// build knows but the folder lacks is LoadMigrations's and the migrator's to report.
void RefuseUnknownMigrations(const migrate::Options& options, std::optional<migrate::Database> only) {
    for (migrate::Database d : migrate::kAllDatabases) {
        if (only && *only != d) continue;
        const auto known = migrate::SchemaHistory(d);
        for (const migrate::Migration& m : migrate::LoadMigrations(options.migrations_dir, d)) {
            const bool listed = std::any_of(known.begin(), known.end(), [&](const migrate::SchemaMark& k) {
                return k.migration == m.version;
            });
            if (listed) continue;
            throw Error(
                ErrorKind::kUnprocessable, "migrate.unknown_to_build",
                fmt::format("migrations/{}/{} is not a migration this nexanest knows (its newest is "
                            "{}): run the nexanest of the release these files belong to",
                            migrate::DatabaseKey(d), m.up_file, migrate::RequiredSchema(d).migration));
        }
    }
}

struct MigrateArgs {
    std::string database;
    int steps = 1;
    std::string version;
};

}  // namespace

void AddMigrateCommand(CLI::App& app, const GlobalOptions& global) {
    auto* migrate_cmd = app.add_subcommand("migrate", "Create roles and databases and apply SQL migrations");
    migrate_cmd->require_subcommand(1);
    auto args = std::make_shared<MigrateArgs>();

    auto* up = migrate_cmd->add_subcommand("up", "Apply every pending migration (all databases, or one)");
    up->add_option("--database", args->database, "auth, portfolio, analytics, notifications or timescale");
    up->callback([&global, args] {
        auto options = MigrateOptions(global.Load());
        std::optional<migrate::Database> db;
        if (!args->database.empty()) db = RequireDatabase(args->database);
        RefuseUnknownMigrations(options, db);
        auto steps = migrate::Up(options, db);
        std::cout << (steps.empty() ? "nothing to apply: every database is current\n"
                                    : fmt::format("applied {} migration(s)\n", steps.size()));
    });

    auto* down = migrate_cmd->add_subcommand("down", "Roll back the newest N migrations of one database");
    down->add_option("steps", args->steps, "how many (default 1)")->check(CLI::Range(1, 100000));
    down->add_option("--database", args->database, "auth, portfolio, analytics, notifications or timescale")
        ->required();
    down->callback([&global, args] {
        auto steps =
            migrate::Down(MigrateOptions(global.Load()), RequireDatabase(args->database), args->steps);
        std::cout << fmt::format("rolled back {} migration(s)\n", steps.size());
    });

    auto* to = migrate_cmd->add_subcommand("to", "Move one database to exactly VERSION (0 = empty)");
    to->add_option("version", args->version, "target version, e.g. 0003")->required();
    to->add_option("--database", args->database, "auth, portfolio, analytics, notifications or timescale")
        ->required();
    to->callback([&global, args] {
        auto options = MigrateOptions(global.Load());
        RefuseUnknownMigrations(options, RequireDatabase(args->database));
        auto steps = migrate::To(options, RequireDatabase(args->database), args->version);
        std::cout << fmt::format("{} step(s) to reach {}\n", steps.size(), args->version);
    });

    auto* status =
        migrate_cmd->add_subcommand("status", "Show applied and pending migrations of every database");
    status->callback(
        [&global] { std::cout << migrate::FormatStatus(migrate::Status(MigrateOptions(global.Load()))); });
}

}  // namespace nn::app
