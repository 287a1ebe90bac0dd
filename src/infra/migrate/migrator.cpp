#include "infra/migrate/migrator.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>

#include "core/error.hpp"
#include "infra/migrate/conninfo.hpp"
#include "infra/migrate/internal.hpp"
#include "infra/migrate/pg_session.hpp"

namespace nn::migrate {
namespace detail {

void ValidateOptions(const Options& options) {
    const std::string& p = options.prefix;
    bool valid = !p.empty() && p.size() <= 48 && ((p[0] >= 'a' && p[0] <= 'z') || p[0] == '_') &&
                 std::all_of(p.begin(), p.end(), [](char c) {
                     return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                 });
    if (!valid) {
        throw Error(
            ErrorKind::kUnprocessable, "migrate.options",
            "database prefix \"" + p + "\" must match [a-z_][a-z0-9_]* and have at most 48 characters");
    }
    if (options.admin_url.Empty()) {
        throw Error(ErrorKind::kUnprocessable, "migrate.options",
                    "the administrative database URL is empty (set NEXANEST_DATABASE_URL)");
    }
}

}  // namespace detail

namespace {

using detail::Session;

struct Applied {
    std::string version;
    std::uint64_t number = 0;
    std::string name;
    std::string checksum;
    std::string applied_at;
    std::int64_t duration_ms = 0;
};

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS public.schema_migrations ("
    " version text PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now(),"
    " duration_ms bigint NOT NULL DEFAULT 0)";

std::string Where(Database database, const std::string& file) {
    return std::string(DatabaseKey(database)) + "/" + file;
}

void RequireFolder(const Options& options) {
    std::error_code ec;
    if (!std::filesystem::is_directory(options.migrations_dir, ec)) {
        throw Error(ErrorKind::kUnprocessable, "migrate.options",
                    "migrations folder " + options.migrations_dir.string() + " does not exist");
    }
}

std::vector<Applied> ReadApplied(Session& s) {
    auto r = s.Exec(
        "SELECT version, name, checksum,"
        " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), duration_ms"
        " FROM public.schema_migrations",
        "reading schema_migrations");
    std::vector<Applied> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
        Applied a;
        a.version = PQgetvalue(r.get(), i, 0);
        a.name = PQgetvalue(r.get(), i, 1);
        a.checksum = PQgetvalue(r.get(), i, 2);
        a.applied_at = PQgetvalue(r.get(), i, 3);
        std::string_view duration = PQgetvalue(r.get(), i, 4);
        std::from_chars(duration.data(), duration.data() + duration.size(), a.duration_ms);
        auto [ptr, ec] = std::from_chars(a.version.data(), a.version.data() + a.version.size(), a.number);
        if (ec != std::errc() || ptr != a.version.data() + a.version.size()) {
            throw Error(ErrorKind::kUnprocessable, "migrate.invalid_state",
                        "schema_migrations holds a non-numeric version \"" + a.version + "\"");
        }
        out.push_back(std::move(a));
    }
    std::sort(out.begin(), out.end(), [](const Applied& a, const Applied& b) { return a.number < b.number; });
    return out;
}

const Migration* FindByVersion(const std::vector<Migration>& files, const std::string& version) {
    for (const Migration& m : files) {
        if (m.version == version) return &m;
    }
    return nullptr;
}

// Every applied migration must still be on disk, byte for byte: otherwise the database and
// the files disagree about what the schema is, and running anything would guess.
void CheckApplied(Database database,
                  const std::vector<Migration>& files,
                  const std::vector<Applied>& applied) {
    for (const Applied& a : applied) {
        const Migration* m = FindByVersion(files, a.version);
        if (m == nullptr) {
            throw Error(ErrorKind::kUnprocessable, "migrate.missing_file",
                        "migration " + std::string(DatabaseKey(database)) + "/" + a.version + "_" + a.name +
                            " is applied but its files are missing (is this build older than the database?)");
        }
        if (m->checksum != a.checksum) {
            throw Error(ErrorKind::kUnprocessable, "migrate.checksum_mismatch",
                        "migration " + Where(database, m->up_file) +
                            " was changed after it was applied: applied checksum " + a.checksum +
                            ", file checksum " + m->checksum +
                            "; restore the file and put the change in a new migration");
        }
    }
}

bool IsApplied(const std::vector<Applied>& applied, const std::string& version) {
    return std::any_of(applied.begin(), applied.end(),
                       [&](const Applied& a) { return a.version == version; });
}

[[noreturn]] void ThrowFailed(Database database,
                              const std::string& file,
                              const std::string& sql,
                              std::size_t offset,
                              const detail::ServerError& e,
                              bool transactional) {
    std::string message = "migration " + Where(database, file);
    message += transactional ? " failed and was rolled back: "
                             : " failed (no-transaction file: the statements before this one stay applied, "
                               "the migration is not recorded): ";
    message += e.Describe();
    if (e.position > 0) {
        message += " (line " + std::to_string(LineOfPosition(sql, offset, e.position)) + ")";
    } else if (!transactional) {
        // Statement by statement we know where the failing one starts even without a position.
        message += " (statement at line " + std::to_string(LineOfPosition(sql, offset, 1)) + ")";
    }
    throw Error(ErrorKind::kInternal, "migrate.failed", message);
}

Step RunStep(Session& s, const Options& options, Database database, const Migration& m, Direction direction) {
    const bool up = direction == Direction::kUp;
    const std::string& sql = up ? m.up_sql : m.down_sql;
    const std::string& file = up ? m.up_file : m.down_file;
    const std::string owner = s.QuoteIdent(kOwnerRole);
    const bool transactional = !HasNoTransactionMarker(sql);
    if (options.progress) {
        s.SetNoticeSink(
            [&](const std::string& notice) { options.progress(Where(database, file) + ": " + notice); });
    }

    auto record = [&](std::int64_t duration_ms) {
        if (up) {
            s.ExecParams(
                "INSERT INTO public.schema_migrations (version, name, checksum, duration_ms)"
                " VALUES ($1, $2, $3, $4)",
                {m.version, m.name, m.checksum, std::to_string(duration_ms)}, "recording " + file);
        } else {
            s.ExecParams("DELETE FROM public.schema_migrations WHERE version = $1", {m.version},
                         "recording " + file);
        }
    };

    auto start = std::chrono::steady_clock::now();
    auto elapsed_ms = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
            .count();
    };
    std::int64_t duration_ms = 0;
    if (transactional) {
        // SET LOCAL ROLE makes the owner role own everything the file creates.
        s.Exec("BEGIN", "starting the transaction of " + file);
        s.Exec("SET LOCAL ROLE " + owner, "switching to the owner role");
        if (auto e = s.TryExec(sql)) {
            s.TryExec("ROLLBACK");
            ThrowFailed(database, file, sql, 0, *e, true);
        }
        if (s.TransactionStatus() != PQTRANS_INTRANS) {
            s.TryExec("ROLLBACK");
            throw Error(
                ErrorKind::kInternal, "migrate.failed",
                "migration " + Where(database, file) +
                    " ended the engine's transaction (COMMIT or ROLLBACK in the file), so statements before "
                    "it may be committed while the migration is not recorded; remove them, or "
                    "mark the file with the first line " +
                    std::string(kNoTransactionMarker));
        }
        duration_ms = elapsed_ms();
        record(duration_ms);
        s.Exec("COMMIT", "committing " + file);
    } else {
        // Statement by statement: PostgreSQL runs a multi-statement string as one implicit
        // transaction, which CREATE INDEX CONCURRENTLY refuses.
        s.Exec("SET ROLE " + owner, "switching to the owner role");
        for (const Statement& statement : SplitStatements(sql)) {
            if (auto e = s.TryExec(std::string(statement.text))) {
                if (s.TransactionStatus() != PQTRANS_IDLE) s.TryExec("ROLLBACK");
                ThrowFailed(database, file, sql, statement.offset, *e, false);
            }
        }
        duration_ms = elapsed_ms();
        s.Exec("RESET ROLE", "leaving the owner role");
        record(duration_ms);
    }
    // A file may SET search_path or other settings for the session; the next file starts clean.
    s.Exec("RESET ALL", "resetting session settings");
    s.SetNoticeSink({});
    if (options.progress) {
        options.progress(std::string(DatabaseKey(database)) + ": " + (up ? "applied " : "rolled back ") +
                         m.version + "_" + m.name + " (" + std::to_string(duration_ms) + " ms)");
    }
    return Step{database, m.version, m.name, direction, duration_ms};
}

struct PlannedStep {
    const Migration* migration;
    Direction direction;
};

using Planner =
    std::function<std::vector<PlannedStep>(const std::vector<Migration>&, const std::vector<Applied>&)>;

// Loads the files, takes the database's migration lock (a second process waits here and then
// plans against what the first one applied), checks the applied files and runs the plan.
std::vector<Step> Migrate(const Options& options, Database database, const Planner& plan) {
    std::vector<Migration> files = LoadMigrations(options.migrations_dir, database);
    Session s(options.admin_url.Reveal(), DatabaseName(options.prefix, database));
    const std::string key = std::to_string(detail::kMigrateLockKey);
    s.Exec("SELECT pg_advisory_lock(" + key + ")", "taking the migration lock");
    // The service roles that connect here may read which migrations are applied: `serve`
    // checks the schema version with them (schema_version.hpp).
    std::string grant;
    for (auto [role, db] : kConnectGrants) {
        if (db == database) grant += (grant.empty() ? "" : ", ") + s.QuoteIdent(RoleName(role));
    }
    s.Exec("SET ROLE " + s.QuoteIdent(kOwnerRole) + "; " + kCreateTable +
               "; GRANT SELECT ON public.schema_migrations TO " + grant + "; RESET ROLE",
           "creating schema_migrations");
    std::vector<Applied> applied = ReadApplied(s);
    CheckApplied(database, files, applied);
    std::vector<Step> steps;
    for (const PlannedStep& p : plan(files, applied)) {
        steps.push_back(RunStep(s, options, database, *p.migration, p.direction));
    }
    s.Exec("SELECT pg_advisory_unlock(" + key + ")", "releasing the migration lock");
    return steps;
}

std::vector<PlannedStep> PlanUpTo(const std::vector<Migration>& files,
                                  const std::vector<Applied>& applied,
                                  std::uint64_t limit) {
    std::vector<PlannedStep> out;
    for (const Migration& m : files) {
        if (m.number <= limit && !IsApplied(applied, m.version)) out.push_back({&m, Direction::kUp});
    }
    return out;
}

std::vector<PlannedStep> PlanDownAbove(const std::vector<Migration>& files,
                                       const std::vector<Applied>& applied,
                                       std::uint64_t floor,
                                       std::size_t max_steps) {
    std::vector<PlannedStep> out;
    for (auto it = applied.rbegin(); it != applied.rend() && out.size() < max_steps; ++it) {
        if (it->number <= floor) break;
        out.push_back({FindByVersion(files, it->version), Direction::kDown});
    }
    return out;
}

}  // namespace

