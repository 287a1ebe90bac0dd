#pragma once

// Private to nn_http: the Beast message behind a Request. Only .cpp files of this folder
// include it, so Beast stays out of the public headers.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include "infra/http/request.hpp"

namespace nn::http {

struct RawRequest {
    boost::beast::http::request<boost::beast::http::string_body> message;
};

// The method a verb names; kOther for the verbs the router does not route.
Method MethodOf(boost::beast::http::verb verb) noexcept;

}  // namespace nn::http
