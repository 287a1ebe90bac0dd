#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "infra/migrate/catalog.hpp"
#include "infra/migrate/migrator.hpp"

// The schema tests share one set of the five databases, migrated once per test binary with the
// real migrations/ folder through the migration engine, and talk to it with blocking libpq.
namespace nn::schema_test {

struct PgError : std::runtime_error {
    PgError(const std::string& message, std::string state)
        : std::runtime_error(message), sqlstate(std::move(state)) {}
    std::string sqlstate;
};

using Rows = std::vector<std::vector<std::string>>;

// One blocking connection. Every call throws PgError (with the SQLSTATE) when the server
// refuses; NULL comes back as "".
class Conn {
public:
    explicit Conn(const std::string& url);
    ~Conn();
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    Rows Query(const std::string& sql, const std::vector<std::string>& params = {});
    // First column of the first row ("" when there is none).
    std::string Value(const std::string& sql, const std::vector<std::string>& params = {});
    // Rows affected by an INSERT/UPDATE/DELETE.
    long Affected(const std::string& sql, const std::vector<std::string>& params = {});
    // The SQLSTATE the statement fails with, "" when it succeeds.
    std::string ErrorOf(const std::string& sql, const std::vector<std::string>& params = {});
    // Several statements in one simple-query round trip.
    void Exec(const std::string& sql);
    // The same, sent without waiting; Wait() collects the outcome (so two connections can work
    // at the same time).
    void Send(const std::string& sql);
    void Wait();

private:
    struct Impl;
    Impl* impl_;
};

// BEGIN and set the request context for row-level security, transaction-local.
void BeginAs(Conn& c,
             const std::string& user_id,
             const std::string& role,
             const std::string& read_client_ids = "",
             const std::string& manage_client_ids = "");

// Options of the shared, fully migrated set (unique prefix, dropped when the binary ends).
const migrate::Options& Shared();
std::string AdminUrl(migrate::Database database);
std::string ServiceUrl(migrate::ServiceRole role, migrate::Database database);

// The service password every test must use: roles are cluster-wide and shared by all tests.
std::string ServicePassword();

// Drops the five databases of a prefix (those that exist).
void DropDatabases(const std::string& prefix);

// A random v4 UUID as text.
std::string NewUuid();

}  // namespace nn::schema_test
