#include "infra/db/errors.hpp"

#include <utility>

namespace nn::db {
namespace {

std::string Describe(const ErrorInfo& info) {
    std::string out = info.server_message.empty() ? std::string("database error") : info.server_message;
    if (!info.sqlstate.empty()) out += " [" + info.sqlstate + "]";
    if (!info.query_name.empty()) out += " (query " + info.query_name + ")";
    return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

DbError::DbError(ErrorKind kind, std::string code, ErrorInfo info)
    : nn::Error(kind, std::move(code), Describe(info)), info_(std::move(info)) {}

bool IsRetryable(const DbError& error) noexcept {
    return dynamic_cast<const TransactionRollback*>(&error) != nullptr ||
           dynamic_cast<const CachedPlanInvalidated*>(&error) != nullptr;
}

void ThrowServerError(ErrorInfo info) {
    const std::string state = info.sqlstate;
    if (state == "23505") throw UniqueViolation(ErrorKind::kConflict, "db.unique_violation", std::move(info));
    if (state == "23503") {
        throw ForeignKeyViolation(ErrorKind::kUnprocessable, "db.foreign_key_violation", std::move(info));
    }
    if (state == "23514")
        throw CheckViolation(ErrorKind::kUnprocessable, "db.check_violation", std::move(info));
    if (state == "23502") {
        throw NotNullViolation(ErrorKind::kUnprocessable, "db.not_null_violation", std::move(info));
    }
    if (state == "23P01")
        throw IntegrityViolation(ErrorKind::kConflict, "db.exclusion_violation", std::move(info));
    if (StartsWith(state, "23")) {
        throw IntegrityViolation(ErrorKind::kUnprocessable, "db.integrity_violation", std::move(info));
    }
    if (StartsWith(state, "22")) {
        // Data exception messages quote the offending input ("invalid input syntax for type
        // uuid: \"...\""); keep only the sentence so parameter values never reach a log.
        auto quoted = info.server_message.find(": \"");
        if (quoted != std::string::npos) info.server_message.resize(quoted);
        // A figure past its column (numeric(28, 10): 18 digits before the point) says so; the
        // generic code told a user nothing about a position grown past it.
        if (state == "22003")
            throw DataException(ErrorKind::kUnprocessable, "db.out_of_range", std::move(info));
        throw DataException(ErrorKind::kUnprocessable, "db.data_exception", std::move(info));
    }
    if (state == "40001") {
        throw SerializationFailure(ErrorKind::kUnavailable, "db.serialization_failure", std::move(info));
    }
    if (state == "40P01") throw DeadlockDetected(ErrorKind::kUnavailable, "db.deadlock", std::move(info));
    if (StartsWith(state, "40")) {
        throw TransactionRollback(ErrorKind::kUnavailable, "db.transaction_rollback", std::move(info));
    }
    if (state == "57014") throw QueryCanceled(ErrorKind::kTimeout, "db.query_canceled", std::move(info));
    if (state == "42501") {
        throw InsufficientPrivilege(ErrorKind::kForbidden, "db.insufficient_privilege", std::move(info));
    }
    if (state == "0A000" &&
        info.server_message.find("cached plan must not change result type") != std::string::npos) {
        throw CachedPlanInvalidated(ErrorKind::kUnavailable, "db.cached_plan_invalidated", std::move(info));
    }
    // Class 08 (connection exception), 57P01..57P03 (shutdown, crash), 53300 (too many
    // connections): the server is not there for us right now.
    if (StartsWith(state, "08") || StartsWith(state, "57P") || state == "53300") {
        throw ConnectionError(ErrorKind::kUnavailable, "db.connection", std::move(info));
    }
    throw ServerError(ErrorKind::kInternal, "db.server_error", std::move(info));
}

}  // namespace nn::db
