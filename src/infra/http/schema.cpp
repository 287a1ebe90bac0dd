#include "infra/http/schema.hpp"

#include <boost/json/array.hpp>

namespace nn::http {
namespace json = boost::json;

Schema& Schema::Describe(std::string_view text) & {
    json_["description"] = text;
    return *this;
}
Schema&& Schema::Describe(std::string_view text) && {
    return std::move(Describe(text));
}

Schema& Schema::Example(json::value example) & {
    auto& list = json_["examples"];
    if (!list.is_array()) list = json::array{};
    list.as_array().push_back(std::move(example));
    return *this;
}
Schema&& Schema::Example(json::value example) && {
    return std::move(Example(std::move(example)));
}

Schema& Schema::Nullable() & {
    auto type = json_.find("type");
    if (type != json_.end() && type->value().is_array()) {
        for (const auto& t : type->value().as_array()) {
            if (t == "null") return *this;
        }
    }
    if (type != json_.end() && type->value().is_string() && !json_.contains("$ref")) {
        json::array both{type->value(), "null"};
        type->value() = std::move(both);
        if (auto e = json_.find("enum"); e != json_.end()) e->value().as_array().push_back(nullptr);
        return *this;
    }
    json::object wrapped;
    json::array any{std::move(json_), json::object{{"type", "null"}}};
    wrapped["anyOf"] = std::move(any);
    json_ = std::move(wrapped);
    return *this;
}
Schema&& Schema::Nullable() && {
    return std::move(Nullable());
}

Schema& Schema::Open() & {
    json_.erase("additionalProperties");
    return *this;
}
Schema&& Schema::Open() && {
    return std::move(Open());
}

namespace schema {

Field Opt(std::string name, Schema schema) {
    return Field(std::move(name), std::move(schema), false);
}

Field OptNull(std::string name, Schema schema) {
    return Field(std::move(name), std::move(schema).Nullable(), false);
}

Schema String(std::size_t min_length, std::size_t max_length) {
    json::object o{{"type", "string"}};
    if (min_length != 0) o["minLength"] = min_length;
    if (max_length != 0) o["maxLength"] = max_length;
    return Schema(std::move(o));
}

Schema Pattern(std::string_view regex, std::string_view description) {
    json::object o{{"type", "string"}, {"pattern", regex}};
    if (!description.empty()) o["description"] = description;
    return Schema(std::move(o));
}

Schema Decimal() {
    return Schema(json::object{{"type", "string"},
                               {"pattern", "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$"},
                               {"description", "an exact decimal in a string (no exponent)"},
                               {"examples", json::array{"1234.50"}}});
}

Schema Uuid() {
    return Schema(json::object{{"type", "string"}, {"format", "uuid"}});
}

Schema DateTime() {
    return Schema(json::object{{"type", "string"}, {"format", "date-time"}});
}

Schema Date() {
    return Schema(json::object{{"type", "string"}, {"format", "date"}});
}

Schema Enum(std::initializer_list<std::string_view> values) {
    json::array list;
    for (auto v : values) list.emplace_back(v);
    return Schema(json::object{{"type", "string"}, {"enum", std::move(list)}});
}

Schema Enum(const std::vector<std::string>& values) {
    json::array list;
    for (const auto& v : values) list.emplace_back(v);
    return Schema(json::object{{"type", "string"}, {"enum", std::move(list)}});
}

Schema Integer(std::int64_t min, std::int64_t max) {
    json::object o{{"type", "integer"}};
    if (min != INT64_MIN) o["minimum"] = min;
    if (max != INT64_MAX) o["maximum"] = max;
    return Schema(std::move(o));
}

Schema Number() {
    return Schema(json::object{{"type", "number"}});
}

Schema Boolean() {
    return Schema(json::object{{"type", "boolean"}});
}

Schema Null() {
    return Schema(json::object{{"type", "null"}});
}

Schema Ref(std::string_view component) {
    std::string ref = "#/components/schemas/";
    ref += component;
    return Schema(json::object{{"$ref", ref}});
}

Schema Array(Schema items, std::size_t max_items) {
    json::object o{{"type", "array"}, {"items", items.Json()}};
    if (max_items != 0) o["maxItems"] = max_items;
    return Schema(std::move(o));
}

Schema Object(const std::vector<Field>& fields) {
    json::object properties;
    json::array required;
    for (const auto& f : fields) {
        properties[f.name] = f.schema.Json();
        if (f.required) required.emplace_back(f.name);
    }
    json::object o{
        {"type", "object"}, {"properties", std::move(properties)}, {"additionalProperties", false}};
    if (!required.empty()) o["required"] = std::move(required);
    return Schema(std::move(o));
}

Schema Object(std::initializer_list<Field> fields) {
    return Object(std::vector<Field>(fields));
}

Schema Map(Schema values) {
    return Schema(json::object{{"type", "object"}, {"additionalProperties", values.Json()}});
}

Schema OneOf(std::initializer_list<Schema> alternatives) {
    json::array list;
    for (const auto& s : alternatives) list.push_back(s.Json());
    return Schema(json::object{{"oneOf", std::move(list)}});
}

Schema AllOf(std::initializer_list<Schema> parts) {
    json::array list;
    for (const auto& s : parts) list.push_back(s.Json());
    return Schema(json::object{{"allOf", std::move(list)}});
}

Schema Page(Schema item) {
    return Object({{"items", Array(std::move(item))},
                   {"next_cursor", String().Nullable().Describe(
                                       "pass as `cursor` to get the next page; null on the last page")}});
}

}  // namespace schema
}  // namespace nn::http
