#pragma once

#include <libpq-fe.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Internal to nn_migrate: a blocking libpq connection. The engine runs before any event loop
// and needs the simple-query protocol for multi-statement files, which the non-blocking
// pipeline client of nn_db cannot send (docs/migrations.md).
namespace nn::migrate::detail {

struct ResultDeleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// The fields of a server error that a person needs to fix a migration.
struct ServerError {
    std::string sqlstate;
    std::string message;
    std::string detail;
    std::string hint;
    std::string context;
    std::size_t position = 0;  // 1-based character in the statement, 0 when unknown

    // "ERROR 42P07: relation \"x\" already exists (detail: ...; hint: ...)" on one line.
    std::string Describe() const;
};

class Session {
public:
    // Connects to `database` (empty: the URL's own) with the parameters of `url`; throws nn::Error
    // (kUnavailable, "migrate.connect") naming the database, never the password.
    Session(const std::string& url, const std::string& database);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Runs SQL (may hold several statements) with the simple-query protocol; nullopt on
    // success, the server error otherwise. Rows of the last statement go to `rows` if given.
    std::optional<ServerError> TryExec(const std::string& sql, Result* rows = nullptr);

    // TryExec that throws nn::Error(kInternal, "migrate.sql") with `what` and the server error.
    Result Exec(const std::string& sql, std::string_view what);

    // One statement with text parameters (extended protocol); throws like Exec.
    Result ExecParams(const std::string& sql,
                      const std::vector<std::optional<std::string>>& params,
                      std::string_view what);

    std::string QuoteIdent(std::string_view ident);
    std::string QuoteLiteral(std::string_view value);

    // Client-side SCRAM hash of a password (PQencryptPasswordConn), so the cleartext never
    // reaches the server or its statement log.
    std::string EncryptPassword(const std::string& password, const std::string& role);

    PGTransactionStatusType TransactionStatus() const noexcept { return PQtransactionStatus(conn_); }

    // Receives server notices (RAISE NOTICE in a migration); dropped when empty.
    void SetNoticeSink(std::function<void(const std::string&)> sink) { notice_sink_ = std::move(sink); }

private:
    static void OnNotice(void* self, const PGresult* result);

    PGconn* conn_ = nullptr;
    std::string database_;
    std::function<void(const std::string&)> notice_sink_;
};

}  // namespace nn::migrate::detail
