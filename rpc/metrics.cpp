#include "rpc/metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tn::rpc {

namespace {

bool validName(std::string_view name, bool allowColon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(letter || (allowColon && c == ':') || (i > 0 && digit))) return false;
  }
  return true;
}

// HELP text escapes backslash and newline; label values also the double quote.
void appendEscaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (quote && c == '"')
      out += "\\\"";
    else
      out += c;
  }
}

template <class T>
void appendNumber(std::string& out, T value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) throw std::logic_error("metrics: number does not format");
  out.append(buf, end);
}

}  // namespace

MetricsText& MetricsText::family(std::string_view name, Type type, std::string_view help) {
  if (!validName(name, true)) throw std::logic_error("metrics: invalid name " + std::string(name));
  if (type == Type::Counter && !name.ends_with("_total"))
    throw std::logic_error("metrics: counter name must end in _total: " + std::string(name));
  if (!written_.emplace(name).second)
    throw std::logic_error("metrics: family written twice: " + std::string(name));
  current_ = name;
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  appendEscaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += type == Type::Counter ? " counter\n" : " gauge\n";
  return *this;
}

void MetricsText::writeSample(std::initializer_list<Label> labels) {
  if (current_.empty()) throw std::logic_error("metrics: sample before any family");
  out_ += current_;
  if (labels.size() != 0) {
    out_ += '{';
    bool first = true;
    for (const auto& [key, value] : labels) {
      if (!validName(key, false) || key.starts_with("__"))
        throw std::logic_error("metrics: invalid label name " + std::string(key));
      if (!first) out_ += ',';
      first = false;
      out_ += key;
      out_ += "=\"";
      appendEscaped(out_, value, true);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
}

MetricsText& MetricsText::sample(uint64_t value, std::initializer_list<Label> labels) {
  writeSample(labels);
  appendNumber(out_, value);
  out_ += '\n';
  return *this;
}

MetricsText& MetricsText::sampleSeconds(double value, std::initializer_list<Label> labels) {
  writeSample(labels);
  appendNumber(out_, value);
  out_ += '\n';
  return *this;
}

void appendProcessMetrics(MetricsText& out) {
  const long ticks = sysconf(_SC_CLK_TCK);
  const long pageSize = sysconf(_SC_PAGESIZE);
  std::ifstream statFile("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(statFile)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may hold spaces: field 3 (state)
  // first, so utime (14) is fields[11], stime [12], starttime [19], vsize [20], rss [21].
  std::vector<std::string> fields;
  if (auto close = stat.rfind(')'); close != std::string::npos) {
    std::istringstream rest(stat.substr(close + 1));
    for (std::string f; rest >> f;) fields.push_back(std::move(f));
  }
  auto field = [&](std::size_t i) -> std::optional<uint64_t> {
    if (i >= fields.size()) return std::nullopt;
    uint64_t v = 0;
    const std::string& f = fields[i];
    auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    if (ec != std::errc() || end != f.data() + f.size()) return std::nullopt;
    return v;
  };
  if (ticks > 0)
    if (auto user = field(11), system = field(12); user && system)
      out.family("process_cpu_seconds_total", MetricsText::Type::Counter,
                 "User and system CPU time spent, in seconds.")
          .sampleSeconds(double(*user + *system) / double(ticks));
  if (auto rss = field(21); rss && pageSize > 0)
    out.gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
              *rss * uint64_t(pageSize));
  if (auto vsize = field(20))
    out.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", *vsize);

  // The peak resident size (VmHWM): what docs/PERFORMANCE.md's RSS figures are.
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (!line.starts_with("VmHWM:")) continue;
    std::istringstream in(line.substr(6));
    uint64_t kib = 0;
    if (in >> kib)
      out.gauge("treasurenet_process_peak_resident_memory_bytes",
                "Peak resident memory size (VmHWM) in bytes.", kib * 1024);
    break;
  }

  std::error_code ec;
  uint64_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++fds;
  if (!ec) out.gauge("process_open_fds", "Number of open file descriptors.", fds);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    out.gauge("process_max_fds", "Maximum number of open file descriptors.",
              uint64_t(limit.rlim_cur));

  // Start time = boot time (btime in /proc/stat) + starttime ticks after boot.
  std::ifstream procStat("/proc/stat");
  for (std::string line; std::getline(procStat, line);) {
    if (!line.starts_with("btime ")) continue;
    uint64_t boot = 0;
    std::istringstream in(line.substr(6));
    if (in >> boot && ticks > 0)
      if (auto start = field(19))
        out.family("process_start_time_seconds", MetricsText::Type::Gauge,
                   "Start time of the process since the Unix epoch, in seconds.")
            .sampleSeconds(double(boot) + double(*start) / double(ticks));
    break;
  }
}

}  // namespace tn::rpc
