#include "infra/migrate/migration_files.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "core/error.hpp"

namespace nn::migrate {
namespace {

constexpr std::string_view kUpSuffix = ".up.sql";
constexpr std::string_view kDownSuffix = ".down.sql";

bool IsNameChar(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}
bool IsIdentStart(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
}
bool IsIdentChar(char c) noexcept {
    return IsIdentStart(c) || (c >= '0' && c <= '9') || c == '$';
}
bool IsSpace(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string ReadFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(ErrorKind::kUnprocessable, "migrate.unreadable_file", "cannot read " + path.string());
    }
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace

std::optional<FileName> ParseFileName(std::string_view file_name) {
    FileName out;
    std::string_view rest = file_name;
    if (rest.size() > kDownSuffix.size() && rest.ends_with(kDownSuffix)) {
        out.direction = Direction::kDown;
        rest.remove_suffix(kDownSuffix.size());
    } else if (rest.size() > kUpSuffix.size() && rest.ends_with(kUpSuffix)) {
        out.direction = Direction::kUp;
        rest.remove_suffix(kUpSuffix.size());
    } else {
        return std::nullopt;
    }
    auto underscore = rest.find('_');
    if (underscore == std::string_view::npos || underscore == 0) return std::nullopt;
    std::string_view version = rest.substr(0, underscore);
    std::string_view name = rest.substr(underscore + 1);
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsNameChar)) return std::nullopt;
    if (!std::all_of(version.begin(), version.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    auto [ptr, ec] = std::from_chars(version.data(), version.data() + version.size(), out.number);
    if (ec != std::errc() || ptr != version.data() + version.size()) return std::nullopt;
    out.version = std::string(version);
    out.name = std::string(name);
    return out;
}

std::vector<Migration> BuildMigrationSet(std::string_view database_key,
                                         const std::vector<std::string>& file_names) {
    std::vector<std::string> problems;
    std::string folder = std::string(database_key) + "/";
    std::map<std::uint64_t, Migration> by_number;
    std::vector<std::string> sorted = file_names;
    std::sort(sorted.begin(), sorted.end());
    for (const std::string& file : sorted) {
        if (!file.ends_with(".sql")) continue;
        auto parsed = ParseFileName(file);
        if (!parsed) {
            problems.push_back(folder + file +
                               ": name must be <version>_<name>.up.sql or .down.sql with a numeric "
                               "version and a name of [a-z0-9_]");
            continue;
        }
        if (parsed->number == 0) {
            problems.push_back(folder + file +
                               ": version 0 is reserved (it means before the first migration)");
            continue;
        }
        Migration& m = by_number[parsed->number];
        if (m.version.empty()) {
            m.version = parsed->version;
            m.number = parsed->number;
            m.name = parsed->name;
        } else if (m.version != parsed->version || m.name != parsed->name) {
            problems.push_back(folder + file + ": duplicate version " + parsed->version + " (also used by " +
                               m.version + "_" + m.name + ")");
            continue;
        }
        std::string& slot = parsed->direction == Direction::kUp ? m.up_file : m.down_file;
        slot = file;
    }
    std::vector<Migration> out;
    out.reserve(by_number.size());
    for (auto& [number, m] : by_number) {
        if (m.up_file.empty()) {
            problems.push_back(folder + m.down_file + ": has no matching " + m.version + "_" + m.name +
                               std::string(kUpSuffix));
        }
        if (m.down_file.empty()) {
            problems.push_back(folder + m.up_file + ": has no matching " + m.version + "_" + m.name +
                               std::string(kDownSuffix));
        }
        out.push_back(std::move(m));
    }
    if (!problems.empty()) {
        std::string message = "invalid migration files: ";
        for (std::size_t i = 0; i < problems.size(); ++i) {
            if (i > 0) message += "; ";
            message += problems[i];
        }
        throw Error(ErrorKind::kUnprocessable, "migrate.invalid_files", message);
    }
    return out;
}

std::vector<Migration> LoadMigrations(const std::filesystem::path& migrations_dir, Database database) {
    std::filesystem::path folder = migrations_dir / std::string(DatabaseKey(database));
    std::error_code ec;
    if (!std::filesystem::exists(folder, ec)) return {};
    if (!std::filesystem::is_directory(folder, ec)) {
        throw Error(ErrorKind::kUnprocessable, "migrate.invalid_files", folder.string() + " is not a folder");
    }
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
        if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
    }
    std::vector<Migration> migrations = BuildMigrationSet(DatabaseKey(database), names);
    for (Migration& m : migrations) {
        m.up_sql = ReadFile(folder / m.up_file);
        m.down_sql = ReadFile(folder / m.down_file);
        m.checksum = Sha256Hex(m.up_sql);
    }
    return migrations;
}

std::string Sha256Hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        throw Error(ErrorKind::kInternal, "migrate.checksum", "SHA-256 failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(kHex[digest[i] >> 4]);
        out.push_back(kHex[digest[i] & 0x0f]);
    }
    return out;
}

