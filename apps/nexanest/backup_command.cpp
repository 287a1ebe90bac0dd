#include "apps/nexanest/backup_command.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "apps/nexanest/global_options.hpp"
#include "apps/nexanest/migrate_command.hpp"
#include "infra/migrate/backup.hpp"

#ifndef NN_VERSION
#define NN_VERSION "0.0.0"
#endif

namespace nn::app {

void AddBackupCommands(CLI::App& app, const GlobalOptions& global) {
    auto to = std::make_shared<std::string>();
    auto* backup = app.add_subcommand(
        "backup", "Write a backup of the five databases (pg_dump archives and a MANIFEST) into a new folder");
    backup->add_option("--to", *to, "the folder to create (must not exist or be empty)")->required();
    backup->callback([&global, to] {
        auto m = migrate::Backup(MigrateOptions(global.Load()), *to, NN_VERSION);
        std::cout << fmt::format("backed up {} databases of prefix {} into {}\n", m.entries.size(), m.prefix,
                                 *to);
    });

    auto from = std::make_shared<std::string>();
    auto* restore = app.add_subcommand(
        "restore", "Restore a backup into a cluster whose NexaNest databases are empty or missing");
    restore->add_option("--from", *from, "the backup folder (with its MANIFEST)")->required();
    restore->callback([&global, from] {
        auto m = migrate::Restore(MigrateOptions(global.Load()), *from);
        std::cout << fmt::format("restored {} databases (backup of {}, nexanest {})\n", m.entries.size(),
                                 m.created_at, m.app_version);
    });
}

}  // namespace nn::app
