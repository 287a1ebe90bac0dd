#pragma once

#include <string>
#include <string_view>

// Connection URLs and SQL names. The app derives every service URL from one administrative URL
// (architecture.md, "Databases and roles"), so these keep host, port and query options and
// replace only the part asked for.
namespace nn::db {

// The same URL pointing at another database: "postgresql://u:p@h:5432/postgres?sslmode=require"
// -> ".../<database>?sslmode=require". Accepts postgresql:// and postgres:// URLs, and key=value
// conninfo strings (dbname='...' is appended: the last setting wins in libpq).
std::string WithDatabase(std::string_view url, std::string_view database);

// The same URL with another user and password, percent-encoded as RFC 3986 userinfo requires
// (a password with '@', ':' or '/' stays one password).
std::string WithCredentials(std::string_view url, std::string_view user, std::string_view password);

// The URL with its password replaced by "***", for logs and error messages.
std::string RedactUrl(std::string_view url);

// "name" with embedded quotes doubled: safe to splice into SQL as an identifier.
std::string QuoteIdentifier(std::string_view name);
// Each dot-separated part quoted: market_data.stock_prices -> "market_data"."stock_prices".
std::string QuoteQualifiedName(std::string_view name);
// 'text' with embedded single quotes doubled (standard_conforming_strings is on since PG 9.1).
std::string QuoteLiteral(std::string_view text);

}  // namespace nn::db
