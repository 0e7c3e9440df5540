// The results as two Markdown tables on stdout: throughput and latency per
// phase, then GC pauses and memory. Latencies in microseconds, pauses in
// milliseconds, memory in MiB.
#include <cstdio>
#include <string>

#include "results.h"

namespace storm::report {
namespace {

double num(const json& j, const char* key) {
  return j.contains(key) ? j[key].get<double>() : 0.0;
}

std::string us(double ns) {
  char b[32];
  const double v = ns / 1000.0;
  std::snprintf(b, sizeof b, v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
  return b;
}
std::string ms(double ns) {
  char b[32];
  const double v = ns / 1e6;
  std::snprintf(b, sizeof b, v < 1 ? "%.3f" : v < 100 ? "%.1f" : "%.0f", v);
  return b;
}
std::string mib(double bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.0f", bytes / 1048576.0);
  return b;
}
std::string fixed(double v, int digits) {
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", digits, v);
  return b;
}
std::string lat4(const json& h) {
  return us(num(h, "p50")) + " / " + us(num(h, "p99")) + " / " + us(num(h, "p999")) + " / " +
         us(num(h, "max"));
}

}  // namespace

int cmd_table(const std::vector<json>& runs) {
  std::printf(
      "| system | steady Mops/s | steady op µs p50 / p99 / p99.9 / max | storm s (caller) | "
      "ns/erase "
      "| storm lookup µs p99 / max | after Mops/s | after op µs p50 / p99 / p99.9 / max |\n"
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (const auto& r : runs) {
    const json& p = r["phases"];
    const json& sl = p["storm"]["latency_ns"]["lookup"];
    std::printf("| %s | %s | %s | %s | %s | %s / %s | %s | %s |\n", label(r).c_str(),
                fixed(num(p["steady"], "mops"), 2).c_str(),
                lat4(p["steady"]["latency_ns"]["all"]).c_str(),
                fixed(num(p["storm"], "caller_s"), 3).c_str(),
                fixed(num(p["storm"], "ns_per_erase"), 0).c_str(), us(num(sl, "p99")).c_str(),
                us(num(sl, "max")).c_str(), fixed(num(p["after"], "mops"), 2).c_str(),
                lat4(p["after"]["latency_ns"]["all"]).c_str());
  }
  std::printf(
      "\n| system | GC pauses | pause ms p50 / p99 / max | pause total ms | forced GC s | peak RSS "
      "MiB "
      "| heap MiB after load / storm / end | RSS MiB end | load s | work |\n"
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
  for (const auto& r : runs) {
    const json& g = r["gc"];
    const json& m = r["memory"];
    const json& c = r["phases"]["collect"];
    std::printf("| %s | %.0f | %s / %s / %s | %s | %s | %s | %s / %s / %s | %s | %s | %s |\n",
                label(r).c_str(), num(g, "count"), ms(num(g, "p50_ns")).c_str(),
                ms(num(g, "p99_ns")).c_str(), ms(num(g, "max_ns")).c_str(),
                ms(num(g, "total_ns")).c_str(),
                c.value("forced", false) ? fixed(num(c, "wall_s"), 3).c_str() : "-",
                mib(num(m["end"], "peak_rss_bytes")).c_str(),
                mib(num(m["after_load"], "heap_bytes")).c_str(),
                mib(num(m["after_storm"], "heap_bytes")).c_str(),
                mib(num(m["end"], "heap_bytes")).c_str(), mib(num(m["end"], "rss_bytes")).c_str(),
                fixed(num(r["phases"]["load"], "wall_s"), 2).c_str(),
                r["work"].value("ok", false) ? "ok" : "FAILED");
  }
  return 0;
}

}  // namespace storm::report
