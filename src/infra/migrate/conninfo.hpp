#pragma once

#include <string>
#include <string_view>

// Building connection strings from the administrative one. Both libpq forms are accepted:
// URIs ("postgresql://user:pw@host:port/db?opt=v") keep their form; keyword/value strings
// ("host=h user=u dbname=d") get the new values appended, since libpq lets the last one win.
namespace nn::migrate {

// The same connection with another database.
std::string WithDatabase(std::string_view url, std::string_view database);

// The same host, port and options with another user, password and database: how a service
// role reaches its database on the cluster of the admin URL.
std::string WithCredentials(std::string_view url,
                            std::string_view user,
                            std::string_view password,
                            std::string_view database);

// A keyword/value connection-string value, single-quoted with quote and backslash escaped as
// libpq expects ("it's" -> 'it\'s').
std::string QuoteConninfoValue(std::string_view value);

// Replaces every occurrence of the password of `url` in `text` by "***", so libpq messages
// that echo parts of a connection string can be shown.
std::string ScrubPassword(std::string_view url, std::string text);

}  // namespace nn::migrate