std::vector<Step> Up(const Options& options, std::optional<Database> database) {
    detail::ValidateOptions(options);
    RequireFolder(options);
    // Bad files fail before anything is created.
    for (Database d : kAllDatabases) {
        if (!database || *database == d) LoadMigrations(options.migrations_dir, d);
    }
    Bootstrap(options);
    std::vector<Step> steps;
    for (Database d : kAllDatabases) {
        if (database && *database != d) continue;
        auto done = Migrate(options, d, [](const auto& files, const auto& applied) {
            return PlanUpTo(files, applied, UINT64_MAX);
        });
        steps.insert(steps.end(), done.begin(), done.end());
    }
    return steps;
}

std::vector<Step> Down(const Options& options, Database database, int steps) {
    detail::ValidateOptions(options);
    RequireFolder(options);
    if (steps < 0) {
        throw Error(ErrorKind::kUnprocessable, "migrate.options",
                    "the number of steps to roll back is negative");
    }
    return Migrate(options, database, [steps](const auto& files, const auto& applied) {
        return PlanDownAbove(files, applied, 0, static_cast<std::size_t>(steps));
    });
}

std::vector<Step> To(const Options& options, Database database, std::string_view version) {
    detail::ValidateOptions(options);
    RequireFolder(options);
    std::uint64_t target = 0;
    auto [ptr, ec] = std::from_chars(version.data(), version.data() + version.size(), target);
    if (version.empty() || ec != std::errc() || ptr != version.data() + version.size()) {
        throw Error(ErrorKind::kUnprocessable, "migrate.options",
                    "target version \"" + std::string(version) + "\" is not a number");
    }
    if (target != 0) {
        auto files = LoadMigrations(options.migrations_dir, database);
        bool known =
            std::any_of(files.begin(), files.end(), [&](const Migration& m) { return m.number == target; });
        if (!known) {
            throw Error(ErrorKind::kUnprocessable, "migrate.unknown_version",
                        "no migration of " + std::string(DatabaseKey(database)) + " has version " +
                            std::string(version));
        }
    }
    Bootstrap(options);
    return Migrate(options, database, [target](const auto& files, const auto& applied) {
        auto out = PlanDownAbove(files, applied, target, SIZE_MAX);
        auto ups = PlanUpTo(files, applied, target);
        out.insert(out.end(), ups.begin(), ups.end());
        return out;
    });
}

