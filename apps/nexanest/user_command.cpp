#include "apps/nexanest/user_command.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>

#include "auth/operator_commands.hpp"
#include "core/error.hpp"
#include "infra/db/pool.hpp"
#include "infra/migrate/migrator.hpp"

namespace nn::app {

namespace {

struct UserArgs {
    std::string email;
    std::string password_file;
    std::string role = "USER";
};

// The first line of `path` ("-": standard input), without its line end. Passwords never travel
// in argv, where every user of the machine can read them (ps, /proc/<pid>/cmdline).
std::string ReadPassword(const std::string& path) {
    std::string line;
    if (path == "-") {
        std::getline(std::cin, line);
    } else {
        std::ifstream in(path);
        if (!in) {
            throw Error(ErrorKind::kUnprocessable, "cli.password_file",
                        "cannot read the password file " + path);
        }
        std::getline(in, line);
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

std::string AuthUrl(const runtime::Config& config) {
    if (auto it = config.database_urls.find("auth"); it != config.database_urls.end())
        return it->second.Reveal();
    if (config.database_url.Empty() || config.db_service_password.Empty()) {
        throw Error(
            ErrorKind::kUnprocessable, "config.missing",
            "configuration: user create needs NEXANEST_AUTH_DATABASE_URL, or NEXANEST_DATABASE_URL with "
            "NEXANEST_DB_SERVICE_PASSWORD (looked for in the environment, then in ./var as `make run` writes "
            "it, "
            "or /etc/nexanest/nexanest.env when installed)");
    }
    migrate::Options options;
    options.admin_url = config.database_url;
    options.prefix = config.database_prefix;
    options.service_password = config.db_service_password;
    options.role_passwords = config.db_role_passwords;
    return migrate::ServiceUrlFor(options, migrate::ServiceRole::kAuth, migrate::Database::kAuth).Reveal();
}

}  // namespace

void AddUserCommand(CLI::App& app, const GlobalOptions& global) {
    auto* user = app.add_subcommand("user", "Manage accounts from the command line");
    user->require_subcommand(1);
    auto args = std::make_shared<UserArgs>();
    auto* create = user->add_subcommand("create", "Create an account (email verified), e.g. the first ADMIN");
    create->add_option("--email", args->email, "the account's email address")->required();
    create
        ->add_option("--password-file", args->password_file,
                     "a file whose first line is the password (12-128 characters, not a common one); "
                     "'-' reads it from standard input")
        ->required();
    create->add_option("--role", args->role, "USER, ADVISOR, ADMIN or SUPERUSER (default USER)")
        ->check(CLI::IsMember({"USER", "ADVISOR", "ADMIN", "SUPERUSER"}));
    create->callback([&global, args] {
        const std::string password = ReadPassword(args->password_file);
        auto config = global.Load();
        boost::asio::io_context io(1);
        db::PoolOptions options;
        options.connection.url = AuthUrl(config);
        options.connection.query_timeout = config.db_timeout;
        options.min_size = 0;
        options.max_size = 1;
        db::Pool pool(io.get_executor(), std::move(options));
        auto role = *auth::ParseRole(args->role);
        // The pool's maintenance task would keep io.run() going: stop the loop when the work ends.
        std::exception_ptr failure;
        UserId id;
        boost::asio::co_spawn(io, auth::CreateUserAsOperator(pool, args->email, password, role),
                              [&](std::exception_ptr e, UserId created) {
                                  failure = e;
                                  id = created;
                                  pool.Close();
                                  io.stop();
                              });
        io.run();
        if (failure) std::rethrow_exception(failure);
        std::cout << fmt::format("created {} {} ({})\n", args->role, args->email, id.ToString());
    });
}

}  // namespace nn::app
