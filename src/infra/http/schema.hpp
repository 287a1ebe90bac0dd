#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace nn::http {

// A JSON Schema (the OpenAPI 3.1 / draft 2020-12 subset this API uses), written next to the
// route that reads or writes it. The route's OpenAPI entry is emitted from it, and under
// ServerOptions::contract_check every response is validated against it (schema_validator.hpp),
// so the document cannot drift from what the server answers.
//
//     js::Object({{"id", js::Uuid()}, {"name", js::String(1, 100)},
//                 js::Opt("note", js::String(0, 2000).Nullable())})
//
// An Object is closed (additionalProperties: false) unless Open()/Map() is used; its fields are
// required unless wrapped in Opt().
class Schema {
public:
    Schema() = default;  // {}: anything (only for documented free-form values)
    explicit Schema(boost::json::object json) : json_(std::move(json)) {}

    Schema& Describe(std::string_view text) &;
    Schema&& Describe(std::string_view text) &&;
    Schema& Example(boost::json::value example) &;
    Schema&& Example(boost::json::value example) &&;
    // Also allows null: type [t, "null"], or anyOf [this, {type: null}] for a $ref.
    Schema& Nullable() &;
    Schema&& Nullable() &&;
    // An Object that may carry fields it does not list.
    Schema& Open() &;
    Schema&& Open() &&;

    const boost::json::object& Json() const noexcept { return json_; }
    bool Empty() const noexcept { return json_.empty(); }

private:
    boost::json::object json_;
};

struct Field {
    Field(std::string name, Schema schema, bool required = true)
        : name(std::move(name)), schema(std::move(schema)), required(required) {}
    std::string name;
    Schema schema;
    bool required;
};

// The builders live in their own namespace (their names are short: String, Decimal, Date);
// handlers alias it: `namespace js = http::schema;` → js::Object({{"id", js::Uuid()}}).
namespace schema {

// An optional field (may be absent).
Field Opt(std::string name, Schema schema);
// An optional request field as FieldReader reads it: absent or null both mean "not given".
Field OptNull(std::string name, Schema schema);

Schema String(std::size_t min_length = 0, std::size_t max_length = 0);  // max 0: no limit
Schema Pattern(std::string_view regex, std::string_view description = {});
// A plain decimal in a string ("-12.5"): money, prices and quantities.
Schema Decimal();
Schema Uuid();
Schema DateTime();  // RFC 3339 ("2024-01-31T12:00:00Z")
Schema Date();      // YYYY-MM-DD
Schema Enum(std::initializer_list<std::string_view> values);
Schema Enum(const std::vector<std::string>& values);
Schema Integer(std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX);
Schema Number();  // a JSON number (ratios and statistics only; never money)
Schema Boolean();
Schema Null();
Schema Ref(std::string_view component);  // #/components/schemas/<component>
Schema Array(Schema items, std::size_t max_items = 0);
Schema Object(std::initializer_list<Field> fields);
Schema Object(const std::vector<Field>& fields);
// An object whose keys are free and whose values all follow `values`.
Schema Map(Schema values);
Schema OneOf(std::initializer_list<Schema> alternatives);
Schema AllOf(std::initializer_list<Schema> parts);
// The list envelope: {items: [item], next_cursor: string | null}.
Schema Page(Schema item);

}  // namespace schema

// The list of components a router holds (name → schema).
using Components = std::vector<std::pair<std::string, Schema>>;

}  // namespace nn::http
