#include "tests/support/test_env.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <stdexcept>

namespace nn::test {
namespace {

std::string Required(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
        throw std::runtime_error(std::string(name) + " is not set: run the tests through `make test`");
    }
    return v;
}

}  // namespace

std::string PgUrl() {
    return Required("NEXANEST_TEST_PG_URL");
}
std::string RedisUrl() {
    return Required("NEXANEST_TEST_REDIS_URL");
}
std::string ServicePassword() {
    return Required("NEXANEST_DB_SERVICE_PASSWORD");
}

std::string SourceDir() {
    const char* v = std::getenv("NEXANEST_SOURCE_DIR");
    if (v != nullptr && *v != '\0') return v;
    return NN_SOURCE_DIR;
}

std::string PgUrlFor(const std::string& database) {
    std::string url = PgUrl();
    auto query = url.find('?');
    std::string tail = query == std::string::npos ? "" : url.substr(query);
    std::string head = query == std::string::npos ? url : url.substr(0, query);
    auto slash = head.rfind('/');
    if (slash == std::string::npos || slash < head.find("//") + 2) {
        throw std::runtime_error("test PostgreSQL URL has no database part");
    }
    return head.substr(0, slash + 1) + database + tail;
}

std::string UniqueName(const std::string& prefix) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = prefix;
    for (int i = 0; i < 12; ++i) out.push_back(kHex[rng() % 16]);
    return out;
}

std::string QueryValue(const std::string& url, const std::string& sql) {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), &PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        throw std::runtime_error(std::string("connect: ") + PQerrorMessage(conn.get()));
    }
    std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
    auto st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        throw std::runtime_error(std::string("sql: ") + PQerrorMessage(conn.get()));
    }
    if (st == PGRES_TUPLES_OK && PQntuples(res.get()) > 0 && !PQgetisnull(res.get(), 0, 0)) {
        return PQgetvalue(res.get(), 0, 0);
    }
    return "";
}

void ExecSql(const std::string& url, const std::string& sql) {
    QueryValue(url, sql);
}

ScratchDatabase::ScratchDatabase(const std::string& prefix) : name_(UniqueName(prefix)) {
    ExecSql(PgUrl(), "CREATE DATABASE " + name_);
}

ScratchDatabase::~ScratchDatabase() {
    try {
        ExecSql(PgUrl(), "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {
        // a leaked scratch database is harmless in a throw-away cluster
    }
}

}  // namespace nn::test
