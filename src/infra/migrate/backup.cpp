#include "infra/migrate/backup.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/error.hpp"
#include "infra/migrate/conninfo.hpp"
#include "infra/migrate/internal.hpp"
#include "infra/migrate/pg_session.hpp"
#include "infra/migrate/schema_version.hpp"

extern char** environ;

namespace nn::migrate {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void Fail(const std::string& code, const std::string& message) {
    throw Error(ErrorKind::kUnprocessable, code, message);
}

// The admin URL as keyword/value parameters for the pg_* tools without its password (which
// goes to PGPASSWORD in the child's environment, not into argv where `ps` shows it).
struct ToolConnection {
    std::string conninfo;
    std::string password;
};

ToolConnection ForTool(const Options& options, const std::string& database) {
    char* error = nullptr;
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> parsed(
        PQconninfoParse(options.admin_url.Reveal().c_str(), &error), &PQconninfoFree);
    if (!parsed) {
        if (error != nullptr) PQfreemem(error);
        Fail("backup.options", "the administrative database URL cannot be parsed");
    }
    ToolConnection out;
    for (auto* o = parsed.get(); o->keyword != nullptr; ++o) {
        if (o->val == nullptr) continue;
        std::string_view key = o->keyword;
        if (key == "password") {
            out.password = o->val;
        } else if (key != "dbname") {
            out.conninfo += std::string(key) + "=" + QuoteConninfoValue(o->val) + " ";
        }
    }
    out.conninfo += "dbname=" + QuoteConninfoValue(database);
    return out;
}

// The PostgreSQL 15 client tools: Debian's versioned folder first, then PATH.
std::string Tool(const std::string& name) {
    fs::path versioned = fs::path("/usr/lib/postgresql/15/bin") / name;
    std::error_code ec;
    if (fs::exists(versioned, ec)) return versioned.string();
    return name;
}

// Runs a pg_* tool; its standard error goes to `log`. Throws with the tail of the log.
void Run(const std::vector<std::string>& argv, const std::string& password, const fs::path& log) {
    std::vector<std::string> env_store;
    for (char** e = environ; *e != nullptr; ++e) {
        std::string_view v = *e;
        if (!v.starts_with("PGPASSWORD=")) env_store.emplace_back(v);
    }
    if (!password.empty()) env_store.push_back("PGPASSWORD=" + password);
    std::vector<char*> envp;
    for (auto& s : env_store) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = argv;
    std::vector<char*> argp;
    for (auto& s : args) argp.push_back(s.data());
    argp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, argp[0], &actions, nullptr, argp.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        Fail("backup.tool",
             fmt::format("cannot run {}: {} (install postgresql-client-15)", argv[0], std::strerror(rc)));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::ifstream in(log);
        std::string line, last;
        while (std::getline(in, line)) {
            if (!line.empty()) last = line;
        }
        std::string message = last;
        if (!password.empty()) {
            for (auto at = message.find(password); at != std::string::npos; at = message.find(password))
                message.replace(at, password.size(), "***");
        }
        throw Error(ErrorKind::kInternal, "backup.tool",
                    fmt::format("{} failed: {}", fs::path(argv[0]).filename().string(), message));
    }
}

std::string FileSha256(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return Sha256Hex(bytes.str());
}

std::string NowUtc() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

bool DatabaseHoldsData(const Options& options, Database database) {
    detail::Session maintenance(options.admin_url.Reveal(), detail::kMaintenanceDatabase);
    auto r = maintenance.ExecParams("SELECT 1 FROM pg_database WHERE datname = $1",
                                    {DatabaseName(options.prefix, database)}, "looking up database");
    if (PQntuples(r.get()) == 0) return false;
    detail::Session s(options.admin_url.Reveal(), DatabaseName(options.prefix, database));
    auto t = s.Exec(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'partman')",
        "looking for tables");
    return std::string_view(PQgetvalue(t.get(), 0, 0)) != "0";
}

}  // namespace

