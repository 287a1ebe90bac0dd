#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "auth/acting.hpp"
#include "core/decimal.hpp"
#include "infra/http/json.hpp"
#include "infra/http/request.hpp"
#include "infra/http/response.hpp"
#include "infra/http/router.hpp"
#include "infra/http/schema.hpp"
#include "portfolio/repository.hpp"
#include "portfolio/subdomain.hpp"

// Shared by the portfolio, watchlist, goal and allocation routes: the permissions they need (the
// acting user is auth::ActorOfRequest), the decimal field rules, and how a named handler is bound
// into a route table; for the sub-domains' routes also their context (SubdomainRoutes) and path
// ids.
namespace nn::portfolio {

// The names every portfolio route file writes with.
namespace asio = boost::asio;
namespace json = boost::json;
namespace js = http::schema;
using http::Request;
using http::Response;

inline constexpr std::string_view kReadPermission = "portfolio:read";
inline constexpr std::string_view kWritePermission = "portfolio:write";

// Digit limits of a numeric(p, s) column: at most `integer_digits` before the point and
// `scale` after it.
struct DecimalRules {
    int integer_digits = 18;
    int scale = 10;
    bool positive = true;  // > 0 (otherwise >= 0)
};

// A decimal field sent as a string: absent → nullopt in `present` false; JSON null → cleared
// (present true, value nullopt); anything outside the rules is recorded in `in`.
struct DecimalField {
    bool present = false;
    std::optional<Decimal> value;
};
DecimalField ReadDecimalField(const boost::json::object& body,
                              http::FieldReader& in,
                              std::string_view field,
                              DecimalRules rules);

// Trading symbols: 1-32 characters of A-Z, a-z, 0-9 and ^.=_:- (the transaction rule).
bool IsValidSymbol(std::string_view symbol);

// A decimal for a response: its normalized string (decimals travel as strings), or null.
boost::json::value DecimalOrNull(const std::optional<Decimal>& d);

// What every handler of a sub-domain (watchlists, goals, allocation) is bound with: its service
// and auth's directory, which makes a request's principal the acting user.
template <class Service>
struct SubdomainRoutes {
    std::shared_ptr<Service> service;
    std::shared_ptr<auth::UserDirectory> directory;

    // The acting user of a read (kReadPermission; 401/403 otherwise).
    boost::asio::awaitable<Actor> Reader(const http::Request& req) const {
        co_return co_await auth::ActorOfRequest(req, directory, kReadPermission);
    }
    // A write as the service takes it: the acting user (kWritePermission), the request id its
    // outbox row carries, the request's shard.
    boost::asio::awaitable<ActingRequest> Writer(const http::Request& req) const {
        Actor actor = co_await auth::ActorOfRequest(req, directory, kWritePermission);
        co_return ActingRequest(std::move(actor), req.request_id, req.shard);
    }
};

// The path parameter `name` as an id; `not_found` when it is not one (no such row either).
template <class Id>
Id PathIdOr(const http::Request& req, std::string_view name, const RowNotFound& not_found) {
    auto id = Id::Parse(req.PathParam(name));
    if (!id) throw not_found.ToError();
    return *id;
}

}  // namespace nn::portfolio
