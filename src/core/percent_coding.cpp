#include "core/percent_coding.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace nn {

std::optional<std::string> PercentDecode(std::string_view text) {
    auto checked = boost::urls::make_pct_string_view(boost::urls::string_view(text.data(), text.size()));
    if (!checked) return std::nullopt;
    return checked->decode();
}

std::string PercentEncode(std::string_view text) {
    return boost::urls::encode(boost::urls::string_view(text.data(), text.size()),
                               boost::urls::unreserved_chars);
}

}  // namespace nn
