#include "infra/http/schema_validator.hpp"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <map>
#include <mutex>
#include <regex>
#include <string_view>

namespace nn::http {
namespace json = boost::json;

namespace {

// Compiled patterns, shared by every validation (the schemas are few and fixed).
const std::regex& Compiled(const std::string& pattern) {
    static std::mutex mutex;
    static std::map<std::string, std::regex> cache;
    std::lock_guard lock(mutex);
    auto it = cache.find(pattern);
    if (it == cache.end()) it = cache.emplace(pattern, std::regex(pattern, std::regex::ECMAScript)).first;
    return it->second;
}

std::size_t CodePoints(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

bool IsInteger(const json::value& v) {
    if (v.is_int64() || v.is_uint64()) return true;
    if (!v.is_double()) return false;
    double d = v.as_double();
    return d == static_cast<double>(static_cast<long long>(d));
}

double AsNumber(const json::value& v) {
    if (v.is_int64()) return static_cast<double>(v.as_int64());
    if (v.is_uint64()) return static_cast<double>(v.as_uint64());
    return v.as_double();
}

bool HasType(const json::value& v, std::string_view type) {
    if (type == "string") return v.is_string();
    if (type == "integer") return IsInteger(v);
    if (type == "number") return v.is_number();
    if (type == "boolean") return v.is_bool();
    if (type == "null") return v.is_null();
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    return false;
}

bool Equal(const json::value& a, const json::value& b) {
    if (a.is_number() && b.is_number()) return AsNumber(a) == AsNumber(b);
    return a == b;
}

bool ValidDate(std::string_view s) {
    static const std::regex re(R"(^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$)");
    return std::regex_match(s.begin(), s.end(), re);
}

bool ValidDateTime(std::string_view s) {
    static const std::regex re(
        R"(^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$)");
    return std::regex_match(s.begin(), s.end(), re);
}

bool ValidUuid(std::string_view s) {
    static const std::regex re(
        R"(^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$)");
    return std::regex_match(s.begin(), s.end(), re);
}

// Deeper than this, a schema is taken for a $ref cycle.
constexpr int kMaxSchemaDepth = 64;

class Validator {
public:
    explicit Validator(const json::object& root) : root_(root) {}

    void Check(const json::value& schema, const json::value& v, const std::string& path, int depth = 0) {
        if (depth > kMaxSchemaDepth) {
            Fail(path, "schema nesting too deep (a $ref cycle?)");
            return;
        }
        if (!schema.is_object()) {
            if (schema.is_bool()) {
                if (!schema.as_bool()) Fail(path, "no value is allowed here");
                return;
            }
            Fail(path, "the schema is not an object");
            return;
        }
        const auto& s = schema.as_object();
        for (const auto& [key, arg] : s) Keyword(s, key, arg, v, path, depth);
    }

    std::vector<std::string> TakeErrors() { return std::move(errors_); }

private:
    // One keyword `k` (with its argument) of the schema object `s`, applied to `v`.
    void Keyword(const json::object& s,
                 std::string_view k,
                 const json::value& arg,
                 const json::value& v,
                 const std::string& path,
                 int depth) {
        if (k == "$ref") {
            Ref(arg, v, path, depth);
        } else if (k == "type") {
            Type(arg, v, path);
        } else if (k == "enum") {
            bool found = false;
            for (const auto& e : arg.as_array()) found = found || Equal(e, v);
            if (!found) Fail(path, fmt::format("{} is not one of {}", Show(v), json::serialize(arg)));
        } else if (k == "const") {
            if (!Equal(arg, v)) Fail(path, fmt::format("{} is not {}", Show(v), json::serialize(arg)));
        } else if (k == "properties" || k == "required" || k == "additionalProperties") {
            if (v.is_object()) ObjectKeyword(s, k, arg, v.as_object(), path, depth);
        } else if (k == "items" || k == "minItems" || k == "maxItems") {
            if (v.is_array()) ArrayKeyword(k, arg, v.as_array(), path, depth);
        } else if (k == "minLength" || k == "maxLength" || k == "pattern" || k == "format") {
            if (v.is_string()) StringKeyword(k, arg, v, path);
        } else if (k == "minimum" || k == "maximum") {
            if (!v.is_number()) return;
            const double n = AsNumber(v);
            const double limit = AsNumber(arg);
            if (k == "minimum" ? n < limit : n > limit)
                Fail(path, fmt::format("{} is beyond {} {}", Show(v), k, Show(arg)));
        } else if (k == "anyOf" || k == "oneOf") {
            Alternatives(k, arg, v, path, depth);
        } else if (k == "allOf") {
            for (const auto& part : arg.as_array()) Check(part, v, path, depth + 1);
        } else if (k == "description" || k == "examples" || k == "title" || k == "default" ||
                   k == "deprecated" || k == "readOnly" || k == "writeOnly") {
            // annotations
        } else {
            Fail(path, fmt::format("the schema uses the unsupported keyword \"{}\"", k));
        }
    }

    // properties, required, additionalProperties (`s` is the schema: additionalProperties
    // reads its properties).
    void ObjectKeyword(const json::object& s,
                       std::string_view k,
                       const json::value& arg,
                       const json::object& v,
                       const std::string& path,
                       int depth) {
        if (k == "properties") {
            for (const auto& [name, sub] : arg.as_object()) {
                if (auto it = v.find(name); it != v.end()) {
                    Check(sub, it->value(), path + "/" + std::string(name), depth + 1);
                }
            }
        } else if (k == "required") {
            for (const auto& name : arg.as_array()) {
                if (!v.contains(name.as_string())) {
                    Fail(path, fmt::format("the required field \"{}\" is missing",
                                           std::string_view(name.as_string())));
                }
            }
        } else {
            const json::object* props = nullptr;
            if (auto it = s.find("properties"); it != s.end()) props = &it->value().as_object();
            for (const auto& [name, value] : v) {
                if (props && props->contains(name)) continue;
                const std::string sub = path + "/" + std::string(name);
                if (arg.is_bool()) {
                    if (!arg.as_bool()) Fail(sub, "a field the schema does not list");
                } else {
                    Check(arg, value, sub, depth + 1);
                }
            }
        }
    }

    // items, minItems, maxItems.
    void ArrayKeyword(std::string_view k,
                      const json::value& arg,
                      const json::array& v,
                      const std::string& path,
                      int depth) {
        if (k == "items") {
            std::size_t i = 0;
            for (const auto& item : v) Check(arg, item, path + "/" + std::to_string(i++), depth + 1);
            return;
        }
        const auto n = v.size();
        const auto limit = static_cast<std::size_t>(AsNumber(arg));
        if (k == "minItems" ? n < limit : n > limit) Fail(path, fmt::format("{} items, {} {}", n, k, limit));
    }

    // minLength, maxLength, pattern, format.
    void StringKeyword(std::string_view k,
                       const json::value& arg,
                       const json::value& v,
                       const std::string& path) {
        if (k == "minLength" || k == "maxLength") {
            const auto n = CodePoints(v.as_string());
            const auto limit = static_cast<std::size_t>(AsNumber(arg));
            if (k == "minLength" ? n < limit : n > limit) {
                Fail(path, fmt::format("{} characters, {} {}", n, k, limit));
            }
        } else if (k == "pattern") {
            const std::string text(v.as_string());
            if (!std::regex_search(text, Compiled(std::string(arg.as_string())))) {
                Fail(path, fmt::format("{} does not match {}", Show(v), std::string_view(arg.as_string())));
            }
        } else {
            const std::string_view f = arg.as_string();
            const std::string_view text = v.as_string();
            bool ok = true;
            if (f == "uuid") {
                ok = ValidUuid(text);
            } else if (f == "date-time") {
                ok = ValidDateTime(text);
            } else if (f == "date") {
                ok = ValidDate(text);
            } else {
                Fail(path, fmt::format("the schema uses the unsupported format \"{}\"", f));
                return;
            }
            if (!ok) Fail(path, fmt::format("{} is not a valid {}", Show(v), f));
        }
    }

    // anyOf, oneOf: each alternative is checked on its own.
    void Alternatives(std::string_view k,
                      const json::value& arg,
                      const json::value& v,
                      const std::string& path,
                      int depth) {
        std::size_t passed = 0;
        std::vector<std::string> why;
        for (const auto& alternative : arg.as_array()) {
            Validator sub(root_);
            sub.Check(alternative, v, path, depth + 1);
            if (sub.errors_.empty()) {
                ++passed;
            } else {
                why.push_back(sub.errors_.front());
            }
        }
        if (passed == 0) {
            std::string detail;
            for (const auto& w : why) detail += (detail.empty() ? "" : "; ") + w;
            Fail(path, fmt::format("matches none of the {} alternatives ({})", k, detail));
        } else if (k == "oneOf" && passed > 1) {
            Fail(path, fmt::format("matches {} of the oneOf alternatives, not exactly one", passed));
        }
    }

    static std::string Show(const json::value& v) {
        auto text = json::serialize(v);
        if (text.size() > 80) text = text.substr(0, 77) + "...";
        return text;
    }

    void Fail(const std::string& path, std::string message) {
        errors_.push_back((path.empty() ? "/" : path) + ": " + message);
    }

    void Type(const json::value& arg, const json::value& v, const std::string& path) {
        if (arg.is_string()) {
            if (!HasType(v, arg.as_string()))
                Fail(path, fmt::format("{} is not of type {}", Show(v), std::string_view(arg.as_string())));
            return;
        }
        for (const auto& t : arg.as_array()) {
            if (HasType(v, t.as_string())) return;
        }
        Fail(path, fmt::format("{} is not of type {}", Show(v), json::serialize(arg)));
    }

    void Ref(const json::value& arg, const json::value& v, const std::string& path, int depth) {
        const std::string_view ref = arg.as_string();
        if (!ref.starts_with("#/")) {
            Fail(path, fmt::format("only local $ref are supported: {}", ref));
            return;
        }
        const json::value* at = nullptr;
        const json::object* obj = &root_;
        std::string_view rest = ref.substr(2);
        while (true) {
            auto slash = rest.find('/');
            auto token = rest.substr(0, slash);
            if (obj == nullptr) break;
            auto it = obj->find(token);
            if (it == obj->end()) {
                at = nullptr;
                break;
            }
            at = &it->value();
            if (slash == std::string_view::npos) break;
            rest.remove_prefix(slash + 1);
            obj = at->if_object();
            at = nullptr;
        }
        if (at == nullptr) {
            Fail(path, fmt::format("$ref {} does not resolve", ref));
            return;
        }
        Check(*at, v, path, depth + 1);
    }

    const json::object& root_;
    std::vector<std::string> errors_;
};

}  // namespace

std::vector<std::string> ValidateSchema(const json::value& schema,
                                        const json::value& instance,
                                        const json::object& root) {
    Validator v(root);
    v.Check(schema, instance, "");
    return v.TakeErrors();
}

}  // namespace nn::http