std::string FormatManifest(const Manifest& m) {
    std::string out = "nexanest-backup 1\n";
    out += "app_version " + m.app_version + "\n";
    out += "created_at " + m.created_at + "\n";
    out += "prefix " + m.prefix + "\n";
    for (const auto& e : m.entries) {
        out += fmt::format("database {} schema {} migration {} file {} bytes {} sha256 {}\n",
                           DatabaseKey(e.database), e.schema_version, e.migration, e.file, e.bytes, e.sha256);
    }
    return out;
}

Manifest ParseManifest(const std::string& text) {
    Manifest m;
    std::istringstream in(text);
    std::string line;
    int n = 0;
    bool header = false;
    while (std::getline(in, line)) {
        ++n;
        if (line.empty()) continue;
        std::istringstream words(line);
        std::string key;
        words >> key;
        auto bad = [&] {
            Fail("backup.manifest", fmt::format("MANIFEST line {} is not understood: {}", n, line));
        };
        if (key == "nexanest-backup") {
            std::string format;
            words >> format;
            if (format != "1") bad();
            header = true;
        } else if (key == "app_version") {
            words >> m.app_version;
        } else if (key == "created_at") {
            words >> m.created_at;
        } else if (key == "prefix") {
            words >> m.prefix;
        } else if (key == "database") {
            BackupEntry e;
            std::string db, k1, k2, k3, k4, k5;
            words >> db >> k1 >> e.schema_version >> k2 >> e.migration >> k3 >> e.file >> k4 >> e.bytes >>
                k5 >> e.sha256;
            auto parsed = ParseDatabase(db);
            if (!words || !parsed || k1 != "schema" || k2 != "migration" || k3 != "file" || k4 != "bytes" ||
                k5 != "sha256" || e.file.find('/') != std::string::npos || e.sha256.size() != 64)
                bad();
            e.database = *parsed;
            m.entries.push_back(std::move(e));
        } else {
            bad();
        }
    }
    if (!header) Fail("backup.manifest", "MANIFEST does not start with 'nexanest-backup 1'");
    if (m.entries.size() != kAllDatabases.size())
        Fail("backup.manifest", fmt::format("MANIFEST lists {} databases, not 5", m.entries.size()));
    return m;
}

Manifest Backup(const Options& options, const fs::path& dir, const std::string& app_version) {
    detail::ValidateOptions(options);
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
        Fail("backup.target", "the backup folder " + dir.string() + " is not empty");
    fs::create_directories(dir, ec);
    if (ec) Fail("backup.target", "cannot create " + dir.string() + ": " + ec.message());
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);

    Manifest m;
    m.app_version = app_version;
    m.created_at = NowUtc();
    m.prefix = options.prefix;
    for (Database d : kBackupOrder) {
        const std::string name = DatabaseName(options.prefix, d);
        auto state = EvaluateSchema(d, ReadAppliedMigrations(AdminUrlFor(options, d)));
        if (auto reason = SchemaMismatch(d, state))
            Fail("backup.schema_version", "refusing to back up: " + *reason);
        BackupEntry e;
        e.database = d;
        e.schema_version = state.version->ToString();
        e.migration = state.newest_applied;
        e.file = std::string(DatabaseKey(d)) + ".dump";
        auto conn = ForTool(options, name);
        if (options.progress) options.progress(fmt::format("{}: dumping {}", DatabaseKey(d), name));
        Run({Tool("pg_dump"), "--format=custom", "--compress=6", "--no-password",
             "--file=" + (dir / e.file).string(), "--dbname=" + conn.conninfo},
            conn.password, dir / (e.file + ".log"));
        fs::remove(dir / (e.file + ".log"), ec);
        e.sha256 = FileSha256(dir / e.file);
        e.bytes = fs::file_size(dir / e.file);
        if (options.progress)
            options.progress(
                fmt::format("{}: {} bytes, schema {}", DatabaseKey(d), e.bytes, e.schema_version));
        m.entries.push_back(std::move(e));
    }
    {
        std::ofstream out(dir / (std::string(kManifestFile) + ".tmp"));
        out << FormatManifest(m);
        if (!out.flush()) Fail("backup.target", "cannot write the manifest in " + dir.string());
    }
    fs::rename(dir / (std::string(kManifestFile) + ".tmp"), dir / kManifestFile);
    return m;
}

