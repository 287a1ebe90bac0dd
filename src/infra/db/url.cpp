#include "infra/db/url.hpp"

#include <algorithm>

#include "core/percent_coding.hpp"

namespace nn::db {
namespace {

bool IsUrl(std::string_view s) {
    return s.starts_with("postgresql://") || s.starts_with("postgres://");
}

// scheme://[userinfo@]hostport[/path][?query]
struct UrlParts {
    std::string_view scheme;  // including "://"
    std::string_view userinfo;
    bool has_userinfo = false;
    std::string_view hostport;
    std::string_view path;   // without the leading '/'
    std::string_view query;  // including '?', or empty
};

UrlParts Split(std::string_view url) {
    UrlParts p;
    const std::size_t scheme_end = url.find("://") + 3;
    p.scheme = url.substr(0, scheme_end);
    std::string_view rest = url.substr(scheme_end);
    const std::size_t q = rest.find('?');
    if (q != std::string_view::npos) {
        p.query = rest.substr(q);
        rest = rest.substr(0, q);
    }
    const std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) p.path = rest.substr(slash + 1);
    const std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        p.has_userinfo = true;
        p.userinfo = authority.substr(0, at);
        p.hostport = authority.substr(at + 1);
    } else {
        p.hostport = authority;
    }
    return p;
}

std::string Join(const UrlParts& p, std::string_view userinfo, bool has_userinfo, std::string_view path) {
    std::string out(p.scheme);
    if (has_userinfo) {
        out += userinfo;
        out.push_back('@');
    }
    out += p.hostport;
    out.push_back('/');
    out += path;
    out += p.query;
    return out;
}

std::string ConninfoValue(std::string_view v) {
    std::string out = "'";
    for (char c : v) {
        if (c == '\'' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('\'');
    return out;
}

}  // namespace

std::string WithDatabase(std::string_view url, std::string_view database) {
    if (!IsUrl(url)) return std::string(url) + " dbname=" + ConninfoValue(database);
    UrlParts p = Split(url);
    return Join(p, p.userinfo, p.has_userinfo, PercentEncode(database));
}

std::string WithCredentials(std::string_view url, std::string_view user, std::string_view password) {
    if (!IsUrl(url)) {
        return std::string(url) + " user=" + ConninfoValue(user) + " password=" + ConninfoValue(password);
    }
    UrlParts p = Split(url);
    return Join(p, PercentEncode(user) + ":" + PercentEncode(password), true, p.path);
}

std::string RedactUrl(std::string_view url) {
    if (!IsUrl(url)) {
        // key=value form: mask the value of password=...
        std::string out(url);
        const std::size_t at = out.find("password=");
        if (at == std::string::npos) return out;
        std::size_t start = at + 9;
        std::size_t end = start;
        if (end < out.size() && out[end] == '\'') {
            ++end;
            while (end < out.size() && out[end] != '\'') end += out[end] == '\\' ? 2 : 1;
            end = std::min(out.size(), end + 1);
        } else {
            while (end < out.size() && out[end] != ' ') ++end;
        }
        return out.replace(start, end - start, "***");
    }
    UrlParts p = Split(url);
    if (!p.has_userinfo) return std::string(url);
    const std::size_t colon = p.userinfo.find(':');
    if (colon == std::string_view::npos) return std::string(url);
    return Join(p, std::string(p.userinfo.substr(0, colon)) + ":***", true, p.path);
}

std::string QuoteIdentifier(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

std::string QuoteQualifiedName(std::string_view name) {
    std::string out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t dot = name.find('.', start);
        out += QuoteIdentifier(name.substr(start, dot == std::string_view::npos ? dot : dot - start));
        if (dot == std::string_view::npos) return out;
        out.push_back('.');
        start = dot + 1;
    }
}

std::string QuoteLiteral(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out.push_back('\'');
        out.push_back(c);
    }
    out.push_back('\'');
    return out;
}

}  // namespace nn::db
