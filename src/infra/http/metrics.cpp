#include "infra/http/metrics.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace nn::http {
namespace {

bool ValidName(std::string_view name) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

void AppendValue(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
    } else if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
    } else {
        char buf[64];
        const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
        out.append(buf, ec == std::errc() ? end : buf);
    }
}

}  // namespace

void AppendSample(std::string& out,
                  std::string_view name,
                  const std::vector<std::pair<std::string, std::string>>& labels,
                  double value) {
    out += name;
    if (!labels.empty()) {
        out += '{';
        bool first = true;
        for (const auto& [k, v] : labels) {
            if (!first) out += ',';
            first = false;
            out += k;
            out += "=\"";
            for (char c : v) {
                if (c == '\\') {
                    out += "\\\\";
                } else if (c == '"') {
                    out += "\\\"";
                } else if (c == '\n') {
                    out += "\\n";
                } else {
                    out += c;
                }
            }
            out += '"';
        }
        out += '}';
    }
    out += ' ';
    AppendValue(out, value);
    out += '\n';
}

void MetricsRegistry::AddGauge(std::string name, std::string help, std::function<double()> read) {
    AddFamily(std::move(name), std::move(help), MetricType::kGauge, [read = std::move(read)] {
        return std::vector<MetricSample>{MetricSample{{}, read()}};
    });
}

void MetricsRegistry::AddCounter(std::string name, std::string help, std::function<double()> read) {
    AddFamily(std::move(name), std::move(help), MetricType::kCounter, [read = std::move(read)] {
        return std::vector<MetricSample>{MetricSample{{}, read()}};
    });
}

void MetricsRegistry::AddFamily(std::string name,
                                std::string help,
                                MetricType type,
                                std::function<std::vector<MetricSample>()> collect) {
    if (!ValidName(name)) throw std::invalid_argument("invalid metric name '" + name + "'");
    if (!collect) throw std::invalid_argument("metric '" + name + "' has no callback");
    std::lock_guard lock(mutex_);
    for (const auto& f : families_) {
        if (f.name == name) throw std::invalid_argument("metric '" + name + "' is registered twice");
    }
    families_.push_back(Family{std::move(name), std::move(help), type, std::move(collect)});
}

std::string MetricsRegistry::Render() const {
    std::string out;
    std::lock_guard lock(mutex_);
    for (const auto& f : families_) {
        out += "# HELP ";
        out += f.name;
        out += ' ';
        for (char c : f.help) out += c == '\n' ? ' ' : c;
        out += "\n# TYPE ";
        out += f.name;
        out += f.type == MetricType::kCounter ? " counter\n" : " gauge\n";
        for (const auto& sample : f.collect()) AppendSample(out, f.name, sample.labels, sample.value);
    }
    return out;
}

}  // namespace nn::http
