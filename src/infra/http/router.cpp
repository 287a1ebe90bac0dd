#include "infra/http/router.hpp"

#include <array>
#include <map>
#include <optional>
#include <stdexcept>

#include "core/percent_coding.hpp"

namespace nn::http {
namespace {

constexpr std::size_t kMethodCount = 8;

[[noreturn]] void BadPath(const char* detail) {
    throw HttpError(400, "http.bad_path", detail);
}

std::string DecodeSegment(std::string_view raw) {
    std::optional<std::string> decoded = PercentDecode(raw);
    if (!decoded) BadPath("the path holds an invalid percent-encoding");
    std::string out = std::move(*decoded);
    if (out.find('\0') != std::string::npos) BadPath("the path holds a NUL character");
    if (out == "." || out == "..") BadPath("the path holds a dot segment");
    return out;
}

// Splits "/a/b" into {"a", "b"}; "/" gives no segments. Empty segments ("//", trailing "/")
// are kept so that they match nothing.
std::vector<std::string_view> SplitPath(std::string_view path) {
    std::vector<std::string_view> segments;
    if (path.empty() || path.front() != '/') return segments;
    path.remove_prefix(1);
    if (path.empty()) return segments;
    for (;;) {
        const auto slash = path.find('/');
        segments.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return segments;
}

}  // namespace

struct Router::Node {
    std::map<std::string, std::unique_ptr<Node>, std::less<>> literals;
    std::unique_ptr<Node> param;
    std::string param_name;
    std::array<const Route*, kMethodCount> routes{};

    bool HasRoutes() const {
        for (const Route* r : routes) {
            if (r != nullptr) return true;
        }
        return false;
    }

    std::string Allow() const {
        std::string allow;
        auto add = [&](std::string_view m) {
            if (!allow.empty()) allow += ", ";
            allow += m;
        };
        for (std::size_t i = 0; i < kMethodCount; ++i) {
            const auto m = static_cast<Method>(i);
            if (routes[i] != nullptr && m != Method::kOptions) add(MethodName(m));
            if (m == Method::kGet && routes[i] != nullptr &&
                routes[static_cast<std::size_t>(Method::kHead)] == nullptr) {
                add("HEAD");
            }
        }
        add("OPTIONS");
        return allow;
    }
};

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

void Router::Add(Method method, std::string_view pattern, Handler handler, RouteOptions options) {
    if (method == Method::kOther) throw std::invalid_argument("routes need a standard method");
    if (pattern.empty() || pattern.front() != '/')
        throw std::invalid_argument("a route pattern starts with '/': " + std::string(pattern));
    if (!handler) throw std::invalid_argument("empty handler for " + std::string(pattern));
    Node* node = root_.get();
    for (std::string_view segment : SplitPath(pattern)) {
        if (segment.empty())
            throw std::invalid_argument("empty segment in route pattern " + std::string(pattern));
        if (segment.front() == '{') {
            if (segment.size() < 3 || segment.back() != '}' ||
                segment.substr(1, segment.size() - 2).find_first_of("{}") != std::string_view::npos) {
                throw std::invalid_argument("bad parameter segment in route pattern " + std::string(pattern));
            }
            const std::string name(segment.substr(1, segment.size() - 2));
            if (!node->param) {
                node->param = std::make_unique<Node>();
                node->param_name = name;
            } else if (node->param_name != name) {
                throw std::invalid_argument("route pattern " + std::string(pattern) + " names parameter '" +
                                            name + "' where another route has '" + node->param_name + "'");
            }
            node = node->param.get();
        } else {
            if (segment.find_first_of("{}") != std::string_view::npos) {
                throw std::invalid_argument("a parameter must be a whole segment: " + std::string(pattern));
            }
            auto& child = node->literals[std::string(segment)];
            if (!child) child = std::make_unique<Node>();
            node = child.get();
        }
    }
    const auto slot = static_cast<std::size_t>(method);
    if (node->routes[slot] != nullptr) {
        throw std::invalid_argument("duplicate route " + std::string(MethodName(method)) + " " +
                                    std::string(pattern));
    }
    auto route = std::make_unique<Route>(Route{
        method, std::string(pattern), options.name.empty() ? std::string(pattern) : std::move(options.name),
        std::move(handler), options.require_auth, options.max_body_bytes, options.expensive,
        std::move(options.description), std::move(options.headers), std::move(options.contract)});
    node->routes[slot] = route.get();
    routes_.push_back(std::move(route));
}

void Router::AddComponent(std::string name, Schema schema) {
    for (const auto& [existing, known] : components_) {
        if (existing != name) continue;
        if (known.Json() != schema.Json()) {
            throw std::invalid_argument("two different schemas named " + name);
        }
        return;
    }
    components_.emplace_back(std::move(name), std::move(schema));
}

void Router::Get(std::string_view pattern, Handler handler, RouteOptions options) {
    Add(Method::kGet, pattern, std::move(handler), std::move(options));
}
void Router::Post(std::string_view pattern, Handler handler, RouteOptions options) {
    Add(Method::kPost, pattern, std::move(handler), std::move(options));
}
void Router::Put(std::string_view pattern, Handler handler, RouteOptions options) {
    Add(Method::kPut, pattern, std::move(handler), std::move(options));
}
void Router::Patch(std::string_view pattern, Handler handler, RouteOptions options) {
    Add(Method::kPatch, pattern, std::move(handler), std::move(options));
}
void Router::Delete(std::string_view pattern, Handler handler, RouteOptions options) {
    Add(Method::kDelete, pattern, std::move(handler), std::move(options));
}

RouteMatch Router::Match(Method method, std::string_view path) const {
    RouteMatch match;
    const auto raw_segments = SplitPath(path);
    if (path.empty() || path.front() != '/') return match;
    std::vector<std::string> segments;
    segments.reserve(raw_segments.size());
    for (std::string_view s : raw_segments) segments.push_back(DecodeSegment(s));

    // Depth-first, literals before the parameter, so "/p/summary" beats "/p/{id}" while
    // "/p/{id}/x" still matches "/p/summary/x" when no literal route continues that way.
    std::vector<std::pair<std::string, std::string>> params;
    const Node* found = nullptr;
    auto walk = [&](auto&& self, const Node* node, std::size_t depth) -> bool {
        if (depth == segments.size()) {
            if (!node->HasRoutes()) return false;
            found = node;
            return true;
        }
        const std::string& segment = segments[depth];
        if (segment.empty()) return false;
        if (auto it = node->literals.find(segment); it != node->literals.end()) {
            if (self(self, it->second.get(), depth + 1)) return true;
        }
        if (node->param) {
            params.emplace_back(node->param_name, segment);
            if (self(self, node->param.get(), depth + 1)) return true;
            params.pop_back();
        }
        return false;
    };
    if (!walk(walk, root_.get(), 0)) return match;

    match.allow = found->Allow();
    const Route* route = found->routes[static_cast<std::size_t>(method)];
    if (route == nullptr && method == Method::kHead)
        route = found->routes[static_cast<std::size_t>(Method::kGet)];
    if (method != Method::kOther) match.route = route;
    if (match.route != nullptr) match.params = std::move(params);
    return match;
}

}  // namespace nn::http
