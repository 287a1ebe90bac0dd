#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infra/migrate/catalog.hpp"

// Migration files on disk: migrations/<database>/<version>_<name>.up.sql and .down.sql
// (docs/migrations.md). Everything here is pure except LoadMigrations, which reads the folder.
namespace nn::migrate {

// The first line that makes a file run statement by statement outside a transaction, for
// commands PostgreSQL refuses inside one (CREATE INDEX CONCURRENTLY, VACUUM, ALTER SYSTEM).
inline constexpr std::string_view kNoTransactionMarker = "-- nexanest:no-transaction";

enum class Direction { kUp, kDown };

struct FileName {
    std::string version;  // as written, for example "0001"
    std::uint64_t number = 0;
    std::string name;  // [a-z0-9_]+
    Direction direction = Direction::kUp;
};

// Parses "0001_create_users.up.sql". nullopt when the name does not follow the pattern.
std::optional<FileName> ParseFileName(std::string_view file_name);

struct Migration {
    std::string version;
    std::uint64_t number = 0;
    std::string name;
    std::string up_file;    // "0001_create_users.up.sql"
    std::string down_file;  // "0001_create_users.down.sql"
    std::string up_sql;     // contents, filled by LoadMigrations
    std::string down_sql;
    std::string checksum;  // hex SHA-256 of up_sql
};

// Validates the file names of one database folder and pairs them, sorted by version. Files
// not ending in ".sql" are ignored (READMEs); every ".sql" file must follow the pattern, every
// up has a down with the same name and vice versa, no version (compared as a number) appears
// twice, version 0 is reserved ("before the first migration"). Throws nn::Error
// (kUnprocessable, "migrate.invalid_files") listing every problem at once.
std::vector<Migration> BuildMigrationSet(std::string_view database_key,
                                         const std::vector<std::string>& file_names);

// Reads migrations_dir/<key of database>/ (a missing folder means no migrations) and fills
// the contents and checksums.
std::vector<Migration> LoadMigrations(const std::filesystem::path& migrations_dir, Database database);

// Lower-case hex SHA-256 of the bytes.
std::string Sha256Hex(std::string_view bytes);

bool HasNoTransactionMarker(std::string_view sql) noexcept;

struct Statement {
    std::string_view text;   // one statement without its terminating semicolon, trimmed
    std::size_t offset = 0;  // byte offset of text in the input
};

// Splits SQL into statements at top-level semicolons, understanding comments (-- and nested
// /* */), 'strings', E'strings' with backslash escapes, "identifiers" and $tag$ dollar
// quotes. Pieces holding only whitespace and comments are dropped.
std::vector<Statement> SplitStatements(std::string_view sql);

// 1-based line of a 1-based character position (as PostgreSQL reports, counting UTF-8
// characters, not bytes) inside text that starts at byte `offset` of `sql`.
std::size_t LineOfPosition(std::string_view sql, std::size_t offset, std::size_t position) noexcept;

}  // namespace nn::migrate
