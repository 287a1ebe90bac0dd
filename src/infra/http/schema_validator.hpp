#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace nn::http {

// Validates `instance` against a JSON Schema of the subset schema.hpp writes: type (one or a
// list), enum, const, properties, required, additionalProperties (false or a schema), items,
// minItems/maxItems, minLength/maxLength (in code points), pattern (ECMAScript, unanchored as
// JSON Schema says), minimum/maximum, format uuid / date-time / date, $ref (a JSON pointer into
// `root`, "#/components/schemas/X"), anyOf, oneOf, allOf. Annotations (description, examples,
// title, default, deprecated, readOnly, writeOnly) are ignored; any other keyword is an error,
// so a schema cannot silently promise a check this validator does not make.
//
// Returns one line per problem ("/items/0/price: does not match ^-?[0-9]+..."); empty: valid.
std::vector<std::string> ValidateSchema(const boost::json::value& schema,
                                        const boost::json::value& instance,
                                        const boost::json::object& root);

}  // namespace nn::http
