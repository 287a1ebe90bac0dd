#include "auth/operator_commands.hpp"

#include "auth/password_policy.hpp"
#include "infra/crypto/password.hpp"
#include "infra/db/errors.hpp"
#include "infra/db/pool.hpp"
#include "infra/db/transaction.hpp"

namespace nn::auth {

namespace asio = boost::asio;

namespace {

inline constexpr db::Query kInsertOperatorUser{
    "INSERT INTO auth.users (id, email, password_hash, role, email_verified_at) VALUES ($1, $2, $3, $4, "
    "now())",
    "auth.operator_insert_user"};
inline constexpr db::Query kInsertOperatorProfile{"INSERT INTO auth.user_profiles (user_id) VALUES ($1)",
                                                  "auth.operator_insert_profile"};
inline constexpr db::Query kInsertOperatorEvent{
    "INSERT INTO auth.outbox (actor_id, user_id, aggregate_type, aggregate_id, event_type, payload) "
    "VALUES (NULL, $1, 'user', $2, 'user.created_by_operator', jsonb_build_object('role', $3::text))",
    "auth.operator_insert_event"};

}  // namespace

asio::awaitable<UserId> CreateUserAsOperator(db::Pool& pool,
                                             std::string email,
                                             std::string password,
                                             Role role) {
    const auto at = email.find('@');
    if (email.size() < 3 || email.size() > 320 || at == std::string::npos || at == 0 ||
        at + 1 == email.size()) {
        throw Error(ErrorKind::kUnprocessable, "auth.invalid_email", "--email must be an email address");
    }
    if (auto bad = CheckPassword(password, email)) {
        throw Error(ErrorKind::kUnprocessable, "auth.password_policy",
                    "the password does not meet the policy (" + *bad +
                        "): at least 12 characters, at most 128, "
                        "not a common password, not containing the email");
    }
    const auto hash = crypto::HashPassword(password);
    const auto id = UserId::Generate();
    const std::string role_name(RoleName(role));
    try {
        co_await db::RunInTransaction(
            pool, db::TransactionOptions().ActingAs(Actor::System()),
            [&](db::Transaction& tx) -> asio::awaitable<void> {
                co_await tx.Execute(kInsertOperatorUser, id, email, hash, role_name);
                co_await tx.Execute(kInsertOperatorProfile, id);
                co_await tx.Execute(kInsertOperatorEvent, id, id.ToString(), role_name);
            });
    } catch (const db::UniqueViolation&) {
        throw Error(ErrorKind::kConflict, "auth.email_taken", "an account with that email already exists");
    }
    co_return id;
}

}  // namespace nn::auth
