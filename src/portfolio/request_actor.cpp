#include "portfolio/request_actor.hpp"

#include <fmt/format.h>

namespace nn::portfolio {
namespace json = boost::json;

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
