#pragma once

// A throw-away set of the five databases under a unique prefix, for tests that migrate (domain
// suites, schema tests). Header-only: it needs nn_migrate, which nn_test_support stays below.
#include <initializer_list>
#include <string>
#include <string_view>

#include "infra/migrate/catalog.hpp"
#include "infra/migrate/migrator.hpp"
#include "tests/support/test_env.hpp"

namespace nn::test {

// `databases` migrated under a fresh prefix made from `name_prefix`. On destruction every
// database of the prefix is dropped (migrate::Up bootstraps all five, not only those migrated; a
// database left behind by a crash stays in the throw-away cluster, harmlessly). It is the
// migrate::Options naming them, so `prefix` is what the App's database_prefix takes. With no
// databases listed, the test migrates it itself (migrate::Up, migrate::To).
class SuiteDatabases : public migrate::Options {
public:
    SuiteDatabases(std::string_view name_prefix, std::initializer_list<migrate::Database> databases = {}) {
        admin_url = Secret(PgUrl());
        prefix = UniqueName(std::string(name_prefix));
        service_password = Secret(ServicePassword());
        migrations_dir = SourceDir() + "/migrations";
        for (auto db : databases) migrate::Up(*this, db);
    }
    ~SuiteDatabases() {
        for (auto db : migrate::kAllDatabases) {
            try {
                ExecSql(PgUrl(),
                        "DROP DATABASE IF EXISTS " + migrate::DatabaseName(prefix, db) + " WITH (FORCE)");
            } catch (...) {
                // a leaked database in the throw-away cluster is harmless
            }
        }
    }
    SuiteDatabases(const SuiteDatabases&) = delete;
    SuiteDatabases& operator=(const SuiteDatabases&) = delete;
};

}  // namespace nn::test
