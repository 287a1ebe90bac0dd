#include <string>

#include "core/error.hpp"
#include "infra/migrate/internal.hpp"
#include "infra/migrate/pg_session.hpp"

namespace nn::migrate {
namespace {

using detail::Session;

// SQLSTATEs of losing a creation race against a process that does not take our lock:
// duplicate_object, duplicate_database, and unique_violation on the catalog index.
bool IsDuplicate(const detail::ServerError& e) {
    return e.sqlstate == "42710" || e.sqlstate == "42P04" || e.sqlstate == "23505";
}

bool QueryBool(Session& s,
               const std::string& sql,
               const std::vector<std::optional<std::string>>& params,
               std::string_view what) {
    auto r = s.ExecParams(sql, params, what);
    return PQntuples(r.get()) > 0 && std::string_view(PQgetvalue(r.get(), 0, 0)) == "t";
}

void CreateRoleIfMissing(Session& s, std::string_view role, std::string_view attributes) {
    if (QueryBool(s, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", {std::string(role)},
                  "looking up role")) {
        return;
    }
    std::string sql = "CREATE ROLE " + s.QuoteIdent(role) + " WITH " + std::string(attributes);
    if (auto e = s.TryExec(sql); e && !IsDuplicate(*e)) {
        throw Error(ErrorKind::kInternal, "migrate.bootstrap",
                    "bootstrap: creating role " + std::string(role) + " failed: " + e->Describe());
    }
}

// A role that may bypass the rules would make row-level security and grants meaningless.
void RequireUnprivileged(Session& s, std::string_view role) {
    auto r = s.ExecParams(
        "SELECT rolsuper, rolbypassrls, rolreplication, rolcreatedb, rolcreaterole "
        "FROM pg_roles WHERE rolname = $1",
        {std::string(role)}, "checking role attributes");
    if (PQntuples(r.get()) != 1) {
        throw Error(ErrorKind::kInternal, "migrate.bootstrap",
                    "bootstrap: role " + std::string(role) + " is missing");
    }
    static constexpr const char* kNames[] = {"SUPERUSER", "BYPASSRLS", "REPLICATION", "CREATEDB",
                                             "CREATEROLE"};
    for (int i = 0; i < 5; ++i) {
        if (std::string_view(PQgetvalue(r.get(), 0, i)) == "t") {
            throw Error(ErrorKind::kUnprocessable, "migrate.bootstrap",
                        "bootstrap: role " + std::string(role) + " has " + kNames[i] +
                            "; connect with a superuser admin URL so bootstrap can remove it");
        }
    }
}

void SetUpRoles(Session& s, const Options& options, bool superuser) {
    const std::string owner(kOwnerRole);
    CreateRoleIfMissing(s, owner, "NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS");
    // Superusers may SET ROLE to anyone; a CREATEROLE admin needs membership for SET ROLE and
    // for CREATE DATABASE ... OWNER.
    if (!superuser &&
        !QueryBool(s, "SELECT pg_has_role(current_user, $1, 'MEMBER')", {owner}, "checking membership")) {
        s.Exec("GRANT " + s.QuoteIdent(owner) + " TO CURRENT_USER", "granting the owner role to the admin");
    }
    if (superuser) {
        s.Exec("ALTER ROLE " + s.QuoteIdent(owner) + " WITH NOSUPERUSER NOREPLICATION NOBYPASSRLS",
               "restricting the owner role");
    }
    RequireUnprivileged(s, owner);

    // Attributes only a superuser may change are left out otherwise and checked instead.
    std::string restrict = "LOGIN NOCREATEDB NOCREATEROLE";
    if (superuser) restrict += " NOSUPERUSER NOREPLICATION NOBYPASSRLS";
    for (ServiceRole role : kAllServiceRoles) {
        const std::string name(RoleName(role));
        CreateRoleIfMissing(s, name, "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS");
        std::string hashed = s.EncryptPassword(PasswordFor(options, role).Reveal(), name);
        s.Exec(
            "ALTER ROLE " + s.QuoteIdent(name) + " WITH " + restrict + " PASSWORD " + s.QuoteLiteral(hashed),
            "setting the attributes and password of role " + name);
        RequireUnprivileged(s, name);
    }
}

void SetUpDatabase(Session& s, const Options& options, Database database) {
    const std::string name = DatabaseName(options.prefix, database);
    const std::string db = s.QuoteIdent(name);
    const std::string owner = s.QuoteIdent(kOwnerRole);
    auto r = s.ExecParams("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", {name},
                          "looking up database");
    if (PQntuples(r.get()) == 0) {
        if (auto e = s.TryExec("CREATE DATABASE " + db + " OWNER " + owner); e && !IsDuplicate(*e)) {
            throw Error(ErrorKind::kInternal, "migrate.bootstrap",
                        "bootstrap: creating database " + name + " failed: " + e->Describe());
        }
    } else if (std::string_view(PQgetvalue(r.get(), 0, 0)) != kOwnerRole) {
        s.Exec("ALTER DATABASE " + db + " OWNER TO " + owner, "changing the owner of " + name);
    }
    s.Exec("REVOKE CONNECT, TEMPORARY ON DATABASE " + db + " FROM PUBLIC",
           "revoking public access to " + name);
    for (ServiceRole role : kAllServiceRoles) {
        const std::string grantee = s.QuoteIdent(RoleName(role));
        if (MayConnect(role, database)) {
            s.Exec("GRANT CONNECT ON DATABASE " + db + " TO " + grantee, "granting CONNECT on " + name);
        } else {
            s.Exec("REVOKE CONNECT ON DATABASE " + db + " FROM " + grantee, "revoking CONNECT on " + name);
        }
    }
    for (const RoleSetting& setting : kRoleSettings) {
        if (setting.database != database) continue;
        s.Exec("ALTER ROLE " + s.QuoteIdent(RoleName(setting.role)) + " IN DATABASE " + db + " SET " +
                   s.QuoteIdent(setting.name) + " = " + s.QuoteLiteral(setting.value),
               "setting " + std::string(setting.name) + " of " + std::string(RoleName(setting.role)) +
                   " in " + name);
    }
}

void SetUpInsideDatabase(const Options& options, Database database) {
    const std::string name = DatabaseName(options.prefix, database);
    Session s(options.admin_url.Reveal(), name);
    s.Exec("REVOKE CREATE ON SCHEMA public FROM PUBLIC", "revoking CREATE on schema public");
    if (database != Database::kTimescale) return;
    // pg_partman is not a trusted extension, so the owner role cannot create it in a migration;
    // its configuration tables must be writable by whoever calls create_parent/run_maintenance.
    s.Exec("CREATE SCHEMA IF NOT EXISTS partman", "creating schema partman");
    if (auto e = s.TryExec("CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman")) {
        throw Error(ErrorKind::kInternal, "migrate.bootstrap",
                    "bootstrap: creating extension pg_partman in database " + name +
                        " failed (it needs a superuser admin URL and the postgresql-15-partman package): " +
                        e->Describe());
    }
    const std::string owner = s.QuoteIdent(kOwnerRole);
    s.Exec("GRANT ALL ON SCHEMA partman TO " + owner + ";" + "GRANT ALL ON ALL TABLES IN SCHEMA partman TO " +
               owner + ";" + "GRANT ALL ON ALL SEQUENCES IN SCHEMA partman TO " + owner + ";" +
               "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA partman TO " + owner + ";" +
               "GRANT EXECUTE ON ALL PROCEDURES IN SCHEMA partman TO " + owner,
           "granting pg_partman to the owner role");
}

}  // namespace

void Bootstrap(const Options& options) {
    detail::ValidateOptions(options);
    if (options.service_password.Empty()) {
        throw Error(ErrorKind::kUnprocessable, "migrate.options",
                    "the service password is empty (set NEXANEST_DB_SERVICE_PASSWORD)");
    }
    Session s(options.admin_url.Reveal(), detail::kMaintenanceDatabase);
    s.Exec("SELECT pg_advisory_lock(" + std::to_string(detail::kBootstrapLockKey) + ")",
           "taking the bootstrap lock");
    bool superuser = QueryBool(s, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user", {},
                               "checking the admin role");
    SetUpRoles(s, options, superuser);
    for (Database d : kAllDatabases) SetUpDatabase(s, options, d);
    // Still under the cluster lock, so two bootstraps never create the extension at once.
    for (Database d : kAllDatabases) SetUpInsideDatabase(options, d);
    s.Exec("SELECT pg_advisory_unlock(" + std::to_string(detail::kBootstrapLockKey) + ")",
           "releasing the bootstrap lock");
    if (options.progress)
        options.progress("bootstrap: roles and databases of prefix " + options.prefix + " ready");
}

}  // namespace nn::migrate