Manifest Restore(const Options& options, const fs::path& dir) {
    detail::ValidateOptions(options);
    std::ifstream in(dir / kManifestFile);
    if (!in)
        Fail("backup.manifest",
             "no " + std::string(kManifestFile) + " in " + dir.string() + " (an interrupted backup?)");
    std::stringstream text;
    text << in.rdbuf();
    Manifest m = ParseManifest(text.str());
    for (const auto& e : m.entries) {
        const SchemaMark& need = RequiredSchema(e.database);
        if (e.schema_version != need.version.ToString() || e.migration != need.migration) {
            Fail("backup.schema_version",
                 fmt::format(
                     "refusing to restore: the backup's {} schema is {} (migration {}) but this nexanest "
                     "needs {} (migration {}); restore with nexanest {}, then upgrade with `migrate up`",
                     DatabaseKey(e.database), e.schema_version, e.migration, need.version.ToString(),
                     need.migration, m.app_version));
        }
        std::error_code ec;
        if (!fs::is_regular_file(dir / e.file, ec)) Fail("backup.file", "the backup lacks " + e.file);
        if (FileSha256(dir / e.file) != e.sha256)
            Fail("backup.checksum",
                 "the checksum of " + e.file + " does not match the manifest: the backup is damaged");
    }
    for (Database d : kAllDatabases) {
        if (DatabaseHoldsData(options, d)) {
            Fail("backup.target",
                 "refusing to restore: database " + DatabaseName(options.prefix, d) +
                     " already holds tables (restore into an empty cluster or another prefix)");
        }
    }
    Bootstrap(options);
    std::string work_template = (fs::temp_directory_path() / "nexanest-restore-XXXXXX").string();
    if (::mkdtemp(work_template.data()) == nullptr) Fail("backup.target", "cannot make a temporary folder");
    const fs::path work = work_template;
    struct Cleanup {
        fs::path path;
        ~Cleanup() {
            std::error_code ec;
            fs::remove_all(path, ec);
        }
    } cleanup{work};
    for (const auto& e : m.entries) {
        const std::string key(DatabaseKey(e.database));
        auto conn = ForTool(options, DatabaseName(options.prefix, e.database));
        if (options.progress)
            options.progress(fmt::format("{}: restoring {}", key, DatabaseName(options.prefix, e.database)));
        // The bootstrap made the partman schema and extension: leave those entries out.
        const fs::path toc = work / (key + ".toc");
        Run({Tool("pg_restore"), "--list", "--file=" + toc.string(), (dir / e.file).string()}, "",
            work / (key + ".list.log"));
        {
            std::ifstream all(toc);
            std::ofstream keep(work / (key + ".keep"));
            std::string line;
            while (std::getline(all, line)) {
                bool skip = line.find(" SCHEMA - partman ") != std::string::npos ||
                            line.find(" EXTENSION - pg_partman ") != std::string::npos ||
                            line.find(" COMMENT - EXTENSION pg_partman ") != std::string::npos;
                if (!skip) keep << line << '\n';
            }
        }
        Run({Tool("pg_restore"), "--no-password", "--single-transaction", "--exit-on-error",
             "--use-list=" + (work / (key + ".keep")).string(), "--dbname=" + conn.conninfo,
             (dir / e.file).string()},
            conn.password, work / (key + ".restore.log"));
    }
    return m;
}

}  // namespace nn::migrate
