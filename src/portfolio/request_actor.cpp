#include "portfolio/request_actor.hpp"

#include <fmt/format.h>

#include "auth/principal.hpp"
#include "auth/user_directory.hpp"
#include "core/error.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;
namespace json = boost::json;

asio::awaitable<Actor> ActorOfRequest(const http::Request& req,
                                      std::string_view permission,
                                      const std::shared_ptr<auth::UserDirectory>& directory) {
    const auto* p = req.PrincipalAs<auth::Principal>();
    if (!p) throw http::HttpError(401, "auth.required", "authentication required");
    if (!p->Has(permission)) {
        throw Error(ErrorKind::kForbidden, "auth.insufficient_scope", fmt::format("needs {}", permission));
    }
    Actor actor;
    actor.user_id = p->user_id;
    actor.role = std::string(auth::RoleName(p->role));
    if (p->role == auth::Role::kAdvisor && directory) {
        auto grants = co_await directory->GrantsOf(p->user_id, req.shard);
        actor.read_client_ids = auth::ClientIdsSetting(grants.read);
        actor.manage_client_ids = auth::ClientIdsSetting(grants.manage);
    }
    co_return actor;
}

DecimalField ReadDecimalField(const json::object& body,
                              http::FieldReader& in,
                              std::string_view field,
                              DecimalRules rules) {
    DecimalField out;
    auto it = body.find(field);
    if (it == body.end()) return out;
    out.present = true;
    if (it->value().is_null()) return out;
    auto text = in.OptionalDecimal(field);
    if (!text) return out;
    auto d = Decimal::Parse(*text);
    if (!d) return out;
    Decimal n = d->Normalized();
    const bool sign_ok = rules.positive ? (!n.IsNegative() && !n.IsZero()) : !n.IsNegative();
    if (!sign_ok) {
        in.AddError(std::string(field), rules.positive ? "not_positive" : "negative",
                    rules.positive ? "must be greater than 0" : "must not be negative");
        return out;
    }
    if (n.IntegerDigits() > rules.integer_digits || n.Scale() > rules.scale) {
        in.AddError(
            std::string(field), "out_of_range",
            fmt::format("at most {} integer and {} fractional digits", rules.integer_digits, rules.scale));
        return out;
    }
    out.value = n;
    return out;
}

bool IsValidSymbol(std::string_view symbol) {
    if (symbol.empty() || symbol.size() > 32) return false;
    for (char c : symbol) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        c == '^' || c == '.' || c == '=' || c == '_' || c == ':' || c == '-';
        if (!ok) return false;
    }
    return true;
}

boost::json::value DecimalOrNull(const std::optional<Decimal>& d) {
    return d ? boost::json::value(d->Normalized().ToString()) : boost::json::value(nullptr);
}

}  // namespace nn::portfolio
