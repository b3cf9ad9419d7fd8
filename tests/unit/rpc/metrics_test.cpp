// MetricsText (the Prometheus text behind GET /metrics) and the process figures.
#include "rpc/metrics.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "tests/unit/rpc/exposition.hpp"

namespace tn::rpc {

using Type = MetricsText::Type;

TEST_CASE("MetricsText writes families with HELP and TYPE, labels escaped") {
  MetricsText m;
  m.gauge("treasurenet_chain_height", "Number of the committed head block.", 42);
  m.family("treasurenet_p2p_frames_total", Type::Counter, "Frames.\nBy \"direction\" \\ kind.")
      .sample(7, {{"direction", "in"}})
      .sample(18446744073709551615ull, {{"direction", "out"}});
  m.family("treasurenet_odd", Type::Gauge, "Labels that need escaping.")
      .sample(1, {{"a", "x\"y"}, {"b", "back\\slash"}, {"c", "two\nlines"}})
      .sampleSeconds(1.5, {{"a", "seconds"}});
  CHECK(m.text() ==
        "# HELP treasurenet_chain_height Number of the committed head block.\n"
        "# TYPE treasurenet_chain_height gauge\n"
        "treasurenet_chain_height 42\n"
        "# HELP treasurenet_p2p_frames_total Frames.\\nBy \"direction\" \\\\ kind.\n"
        "# TYPE treasurenet_p2p_frames_total counter\n"
        "treasurenet_p2p_frames_total{direction=\"in\"} 7\n"
        "treasurenet_p2p_frames_total{direction=\"out\"} 18446744073709551615\n"
        "# HELP treasurenet_odd Labels that need escaping.\n"
        "# TYPE treasurenet_odd gauge\n"
        "treasurenet_odd{a=\"x\\\"y\",b=\"back\\\\slash\",c=\"two\\nlines\"} 1\n"
        "treasurenet_odd{a=\"seconds\"} 1.5\n");
  const test::Exposition e = test::parseExposition(m.text());
  CHECK(e.types.at("treasurenet_p2p_frames_total") == "counter");
  CHECK(e.at("treasurenet_chain_height") == 42);
  CHECK(e.at("treasurenet_p2p_frames_total{direction=\"in\"}") == 7);
  CHECK(e.at("treasurenet_odd{a=\"seconds\"}") == 1.5);
}

TEST_CASE("MetricsText refuses what Prometheus would reject") {
  MetricsText m;
  CHECK_THROWS_AS(m.sample(1), std::logic_error);  // no family yet
  CHECK_THROWS_AS(m.gauge("", "h", 1), std::logic_error);
  CHECK_THROWS_AS(m.gauge("9lives", "h", 1), std::logic_error);
  CHECK_THROWS_AS(m.gauge("has-dash", "h", 1), std::logic_error);
  CHECK_THROWS_AS(m.gauge("has space", "h", 1), std::logic_error);
  CHECK_THROWS_AS(m.counter("treasurenet_blocks", "a counter must end in _total", 1),
                  std::logic_error);
  m.gauge("treasurenet_ok:ratio", "colons are allowed in names", 1);
  CHECK_THROWS_AS(m.gauge("treasurenet_ok:ratio", "written twice", 2), std::logic_error);
  m.family("treasurenet_labelled", Type::Gauge, "labels");
  CHECK_THROWS_AS(m.sample(1, {{"__reserved", "x"}}), std::logic_error);
  CHECK_THROWS_AS(m.sample(1, {{"with:colon", "x"}}), std::logic_error);
  CHECK_THROWS_AS(m.sample(1, {{"1st", "x"}}), std::logic_error);
  CHECK_THROWS_AS(m.sample(1, {{"", "x"}}), std::logic_error);
}

TEST_CASE("the process figures are this process's") {
  MetricsText m;
  appendProcessMetrics(m);
  const test::Exposition e = test::parseExposition(m.text());
  // A resident size between 1 MiB and 1 GiB, at least what is resident now.
  const double rss = e.at("process_resident_memory_bytes");
  CHECK(rss > 1 << 20);
  CHECK(rss < double(1ull << 30));
  // The peak is at least what was resident, up to the slack of the kernel's per-thread RSS
  // counters (folded in lazily; the two figures come from two files read at two instants): seen
  // 41 KB under by an AddressSanitizer build that was allocating on other threads.
  CHECK(e.at("treasurenet_process_peak_resident_memory_bytes") >= rss - (1 << 20));
  CHECK(e.at("process_virtual_memory_bytes") >= rss);
  // A descriptor opened here is counted.
  const double fds = e.at("process_open_fds");
  CHECK(fds >= 3);
  std::FILE* f = std::fopen("/proc/self/status", "r");
  REQUIRE(f != nullptr);
  MetricsText again;
  appendProcessMetrics(again);
  CHECK(test::parseExposition(again.text()).at("process_open_fds") == fds + 1);
  std::fclose(f);
  CHECK(e.at("process_max_fds") >= fds);
  CHECK(e.types.at("process_cpu_seconds_total") == "counter");
  CHECK(e.at("process_cpu_seconds_total") >= 0);
  // Started in the last day, not in the future (clock ticks round the start down).
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double start = e.at("process_start_time_seconds");
  CHECK(start <= now + 1);
  CHECK(start > now - 86400);
}

}  // namespace tn::rpc