std::vector<DatabaseStatus> Status(const Options& options) {
    detail::ValidateOptions(options);
    RequireFolder(options);
    std::vector<DatabaseStatus> out;
    Session maintenance(options.admin_url.Reveal(), detail::kMaintenanceDatabase);
    for (Database d : kAllDatabases) {
        DatabaseStatus status;
        status.database = d;
        status.name = DatabaseName(options.prefix, d);
        std::vector<Migration> files = LoadMigrations(options.migrations_dir, d);
        std::vector<Applied> applied;
        auto r = maintenance.ExecParams("SELECT 1 FROM pg_database WHERE datname = $1", {status.name},
                                        "looking up database");
        status.exists = PQntuples(r.get()) > 0;
        if (status.exists) {
            Session s(options.admin_url.Reveal(), status.name);
            auto t = s.Exec("SELECT to_regclass('public.schema_migrations') IS NOT NULL",
                            "looking up schema_migrations");
            if (std::string_view(PQgetvalue(t.get(), 0, 0)) == "t") applied = ReadApplied(s);
        }
        std::map<std::uint64_t, MigrationStatus> rows;
        for (const Migration& m : files) {
            MigrationStatus& row = rows[m.number];
            row.version = m.version;
            row.name = m.name;
            row.file_checksum = m.checksum;
            row.no_transaction = HasNoTransactionMarker(m.up_sql);
        }
        for (const Applied& a : applied) {
            const Migration* m = FindByVersion(files, a.version);
            MigrationStatus& row = rows[a.number];
            if (m == nullptr) {
                row.version = a.version;
                row.name = a.name;
                row.state = MigrationState::kFileMissing;
            } else {
                row.state = m->checksum == a.checksum ? MigrationState::kApplied : MigrationState::kChanged;
            }
            row.applied_checksum = a.checksum;
            row.applied_at = a.applied_at;
            row.duration_ms = a.duration_ms;
        }
        for (auto& [number, row] : rows) status.migrations.push_back(std::move(row));
        out.push_back(std::move(status));
    }
    return out;
}

