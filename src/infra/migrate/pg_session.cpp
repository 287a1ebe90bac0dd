#include "infra/migrate/pg_session.hpp"

#include <cstdlib>

#include "core/error.hpp"
#include "infra/migrate/conninfo.hpp"

namespace nn::migrate::detail {
namespace {

std::string Field(const PGresult* r, int code) {
    const char* v = PQresultErrorField(r, code);
    return v == nullptr ? std::string() : std::string(v);
}

// Server messages may span lines; the CLI prints errors as one line.
std::string OneLine(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    for (char& c : s) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    return s;
}

ServerError FromResult(const PGresult* r, PGconn* conn) {
    ServerError e;
    if (r == nullptr) {
        e.message = OneLine(PQerrorMessage(conn));
        return e;
    }
    e.sqlstate = Field(r, PG_DIAG_SQLSTATE);
    e.message = OneLine(Field(r, PG_DIAG_MESSAGE_PRIMARY));
    if (e.message.empty()) e.message = OneLine(PQresultErrorMessage(r));
    if (e.message.empty()) e.message = OneLine(PQerrorMessage(conn));
    e.detail = OneLine(Field(r, PG_DIAG_MESSAGE_DETAIL));
    e.hint = OneLine(Field(r, PG_DIAG_MESSAGE_HINT));
    e.context = OneLine(Field(r, PG_DIAG_CONTEXT));
    std::string position = Field(r, PG_DIAG_STATEMENT_POSITION);
    if (!position.empty()) e.position = std::strtoul(position.c_str(), nullptr, 10);
    return e;
}

bool Succeeded(const PGresult* r) {
    if (r == nullptr) return false;
    auto st = PQresultStatus(r);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

}  // namespace

std::string ServerError::Describe() const {
    std::string out = "ERROR";
    if (!sqlstate.empty()) out += " " + sqlstate;
    out += ": " + message;
    if (!detail.empty()) out += " (detail: " + detail + ")";
    if (!hint.empty()) out += " (hint: " + hint + ")";
    if (!context.empty()) out += " (where: " + context + ")";
    return out;
}

Session::Session(const std::string& url, const std::string& database) : database_(database) {
    // The first dbname is expanded as a connection string, the later one overrides its
    // database (libpq: "if any key word is repeated, the last value is used").
    // An empty `database` keeps the URL's own.
    const char* keywords[] = {"dbname", "dbname", "fallback_application_name", "client_encoding", nullptr};
    const char* values[] = {url.c_str(), database.c_str(), "nexanest-migrate", "UTF8", nullptr};
    if (database.empty()) {
        keywords[1] = "fallback_application_name";
        values[1] = "nexanest-migrate";
    }
    conn_ = PQconnectdbParams(keywords, values, 1);
    if (conn_ == nullptr) {
        throw Error(ErrorKind::kUnavailable, "migrate.connect",
                    "cannot connect to database " + database + ": out of memory");
    }
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string message = ScrubPassword(url, OneLine(PQerrorMessage(conn_)));
        PQfinish(conn_);
        conn_ = nullptr;
        throw Error(ErrorKind::kUnavailable, "migrate.connect",
                    "cannot connect to database " + database + ": " + message);
    }
    PQsetNoticeReceiver(conn_, &Session::OnNotice, this);
}

Session::~Session() {
    if (conn_ != nullptr) PQfinish(conn_);
}

void Session::OnNotice(void* self, const PGresult* result) {
    auto* session = static_cast<Session*>(self);
    if (!session->notice_sink_) return;
    std::string severity = Field(result, PG_DIAG_SEVERITY);
    session->notice_sink_(severity + ": " + OneLine(Field(result, PG_DIAG_MESSAGE_PRIMARY)));
}

std::optional<ServerError> Session::TryExec(const std::string& sql, Result* rows) {
    // PQexec keeps only the last result; an error stops the string there, so the last result
    // is the failing one.
    Result r(PQexec(conn_, sql.c_str()));
    if (!Succeeded(r.get())) return FromResult(r.get(), conn_);
    if (rows != nullptr) *rows = std::move(r);
    return std::nullopt;
}

Result Session::Exec(const std::string& sql, std::string_view what) {
    Result rows;
    if (auto e = TryExec(sql, &rows)) {
        throw Error(ErrorKind::kInternal, "migrate.sql",
                    std::string(what) + " in database " + database_ + " failed: " + e->Describe());
    }
    return rows;
}

Result Session::ExecParams(const std::string& sql,
                           const std::vector<std::optional<std::string>>& params,
                           std::string_view what) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    Result r(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                          nullptr, nullptr, 0));
    if (!Succeeded(r.get())) {
        throw Error(ErrorKind::kInternal, "migrate.sql",
                    std::string(what) + " in database " + database_ +
                        " failed: " + FromResult(r.get(), conn_).Describe());
    }
    return r;
}

std::string Session::QuoteIdent(std::string_view ident) {
    char* q = PQescapeIdentifier(conn_, ident.data(), ident.size());
    if (q == nullptr) throw Error(ErrorKind::kInternal, "migrate.sql", OneLine(PQerrorMessage(conn_)));
    std::string out(q);
    PQfreemem(q);
    return out;
}

std::string Session::QuoteLiteral(std::string_view value) {
    char* q = PQescapeLiteral(conn_, value.data(), value.size());
    if (q == nullptr) throw Error(ErrorKind::kInternal, "migrate.sql", OneLine(PQerrorMessage(conn_)));
    std::string out(q);
    PQfreemem(q);
    return out;
}

std::string Session::EncryptPassword(const std::string& password, const std::string& role) {
    char* hashed = PQencryptPasswordConn(conn_, password.c_str(), role.c_str(), nullptr);
    if (hashed == nullptr) {
        throw Error(ErrorKind::kInternal, "migrate.password",
                    "cannot hash the password of role " + role + ": " + OneLine(PQerrorMessage(conn_)));
    }
    std::string out(hashed);
    PQfreemem(hashed);
    return out;
}

}  // namespace nn::migrate::detail
