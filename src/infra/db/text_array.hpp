#pragma once

#include <optional>
#include <string>
#include <vector>

namespace nn::db {

// A text[] parameter, the one way an array goes to PostgreSQL. It is sent in binary with its
// type, so its elements never go through the array-literal parser: "A,B", "{x}" and "NULL" each
// stay one element, and std::nullopt is SQL NULL. `$1::uuid[]`, `$1::numeric[]`,
// `$1::timestamptz[]` or `$1::date[]` cast it element by element.
struct TextArray {
    TextArray() = default;
    explicit TextArray(const std::vector<std::string>& v) : items(v.begin(), v.end()) {}
    explicit TextArray(std::vector<std::optional<std::string>> v) : items(std::move(v)) {}
    std::vector<std::optional<std::string>> items;
};

// The array's text form as PostgreSQL prints it ("{a,\"b c\",NULL}"): an element is quoted when
// it is empty, is "NULL" in any case, or holds a brace, quote, backslash, comma or white space.
// For the places that take an array as text rather than as a parameter: set_config settings
// (an advisor's client lists, Transaction::Begin) that a policy casts with ::uuid[].
std::string ArrayLiteral(const TextArray& array);

// Ids (Uuid, PortfolioId, anything with ToString()) as one text[] parameter, for `$n::uuid[]`.
template <class Ids>
TextArray IdArray(const Ids& ids) {
    std::vector<std::optional<std::string>> items;
    for (const auto& id : ids) items.push_back(id.ToString());
    return TextArray(std::move(items));
}

}  // namespace nn::db