bool HasNoTransactionMarker(std::string_view sql) noexcept {
    std::string_view first = sql.substr(0, sql.find('\n'));
    while (!first.empty() && IsSpace(first.back())) first.remove_suffix(1);
    return first == kNoTransactionMarker;
}

namespace {

// Each Skip* takes the position of an opening delimiter and returns the position just after
// its closing one (the end of the text when there is none).

// /* ... */, nested as PostgreSQL nests them.
std::size_t SkipBlockComment(std::string_view sql, std::size_t i) {
    const std::size_t n = sql.size();
    int depth = 1;
    i += 2;
    while (i < n && depth > 0) {
        if (sql[i] == '/' && i + 1 < n && sql[i + 1] == '*') {
            ++depth;
            i += 2;
        } else if (sql[i] == '*' && i + 1 < n && sql[i + 1] == '/') {
            --depth;
            i += 2;
        } else {
            ++i;
        }
    }
    return i;
}

// '...' with '' inside; E'...' also allows backslash escapes (the E must not end a longer
// identifier).
std::size_t SkipStringLiteral(std::string_view sql, std::size_t i) {
    const std::size_t n = sql.size();
    const bool escapes =
        i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !IsIdentChar(sql[i - 2]));
    ++i;
    while (i < n) {
        if (escapes && sql[i] == '\\') {
            i += 2;
        } else if (sql[i] == '\'') {
            if (i + 1 < n && sql[i + 1] == '\'') {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            ++i;
        }
    }
    return i;
}

// "..." with "" inside.
std::size_t SkipQuotedIdentifier(std::string_view sql, std::size_t i) {
    auto close = sql.find('"', i + 1);
    while (close != std::string_view::npos && close + 1 < sql.size() && sql[close + 1] == '"') {
        close = sql.find('"', close + 2);
    }
    return close == std::string_view::npos ? sql.size() : close + 1;
}

// $$...$$ or $tag$...$tag$; nullopt when the $ opens no dollar quote.
std::optional<std::size_t> SkipDollarQuoted(std::string_view sql, std::size_t i) {
    const std::size_t n = sql.size();
    std::size_t j = i + 1;
    if (j < n && IsIdentStart(sql[j])) {
        while (j < n && IsIdentChar(sql[j]) && sql[j] != '$') ++j;
    }
    if (j >= n || sql[j] != '$') return std::nullopt;
    const std::string_view tag = sql.substr(i, j - i + 1);
    const auto close = sql.find(tag, j + 1);
    return close == std::string_view::npos ? n : close + tag.size();
}

}  // namespace

std::vector<Statement> SplitStatements(std::string_view sql) {
    std::vector<Statement> out;
    std::size_t start = 0;
    bool has_code = false;  // the current piece holds something other than blanks and comments
    auto flush = [&](std::size_t end) {
        if (has_code) {
            std::size_t b = start;
            std::size_t e = end;
            while (b < e && IsSpace(sql[b])) ++b;
            while (e > b && IsSpace(sql[e - 1])) --e;
            out.push_back(Statement{sql.substr(b, e - b), b});
        }
        has_code = false;
    };
    std::size_t i = 0;
    const std::size_t n = sql.size();
    while (i < n) {
        char c = sql[i];
        if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
            auto eol = sql.find('\n', i);
            i = eol == std::string_view::npos ? n : eol + 1;
            continue;
        }
        if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
            i = SkipBlockComment(sql, i);
            continue;
        }
        if (c == ';') {
            flush(i);
            start = ++i;
            continue;
        }
        if (IsSpace(c)) {
            ++i;
            continue;
        }
        has_code = true;
        if (c == '\'') {
            i = SkipStringLiteral(sql, i);
            continue;
        }
        if (c == '"') {
            i = SkipQuotedIdentifier(sql, i);
            continue;
        }
        if (c == '$' && (i == 0 || !IsIdentChar(sql[i - 1]))) {
            if (const auto end = SkipDollarQuoted(sql, i)) {
                i = *end;
                continue;
            }
        }
        if (IsIdentChar(c)) {
            while (i < n && IsIdentChar(sql[i])) ++i;
            continue;
        }
        ++i;
    }
    flush(n);
    return out;
}

std::size_t LineOfPosition(std::string_view sql, std::size_t offset, std::size_t position) noexcept {
    std::size_t line = 1;
    for (std::size_t i = 0; i < offset && i < sql.size(); ++i) {
        if (sql[i] == '\n') ++line;
    }
    std::size_t chars = 0;
    for (std::size_t i = offset; i < sql.size(); ++i) {
        // Continuation bytes of a UTF-8 sequence do not start a character.
        if ((static_cast<unsigned char>(sql[i]) & 0xC0) != 0x80) {
            ++chars;
            if (chars == position) break;
        }
        if (sql[i] == '\n') ++line;
    }
    return line;
}

}  // namespace nn::migrate
