// Prometheus text exposition (format 0.0.4) for GET /metrics: the node and the server write their
// figures into one MetricsText, family by family. Names and labels are checked here, so a typo
// fails the node's tests instead of producing a page that Prometheus rejects.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace tn::rpc {

class MetricsText {
 public:
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  enum class Type : uint8_t { Counter, Gauge };
  using Label = std::pair<std::string_view, std::string_view>;

  // Starts a family: its HELP and TYPE lines. A family is written once (std::logic_error for a
  // second one, an invalid name, or a counter whose name does not end in "_total").
  MetricsText& family(std::string_view name, Type type, std::string_view help);
  // A sample of the family begun last; labels in the order given, values escaped.
  MetricsText& sample(uint64_t value, std::initializer_list<Label> labels = {});
  MetricsText& sampleSeconds(double value, std::initializer_list<Label> labels = {});

  // A one-sample family.
  MetricsText& gauge(std::string_view name, std::string_view help, uint64_t value) {
    return family(name, Type::Gauge, help).sample(value);
  }
  MetricsText& counter(std::string_view name, std::string_view help, uint64_t value) {
    return family(name, Type::Counter, help).sample(value);
  }

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void writeSample(std::initializer_list<Label> labels);

  std::string out_;
  std::string current_;  // the family samples go to
  std::set<std::string, std::less<>> written_;
};

// The process's own figures under Prometheus' standard names (process_resident_memory_bytes,
// process_cpu_seconds_total, process_open_fds, process_max_fds, process_start_time_seconds),
// read from /proc/self; a figure that cannot be read is left out.
void appendProcessMetrics(MetricsText& out);

}  // namespace tn::rpc
