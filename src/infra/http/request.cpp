#include "infra/http/request.hpp"

#include <stdexcept>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "infra/http/raw_request.hpp"

namespace nn::http {
namespace bhttp = boost::beast::http;

Method MethodOf(bhttp::verb verb) noexcept {
    switch (verb) {
        case bhttp::verb::get:
            return Method::kGet;
        case bhttp::verb::head:
            return Method::kHead;
        case bhttp::verb::post:
            return Method::kPost;
        case bhttp::verb::put:
            return Method::kPut;
        case bhttp::verb::patch:
            return Method::kPatch;
        case bhttp::verb::delete_:
            return Method::kDelete;
        case bhttp::verb::options:
            return Method::kOptions;
        default:
            break;
    }
    return Method::kOther;
}

std::string_view MethodName(Method method) noexcept {
    switch (method) {
        case Method::kGet:
            return "GET";
        case Method::kHead:
            return "HEAD";
        case Method::kPost:
            return "POST";
        case Method::kPut:
            return "PUT";
        case Method::kPatch:
            return "PATCH";
        case Method::kDelete:
            return "DELETE";
        case Method::kOptions:
            return "OPTIONS";
        case Method::kOther:
            break;
    }
    return "OTHER";
}

Request::Request(Method method, std::string target, HeaderList headers, std::string body)
    : raw_(std::make_unique<RawRequest>()), method_(method) {
    auto& m = raw_->message;
    m.method_string(method == Method::kOther ? "OTHER" : MethodName(method));
    m.target(target);
    m.version(11);
    for (auto& [name, value] : headers) m.insert(name, value);
    m.body() = std::move(body);
}

Request::Request(std::unique_ptr<RawRequest> raw)
    : raw_(std::move(raw)), method_(MethodOf(raw_->message.method())) {}

Request::~Request() = default;
Request::Request(Request&&) noexcept = default;
Request& Request::operator=(Request&&) noexcept = default;

std::string_view Request::MethodToken() const {
    return raw_->message.method_string();
}

std::string_view Request::Target() const {
    return raw_->message.target();
}

std::string_view Request::Path() const {
    const std::string_view target = Target();
    return target.substr(0, target.find('?'));
}

std::string_view Request::QueryString() const {
    const std::string_view target = Target();
    const auto q = target.find('?');
    return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

bool Request::KeepAlive() const {
    return raw_->message.keep_alive();
}

std::string_view Request::Header(std::string_view name) const {
    const auto it = raw_->message.find(name);
    return it == raw_->message.end() ? std::string_view{} : std::string_view(it->value());
}

bool Request::HasHeader(std::string_view name) const {
    return raw_->message.find(name) != raw_->message.end();
}

std::size_t Request::HeaderCount(std::string_view name) const {
    return raw_->message.count(name);
}

const std::string& Request::Body() const {
    return raw_->message.body();
}

const std::string& Request::PathParam(std::string_view name) const {
    for (const auto& [k, v] : params) {
        if (k == name) return v;
    }
    throw std::out_of_range("no path parameter '" + std::string(name) + "' in route " + route);
}

const QueryParams& Request::Query() const {
    if (!query_) query_ = QueryParams::Parse(QueryString());
    return *query_;
}

}  // namespace nn::http
