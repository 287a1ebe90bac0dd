#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "auth/acting.hpp"
#include "core/decimal.hpp"
#include "infra/http/json.hpp"
#include "infra/http/request.hpp"
#include "infra/http/router.hpp"
#include "portfolio/repository.hpp"

// Shared by the portfolio, watchlist, goal and allocation routes: the permissions they need (the
// acting user is auth::ActorOfRequest), the decimal field rules, and how a named handler is bound
// into a route table.
namespace nn::portfolio {

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

}  // namespace nn::portfolio
