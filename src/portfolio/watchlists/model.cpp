#include "portfolio/watchlists/model.hpp"

namespace nn::portfolio {

std::optional<std::string> CheckAlertBounds(const std::optional<Decimal>& above,
                                            const std::optional<Decimal>& below) {
    if (above && below && !(*below < *above)) return "alert_below must be lower than alert_above";
    return std::nullopt;
}

}  // namespace nn::portfolio
