#include "tests/schema/schema_fixture.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <random>

#include "tests/support/test_env.hpp"

namespace nn::schema_test {

struct Conn::Impl {
    PGconn* pg = nullptr;
};

namespace {

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

Result Run(PGconn* pg, const std::string& sql, const std::vector<std::string>& params) {
    PGresult* r = nullptr;
    if (params.empty()) {
        r = PQexec(pg, sql.c_str());
    } else {
        std::vector<const char*> values;
        values.reserve(params.size());
        for (const auto& p : params) values.push_back(p.c_str());
        r = PQexecParams(pg, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(), nullptr,
                         nullptr, 0);
    }
    Result result(r, &PQclear);
    auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char* state = r == nullptr ? nullptr : PQresultErrorField(r, PG_DIAG_SQLSTATE);
        throw PgError(std::string(PQerrorMessage(pg)) + " [" + sql.substr(0, 200) + "]",
                      state == nullptr ? "" : state);
    }
    return result;
}

}  // namespace

Conn::Conn(const std::string& url) : impl_(new Impl) {
    impl_->pg = PQconnectdb(url.c_str());
    if (PQstatus(impl_->pg) != CONNECTION_OK) {
        std::string message = PQerrorMessage(impl_->pg);
        PQfinish(impl_->pg);
        delete impl_;
        // 28000: invalid_authorization_specification (no CONNECT privilege, bad password)
        throw PgError("connect: " + message, "28000");
    }
}

Conn::~Conn() {
    PQfinish(impl_->pg);
    delete impl_;
}

Rows Conn::Query(const std::string& sql, const std::vector<std::string>& params) {
    Result r = Run(impl_->pg, sql, params);
    Rows rows;
    const int n = PQntuples(r.get());
    const int m = PQnfields(r.get());
    rows.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        std::vector<std::string> row;
        row.reserve(static_cast<std::size_t>(m));
        for (int j = 0; j < m; ++j) row.emplace_back(PQgetvalue(r.get(), i, j));
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string Conn::Value(const std::string& sql, const std::vector<std::string>& params) {
    Rows rows = Query(sql, params);
    return rows.empty() || rows[0].empty() ? "" : rows[0][0];
}

long Conn::Affected(const std::string& sql, const std::vector<std::string>& params) {
    Result r = Run(impl_->pg, sql, params);
    return std::strtol(PQcmdTuples(r.get()), nullptr, 10);
}

std::string Conn::ErrorOf(const std::string& sql, const std::vector<std::string>& params) {
    // A savepoint keeps the surrounding transaction usable after the expected failure.
    const bool in_tx = PQtransactionStatus(impl_->pg) == PQTRANS_INTRANS;
    if (in_tx) Run(impl_->pg, "SAVEPOINT nn_expect", {});
    try {
        Run(impl_->pg, sql, params);
    } catch (const PgError& e) {
        if (in_tx) Run(impl_->pg, "ROLLBACK TO SAVEPOINT nn_expect", {});
        return e.sqlstate;
    }
    if (in_tx) Run(impl_->pg, "RELEASE SAVEPOINT nn_expect", {});
    return "";
}

void Conn::Exec(const std::string& sql) {
    Run(impl_->pg, sql, {});
}

void Conn::Send(const std::string& sql) {
    if (PQsendQuery(impl_->pg, sql.c_str()) != 1) throw PgError(PQerrorMessage(impl_->pg), "");
}

void Conn::Wait() {
    std::string error;
    std::string state;
    while (PGresult* r = PQgetResult(impl_->pg)) {
        Result result(r, &PQclear);
        auto st = PQresultStatus(r);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && error.empty()) {
            error = PQresultErrorMessage(r);
            const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
            state = s == nullptr ? "" : s;
        }
    }
    if (!error.empty()) throw PgError(error, state);
}

void BeginAs(Conn& c,
             const std::string& user_id,
             const std::string& role,
             const std::string& read_client_ids,
             const std::string& manage_client_ids) {
    c.Exec("BEGIN");
    c.Query(
        "SELECT set_config('app.user_id', $1, true), set_config('app.role', $2, true), "
        "set_config('app.read_client_ids', $3, true), set_config('app.manage_client_ids', $4, true)",
        {user_id, role, read_client_ids, manage_client_ids});
}

std::string ServicePassword() {
    const char* v = std::getenv("NEXANEST_DB_SERVICE_PASSWORD");
    if (v == nullptr || *v == '\0') {
        throw std::runtime_error(
            "NEXANEST_DB_SERVICE_PASSWORD is not set: run the tests through `make test`");
    }
    return v;
}

void DropDatabases(const std::string& prefix) {
    Conn admin(test::PgUrl());
    for (migrate::Database d : migrate::kAllDatabases) {
        admin.Exec("DROP DATABASE IF EXISTS " + migrate::DatabaseName(prefix, d) + " WITH (FORCE)");
    }
}

namespace {

struct SharedSet {
    SharedSet() {
        options.admin_url = Secret(test::PgUrl());
        options.prefix = test::UniqueName("sch_");
        options.service_password = Secret(ServicePassword());
        options.migrations_dir = test::SourceDir() + "/migrations";
        migrate::Up(options);
    }
    ~SharedSet() {
        try {
            DropDatabases(options.prefix);
        } catch (...) {
            // a leaked test database is harmless in a throw-away cluster
        }
    }
    migrate::Options options;
};

}  // namespace

const migrate::Options& Shared() {
    static SharedSet set;
    return set.options;
}

std::string AdminUrl(migrate::Database database) {
    return migrate::AdminUrlFor(Shared(), database).Reveal();
}

std::string ServiceUrl(migrate::ServiceRole role, migrate::Database database) {
    return migrate::ServiceUrlFor(Shared(), role, database).Reveal();
}

std::string NewUuid() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 32; ++i) {
        if (i == 8 || i == 12 || i == 16 || i == 20) out.push_back('-');
        unsigned v = static_cast<unsigned>(rng() % 16);
        if (i == 12) v = 4;
        if (i == 16) v = 8 + (v % 4);
        out.push_back(kHex[v]);
    }
    return out;
}

}  // namespace nn::schema_test
