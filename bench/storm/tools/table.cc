// The results as two Markdown tables on stdout: throughput and latency per
// phase, then GC pauses and memory. Latencies in microseconds, pauses in
// milliseconds, memory in MiB. Runs of the same system (and thread count)
// are grouped into one row showing the median of each figure, with the
// number of runs; so `storm.sh --repeat=5` gives medians of 5. "other CPU %"
// is the share of the machine that other processes used during the run
// (machine.other_cpu_share): a run on a busy machine shows it there.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "results.h"

namespace storm::report {
namespace {

using Getter = std::function<double(const json&)>;

double num(const json& j, const char* key) {
  return j.contains(key) ? j[key].get<double>() : 0.0;
}

// A figure from every run of a group; the median (mean of the middle two for
// an even count).
double median(const std::vector<const json*>& group, const Getter& get) {
  std::vector<double> v;
  for (const json* r : group) v.push_back(get(*r));
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string fmt(const char* f, double v) {
  char b[48];
  std::snprintf(b, sizeof b, f, v);
  return b;
}
std::string us(double ns) {
  const double v = ns / 1000.0;
  return fmt(v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
}
std::string ms(double ns) {
  const double v = ns / 1e6;
  return fmt(v < 1 ? "%.3f" : v < 100 ? "%.1f" : "%.0f", v);
}
std::string mib(double bytes) {
  return fmt("%.0f", bytes / 1048576.0);
}

Getter at(std::vector<std::string> path) {
  return [path](const json& r) {
    const json* j = &r;
    for (size_t i = 0; i + 1 < path.size(); ++i) j = &(*j)[path[i]];
    return num(*j, path.back().c_str());
  };
}

}  // namespace

int cmd_table(const std::vector<json>& runs) {
  const RunGroups groups = group_by_label(runs);
  auto lat4 = [](const std::vector<const json*>& g, const std::string& phase,
                 const std::string& kind) {
    std::string s;
    for (const char* p : {"p50", "p99", "p999", "max"})
      s += (s.empty() ? "" : " / ") + us(median(g, at({"phases", phase, "latency_ns", kind, p})));
    return s;
  };

  std::printf(
      "| system | runs | steady Mops/s | steady op µs p50 / p99 / p99.9 / max | storm s (caller) | "
      "ns/erase | storm lookup µs p99 / max | after Mops/s | after op µs p50 / p99 / p99.9 / max "
      "|\n"
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (const auto& [l, g] : groups) {
    std::printf("| %s | %zu | %s | %s | %s | %s | %s / %s | %s | %s |\n", l.c_str(), g.size(),
                fmt("%.2f", median(g, at({"phases", "steady", "mops"}))).c_str(),
                lat4(g, "steady", "all").c_str(),
                fmt("%.3f", median(g, at({"phases", "storm", "caller_s"}))).c_str(),
                fmt("%.0f", median(g, at({"phases", "storm", "ns_per_erase"}))).c_str(),
                us(median(g, at({"phases", "storm", "latency_ns", "lookup", "p99"}))).c_str(),
                us(median(g, at({"phases", "storm", "latency_ns", "lookup", "max"}))).c_str(),
                fmt("%.2f", median(g, at({"phases", "after", "mops"}))).c_str(),
                lat4(g, "after", "all").c_str());
  }
  std::printf(
      "\n| system | runs | GC pauses | pause ms p50 / p99 / max | pause total ms | forced GC s | "
      "peak RSS MiB | heap MiB after load / storm / end | RSS MiB end | load s | other CPU %% | "
      "work |\n"
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
  for (const auto& [l, g] : groups) {
    const bool forced = g.front()->at("phases").at("collect").value("forced", false);
    const bool ok = std::all_of(g.begin(), g.end(),
                                [](const json* r) { return r->at("work").value("ok", false); });
    std::printf(
        "| %s | %zu | %s | %s / %s / %s | %s | %s | %s | %s / %s / %s | %s | %s | %s | %s |\n",
        l.c_str(), g.size(), fmt("%.0f", median(g, at({"gc", "count"}))).c_str(),
        ms(median(g, at({"gc", "p50_ns"}))).c_str(), ms(median(g, at({"gc", "p99_ns"}))).c_str(),
        ms(median(g, at({"gc", "max_ns"}))).c_str(), ms(median(g, at({"gc", "total_ns"}))).c_str(),
        forced ? fmt("%.3f", median(g, at({"phases", "collect", "wall_s"}))).c_str() : "-",
        mib(median(g, at({"memory", "end", "peak_rss_bytes"}))).c_str(),
        mib(median(g, at({"memory", "after_load", "heap_bytes"}))).c_str(),
        mib(median(g, at({"memory", "after_storm", "heap_bytes"}))).c_str(),
        mib(median(g, at({"memory", "end", "heap_bytes"}))).c_str(),
        mib(median(g, at({"memory", "end", "rss_bytes"}))).c_str(),
        fmt("%.2f", median(g, at({"phases", "load", "wall_s"}))).c_str(),
        fmt("%.0f", 100 * median(g, at({"machine", "other_cpu_share"}))).c_str(),
        ok ? "ok" : "FAILED");
  }
  return 0;
}

}  // namespace storm::report
