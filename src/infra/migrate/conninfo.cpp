#include "infra/migrate/conninfo.hpp"

#include <libpq-fe.h>

#include <memory>
#include <vector>

#include "core/percent_coding.hpp"

namespace nn::migrate {
namespace {

bool IsUri(std::string_view url) noexcept {
    return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

struct UriParts {
    std::string_view scheme;    // "postgresql://"
    std::string_view userinfo;  // "user:pw" (without '@'), may be empty
    std::string_view hosts;     // "host:port", may be empty
    std::string_view query;     // "?..." or empty
};

UriParts SplitUri(std::string_view url) {
    UriParts p;
    auto scheme_end = url.find("://") + 3;
    p.scheme = url.substr(0, scheme_end);
    std::string_view rest = url.substr(scheme_end);
    auto query = rest.find('?');
    if (query != std::string_view::npos) {
        p.query = rest.substr(query);
        rest = rest.substr(0, query);
    }
    auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    auto at = authority.rfind('@');
    if (at != std::string_view::npos) {
        p.userinfo = authority.substr(0, at);
        p.hosts = authority.substr(at + 1);
    } else {
        p.hosts = authority;
    }
    return p;
}

}  // namespace

std::string WithDatabase(std::string_view url, std::string_view database) {
    if (IsUri(url)) {
        UriParts p = SplitUri(url);
        std::string out(p.scheme);
        if (!p.userinfo.empty()) {
            out += p.userinfo;
            out += '@';
        }
        out += p.hosts;
        out += '/';
        out += PercentEncode(database);
        out += p.query;
        return out;
    }
    std::string out(url);
    out += " dbname=" + QuoteConninfoValue(database);
    return out;
}

std::string WithCredentials(std::string_view url,
                            std::string_view user,
                            std::string_view password,
                            std::string_view database) {
    if (IsUri(url)) {
        UriParts p = SplitUri(url);
        // user/password given as query parameters would override the userinfo: drop them.
        std::string query;
        if (!p.query.empty()) {
            std::string_view q = p.query.substr(1);
            while (!q.empty()) {
                auto amp = q.find('&');
                std::string_view item = q.substr(0, amp);
                if (!item.starts_with("user=") && !item.starts_with("password=")) {
                    query += query.empty() ? "?" : "&";
                    query += item;
                }
                if (amp == std::string_view::npos) break;
                q = q.substr(amp + 1);
            }
        }
        return std::string(p.scheme) + PercentEncode(user) + ":" + PercentEncode(password) + "@" +
               std::string(p.hosts) + "/" + PercentEncode(database) + query;
    }
    std::string out(url);
    out += " user=" + QuoteConninfoValue(user) + " password=" + QuoteConninfoValue(password) +
           " dbname=" + QuoteConninfoValue(database);
    return out;
}

std::string ScrubPassword(std::string_view url, std::string text) {
    std::vector<std::string> secrets;
    if (IsUri(url)) {
        // The raw form too: a URL libpq cannot parse still must not leak.
        std::string_view userinfo = SplitUri(url).userinfo;
        auto colon = userinfo.find(':');
        if (colon != std::string_view::npos) secrets.emplace_back(userinfo.substr(colon + 1));
    }
    char* error = nullptr;
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
        PQconninfoParse(std::string(url).c_str(), &error), &PQconninfoFree);
    if (error != nullptr) PQfreemem(error);
    for (PQconninfoOption* o = options.get(); o != nullptr && o->keyword != nullptr; ++o) {
        if (std::string_view(o->keyword) == "password" && o->val != nullptr) {
            secrets.emplace_back(o->val);
            secrets.push_back(PercentEncode(o->val));
        }
    }
    for (const std::string& secret : secrets) {
        if (secret.empty()) continue;
        for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3)) {
            text.replace(pos, secret.size(), "***");
        }
    }
    return text;
}

std::string QuoteConninfoValue(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('\'');
    return out;
}

}  // namespace nn::migrate
