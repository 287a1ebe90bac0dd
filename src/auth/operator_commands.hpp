#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "auth/permissions.hpp"
#include "core/ids.hpp"

namespace nn::db {
class Pool;
}

namespace nn::auth {

// `nexanest user create`: an account made by the operator (the first ADMIN or SUPERUSER), with
// its email marked verified, in one SYSTEM transaction with its outbox event. The password
// policy applies as for everyone. Throws nn::Error kUnprocessable ("auth.password_policy",
// "auth.invalid_email") or kConflict ("auth.email_taken").
boost::asio::awaitable<UserId> CreateUserAsOperator(db::Pool& pool,
                                                    std::string email,
                                                    std::string password,
                                                    Role role);

}  // namespace nn::auth
