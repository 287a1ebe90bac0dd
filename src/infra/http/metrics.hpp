#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nn::http {

enum class MetricType { kCounter, kGauge };

struct MetricSample {
    std::vector<std::pair<std::string, std::string>> labels;
    double value = 0;
};

// Figures other parts publish on GET /metrics (pool sizes, cache hits, job runs). Each family
// is read through its callback when /metrics is scraped, on whichever shard serves the scrape,
// so callbacks must be thread-safe (atomics) and cheap. Registration is thread-safe at any time.
class MetricsRegistry {
public:
    // Throws std::invalid_argument on a name that is not [a-zA-Z_:][a-zA-Z0-9_:]* or is taken.
    void AddGauge(std::string name, std::string help, std::function<double()> read);
    void AddCounter(std::string name, std::string help, std::function<double()> read);
    void AddFamily(std::string name,
                   std::string help,
                   MetricType type,
                   std::function<std::vector<MetricSample>()> collect);

    // Prometheus text exposition format 0.0.4 of every registered family.
    std::string Render() const;

private:
    struct Family {
        std::string name;
        std::string help;
        MetricType type;
        std::function<std::vector<MetricSample>()> collect;
    };
    mutable std::mutex mutex_;
    std::vector<Family> families_;
};

// Appends one sample line: name{k="v",...} value, escaping label values.
void AppendSample(std::string& out,
                  std::string_view name,
                  const std::vector<std::pair<std::string, std::string>>& labels,
                  double value);

}  // namespace nn::http
