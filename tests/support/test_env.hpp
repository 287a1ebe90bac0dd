#pragma once

#include <string>

namespace nn::test {

// URLs of the throw-away servers started by scripts/test.sh. A test that needs one calls
// these; when the variable is missing the test fails (it does not silently skip), because
// `make test` always provides both.
std::string PgUrl();      // NEXANEST_TEST_PG_URL, a superuser of the test cluster
std::string RedisUrl();   // NEXANEST_TEST_REDIS_URL
std::string SourceDir();  // NEXANEST_SOURCE_DIR, or the source dir compiled in
// NEXANEST_DB_SERVICE_PASSWORD: the service roles are cluster-wide, so every test that
// bootstraps them must use this one password.
std::string ServicePassword();

// The same URL with another database name ("postgresql://u:p@h:port/<db>").
std::string PgUrlFor(const std::string& database);

// A name no other test (or other build configuration running at the same time) uses:
// prefix + 12 random lowercase hex characters. Safe for database, role, key and schema names.
std::string UniqueName(const std::string& prefix);

// Creates a fresh database (owned by the test superuser) and drops it in the destructor.
class ScratchDatabase {
public:
    explicit ScratchDatabase(const std::string& prefix = "t_");
    ~ScratchDatabase();
    ScratchDatabase(const ScratchDatabase&) = delete;
    ScratchDatabase& operator=(const ScratchDatabase&) = delete;

    const std::string& Name() const { return name_; }
    std::string Url() const { return PgUrlFor(name_); }

private:
    std::string name_;
};

// Runs one SQL string (may hold several statements) on the given URL with blocking libpq;
// throws std::runtime_error with the server's message on failure. For test set-up only.
void ExecSql(const std::string& url, const std::string& sql);

// The same, returning the first column of the first row ("" when there is no row or it is NULL).
std::string QueryValue(const std::string& url, const std::string& sql);

}  // namespace nn::test
