#include "core/percent_decode.hpp"

#include <boost/url/pct_string_view.hpp>

namespace nn {

std::optional<std::string> PercentDecode(std::string_view text) {
    auto checked = boost::urls::make_pct_string_view(boost::urls::string_view(text.data(), text.size()));
    if (!checked) return std::nullopt;
    return checked->decode();
}

}  // namespace nn