std::string FormatStatus(const std::vector<DatabaseStatus>& status) {
    std::string out;
    for (const DatabaseStatus& db : status) {
        out += std::string(DatabaseKey(db.database)) + " (" + db.name + ")";
        if (!db.exists) out += ": database missing, run `nexanest migrate up`";
        out += "\n";
        if (db.migrations.empty()) out += "  no migrations\n";
        for (const MigrationStatus& m : db.migrations) {
            std::string label = m.version + "_" + m.name;
            if (label.size() < 40) label.resize(40, ' ');
            out += "  " + label + " ";
            switch (m.state) {
                case MigrationState::kPending:
                    out += "pending";
                    break;
                case MigrationState::kApplied:
                    out += "applied " + m.applied_at + " (" + std::to_string(m.duration_ms) + " ms)";
                    break;
                case MigrationState::kChanged:
                    out += "CHANGED after it was applied: applied checksum " + m.applied_checksum +
                           ", file " + m.file_checksum;
                    break;
                case MigrationState::kFileMissing:
                    out += "applied " + m.applied_at + " but its files are MISSING";
                    break;
            }
            if (m.no_transaction) out += " [no-transaction]";
            out += "\n";
        }
    }
    return out;
}

Secret AdminUrlFor(const Options& options, Database database) {
    return Secret(WithDatabase(options.admin_url.Reveal(), DatabaseName(options.prefix, database)));
}

const Secret& PasswordFor(const Options& options, ServiceRole role) {
    std::string_view name = RoleName(role);
    name.remove_prefix(name.find('_') + 1);  // "nexanest_auth" -> "auth"
    auto it = options.role_passwords.find(std::string(name));
    return it != options.role_passwords.end() ? it->second : options.service_password;
}

Secret ServiceUrlFor(const Options& options, ServiceRole role, Database database) {
    return Secret(WithCredentials(options.admin_url.Reveal(), RoleName(role),
                                  PasswordFor(options, role).Reveal(),
                                  DatabaseName(options.prefix, database)));
}

}  // namespace nn::migrate
