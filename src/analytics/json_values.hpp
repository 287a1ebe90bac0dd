#pragma once

// The JSON shapes of analytics' responses, one place for all of them: money as a normalised
// decimal string, ratios as JSON numbers, dates as YYYY-MM-DD, null where there is no value
// (docs/analytics.md §11). Used by the performance (json_io.cpp) and statement (statement.cpp)
// responses.
#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "core/decimal.hpp"
#include "core/time.hpp"

namespace nn::analytics {

inline boost::json::value MoneyJson(const Decimal& amount) {
    return boost::json::value(amount.ToNormalizedString());
}

inline boost::json::value MoneyJson(const std::optional<Decimal>& amount) {
    if (!amount) return nullptr;
    return MoneyJson(*amount);
}

inline boost::json::value NumberJson(const std::optional<double>& ratio) {
    if (!ratio) return nullptr;
    return *ratio;
}

inline boost::json::value DateJson(const std::optional<Date>& date) {
    if (!date) return nullptr;
    return boost::json::value(FormatDate(*date));
}

inline boost::json::value TextJson(const std::optional<std::string>& text) {
    if (!text) return nullptr;
    return boost::json::value(*text);
}

}  // namespace nn::analytics
