#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace nn::db {

// What the server (or the driver) said about a failed command. Never holds parameter values:
// the DETAIL field (which quotes key values) is not kept, and the messages of data exceptions
// (class 22, which quote the offending input) are cut before the quoted value.
struct ErrorInfo {
    std::string sqlstate;        // "23505"; empty for driver-side failures
    std::string server_message;  // the primary message
    std::string constraint;      // PG_DIAG_CONSTRAINT_NAME, when the server names one
    std::string table;
    std::string column;
    std::string query_name;  // Query::name of the failed command, when known
    std::string severity;    // ERROR, FATAL, PANIC (not localized)
};

// Every database failure. The HTTP edge maps it through nn::Error (Kind(), Code()) and never
// needs to know about PostgreSQL; code that wants to react to a specific failure catches the
// subclass (UniqueViolation, SerializationFailure...).
class DbError : public nn::Error {
public:
    DbError(ErrorKind kind, std::string code, ErrorInfo info);

    const ErrorInfo& Info() const noexcept { return info_; }
    const std::string& SqlState() const noexcept { return info_.sqlstate; }
    const std::string& Constraint() const noexcept { return info_.constraint; }
    const std::string& ServerMessage() const noexcept { return info_.server_message; }
    const std::string& QueryName() const noexcept { return info_.query_name; }

private:
    ErrorInfo info_;
};

#define NN_DB_ERROR(Name, Base) \
    class Name : public Base {  \
    public:                     \
        using Base::Base;       \
    }

// Driver-side: the server is unreachable, the connection dropped, or a connect failed (503).
NN_DB_ERROR(ConnectionError, DbError);
// No pooled connection became free before the acquire deadline (503, "db.pool_timeout").
NN_DB_ERROR(PoolTimeout, DbError);
// The client deadline of a call passed; the server was asked to cancel (504, "db.timeout").
NN_DB_ERROR(DeadlineExceeded, DbError);
// The result does not have the shape the caller asked for: no row / several rows / NULL into a
// non-optional / a column type that does not decode into the requested C++ type (500).
NN_DB_ERROR(ResultShapeError, DbError);

// Server-side, by SQLSTATE.
NN_DB_ERROR(IntegrityViolation, DbError);                // class 23 (422 unless below)
NN_DB_ERROR(UniqueViolation, IntegrityViolation);        // 23505 (409)
NN_DB_ERROR(ForeignKeyViolation, IntegrityViolation);    // 23503 (422)
NN_DB_ERROR(CheckViolation, IntegrityViolation);         // 23514 (422)
NN_DB_ERROR(NotNullViolation, IntegrityViolation);       // 23502 (422)
NN_DB_ERROR(DataException, DbError);                     // class 22 (422)
NN_DB_ERROR(TransactionRollback, DbError);               // class 40: retry the transaction
NN_DB_ERROR(SerializationFailure, TransactionRollback);  // 40001 (503 after retries)
NN_DB_ERROR(DeadlockDetected, TransactionRollback);      // 40P01 (503 after retries)
NN_DB_ERROR(QueryCanceled, DbError);                     // 57014 not caused by our deadline (504)
NN_DB_ERROR(InsufficientPrivilege, DbError);             // 42501 (403), including RLS refusals
// 0A000 "cached plan must not change result type" (after DDL): the connection drops its
// prepared statements; retried automatically outside transactions, and by RunInTransaction.
NN_DB_ERROR(CachedPlanInvalidated, DbError);
NN_DB_ERROR(ServerError, DbError);  // anything else (500)

#undef NN_DB_ERROR

// Whether running the whole transaction again may succeed (serialization failure, deadlock,
// cached plan invalidated by DDL).
bool IsRetryable(const DbError& error) noexcept;

// Throws the typed exception for a server error (sqlstate non-empty) or a ServerError.
[[noreturn]] void ThrowServerError(ErrorInfo info);

}  // namespace nn::db
