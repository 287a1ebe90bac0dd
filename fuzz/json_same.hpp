#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include <boost/json/value.hpp>

namespace nn::fuzz {

// Equal JSON values, except that a double may come back one rounding step away: Boost.JSON 1.81
// parses numbers fast rather than correctly rounded (no precise mode before 1.83), so
// text -> double -> text -> double may move by an ulp ("97600000001759999999" serialises as
// 9.760000000175999E19, which parses back as 9.760000000176E19). Money never travels as a JSON
// number (FieldReader::Decimal wants a string), so this touches no amount.
inline bool SameJson(const boost::json::value& a, const boost::json::value& b) {
    if (a.is_double() && b.is_double()) {
        const double x = a.get_double(), y = b.get_double();
        return x == y || std::fabs(x - y) <= 1e-15 * std::max(std::fabs(x), std::fabs(y));
    }
    if (a.kind() != b.kind()) return a.is_number() && b.is_number() && a == b;
    if (a.is_array()) {
        const auto &x = a.get_array(), &y = b.get_array();
        if (x.size() != y.size()) return false;
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (!SameJson(x[i], y[i])) return false;
        }
        return true;
    }
    if (a.is_object()) {
        const auto &x = a.get_object(), &y = b.get_object();
        if (x.size() != y.size()) return false;
        for (const auto& [k, v] : x) {
            const auto* w = y.if_contains(k);
            if (w == nullptr || !SameJson(v, *w)) return false;
        }
        return true;
    }
    return a == b;
}

}  // namespace nn::fuzz
