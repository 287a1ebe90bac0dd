#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "infra/migrate/migrator.hpp"

// `nexanest backup` and `nexanest restore` (docs/operations.md "Back up and restore"): one
// pg_dump archive per database plus a manifest of versions and checksums.
//
// Consistency: PostgreSQL cannot share one snapshot between databases, so each archive is its
// own consistent snapshot, taken in kBackupOrder: a database that refers to rows of another
// (user and portfolio ids) is dumped before the one it refers to, so what it refers to existed
// already; the outbox sources before the time-series database their relay writes to, so an event
// the relay had delivered is in the later archive, and one still pending in a source is relayed
// again after a restore (the relay's targets ignore a repeat).
namespace nn::migrate {

inline constexpr std::array<Database, 5> kBackupOrder = {Database::kAnalytics, Database::kPortfolio,
                                                         Database::kNotifications, Database::kAuth,
                                                         Database::kTimescale};

inline constexpr const char* kManifestFile = "MANIFEST";

struct BackupEntry {
    Database database = Database::kAuth;
    std::string schema_version;  // "1.2.0"
    std::string migration;       // newest applied, "0003"
    std::string file;            // "auth.dump"
    std::string sha256;          // of the file
    std::uintmax_t bytes = 0;
};

struct Manifest {
    std::string app_version;
    std::string created_at;  // RFC 3339 UTC
    std::string prefix;
    std::vector<BackupEntry> entries;  // in kBackupOrder
};

std::string FormatManifest(const Manifest& manifest);
// Throws nn::Error(kUnprocessable, "backup.manifest") naming the line that is wrong.
Manifest ParseManifest(const std::string& text);

// Writes DIR (created; must not exist or be empty): one archive per database and MANIFEST,
// last, so a folder without it is an interrupted backup. Refuses a database whose schema is not
// the one this build knows (back up with the binary that serves it). Needs pg_dump 15.
Manifest Backup(const Options& options, const std::filesystem::path& dir, const std::string& app_version);

// Restores DIR into a cluster where none of the five databases holds anything yet: checks
// every checksum and that each archive's schema version is the one this build knows (else
// refuses, naming the version to restore with), creates the roles and databases
// (Bootstrap), then pg_restore's each archive in one transaction. Needs pg_restore 15.
Manifest Restore(const Options& options, const std::filesystem::path& dir);

}  // namespace nn::migrate
