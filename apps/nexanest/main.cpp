// nexanest: one binary for every service and tool (DESIGN.md §4).
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

#include "apps/nexanest/backup_command.hpp"
#include "apps/nexanest/global_options.hpp"
#include "apps/nexanest/market_commands.hpp"
#include "apps/nexanest/migrate_command.hpp"
#include "apps/nexanest/portfolio_commands.hpp"
#include "apps/nexanest/report_command.hpp"
#include "apps/nexanest/serve_command.hpp"
#include "apps/nexanest/user_command.hpp"
#include "core/error.hpp"
#include "infra/migrate/schema_version.hpp"

#ifndef NN_VERSION
#define NN_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
    CLI::App app{"NexaNest investment-portfolio platform"};
    app.require_subcommand(1);
    nn::app::GlobalOptions global;
    app.add_option("--config", global.config_file, "TOML configuration file (environment variables win)");

    app.add_subcommand("version", "Print the version and the schema version of each database it needs")
        ->callback([] {
            std::cout << "nexanest " NN_VERSION "\n";
            for (auto db : nn::migrate::kAllDatabases) {
                const auto& need = nn::migrate::RequiredSchema(db);
                std::cout << "schema " << nn::migrate::DatabaseKey(db) << ' ' << need.version.ToString()
                          << " (migration " << need.migration << ")\n";
            }
        });
    nn::app::AddBackupCommands(app, global);
    nn::app::AddMigrateCommand(app, global);
    nn::app::AddMarketCommands(app, global);
    nn::app::AddPortfolioCommands(app, global);
    nn::app::AddReportCommand(app, global);
    nn::app::AddServeCommand(app, global);
    nn::app::AddUserCommand(app, global);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const nn::Error& e) {
        std::cerr << "nexanest: " << e.what() << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "nexanest: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
