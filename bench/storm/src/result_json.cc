// The JSON line of one run (schema "gcmap-storm/1"; README.md documents every
// field; bench/go/report.go writes the same shape). Latencies are reported in
// nanoseconds, converted from TSC ticks with the ratio measured over the run.
#include <sys/utsname.h>

#include <cmath>
#include <fstream>
#include <string>
#include <thread>

#include "run_record.h"
#include "tick_clock.h"

namespace storm {
namespace {

using gcmap::base::LocalHistogram;
using nlohmann::json;

json histogram_json(const LocalHistogram& h, double ns_per_tick) {
  auto ns = [&](uint64_t t) {
    return static_cast<uint64_t>(std::llround(static_cast<double>(t) * ns_per_tick));
  };
  return {{"count", h.count()},
          {"p50", ns(h.percentile(0.50))},
          {"p99", ns(h.percentile(0.99))},
          {"p999", ns(h.percentile(0.999))},
          {"max", ns(h.max())},
          {"mean", std::round(h.mean() * ns_per_tick * 10) / 10}};
}

json gc_json(const PauseSummary& s) {
  return {{"count", s.count},
          {"p50_ns", s.p50_ns},
          {"p99_ns", s.p99_ns},
          {"max_ns", s.max_ns},
          {"total_ns", s.total_ns}};
}

json memory_json(const MemorySnapshot& m) {
  return {{"rss_bytes", m.rss_bytes},
          {"peak_rss_bytes", m.peak_rss_bytes},
          {"heap_bytes", m.heap_bytes}};
}

std::string hex64(uint64_t v) {
  char buf[19];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

double secs(uint64_t ns) {
  return std::round(static_cast<double>(ns) * 1e-6) / 1e3;
}  // ms resolution
double rel(uint64_t t_ns, uint64_t t0_ns) {
  return t_ns >= t0_ns ? std::round(static_cast<double>(t_ns - t0_ns) * 1e-5) / 1e4 : 0.0;
}

std::string read_first_line_with(const char* path, const std::string& prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  return "";
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

json machine_json() {
  utsname u{};
  ::uname(&u);
  std::string model = read_first_line_with("/proc/cpuinfo", "model name\t: ");
  return {{"cpus", std::thread::hardware_concurrency()},
          {"cpu_model", model},
          {"os", unquote(read_first_line_with("/etc/os-release", "PRETTY_NAME="))},
          {"kernel", u.release}};
}

json result_json(const RunRecord& r) {
  const Options& o = r.options;
  const auto& ph = *r.phases;
  const double npt = r.ns_per_tick;
  auto span_ns = [&](int p) { return r.phase_end_ns[p] - r.phase_start_ns[p]; };
  auto gc_in = [&](int p) { return gc_json(r.phase_gc[p]); };
  auto mops = [&](uint64_t ops, uint64_t ns) {
    return ns ? std::round(static_cast<double>(ops) / static_cast<double>(ns) * 1e3 * 1e4) / 1e4
              : 0.0;
  };
  auto mixed = [&](int p) {
    const PhaseStats& s = ph[p];
    LocalHistogram all;
    all.merge(s.lookup);
    all.merge(s.insert);
    all.merge(s.erase);
    return json{{"wall_s", secs(span_ns(p))},
                {"ops", s.ops()},
                {"mops", mops(s.ops(), span_ns(p))},
                {"latency_ns",
                 {{"all", histogram_json(all, npt)},
                  {"lookup", histogram_json(s.lookup, npt)},
                  {"insert", histogram_json(s.insert, npt)},
                  {"erase", histogram_json(s.erase, npt)}}},
                {"misses", {{"lookup", s.lookup_misses}, {"erase", s.erase_misses}}},
                {"gc", gc_in(p)}};
  };
  const PhaseStats& st = ph[kStorm];
  const uint64_t per_thread_erases = st.erases / o.threads;

  json phases = {
      {"load",
       {{"wall_s", secs(span_ns(kLoad))},
        {"ops", ph[kLoad].inserts},
        {"mops", mops(ph[kLoad].inserts, span_ns(kLoad))},
        {"latency_ns", {{"insert", histogram_json(ph[kLoad].insert, npt)}}},
        {"gc", gc_in(kLoad)}}},
      {"steady", mixed(kSteady)},
      {"storm",
       {{"wall_s", secs(span_ns(kStorm))},
        {"caller_s", secs(st.wall_ns)},
        {"erases", st.erases},
        {"ns_per_erase",
         per_thread_erases
             ? std::round(static_cast<double>(st.wall_ns) / per_thread_erases * 10) / 10
             : 0.0},
        {"latency_ns", {{"lookup", histogram_json(st.lookup, npt)}}},
        {"misses", {{"lookup", st.lookup_misses}, {"erase", st.erase_misses}}},
        {"gc", gc_in(kStorm)}}},
      {"after", mixed(kAfter)},
      {"collect",
       {{"wall_s", secs(span_ns(kCollect))},
        {"forced", r.forced_collection},
        {"gc", gc_in(kCollect)}}},
  };

  uint64_t inserted = 0, erased = 0, looked_up = 0, lookup_misses = 0, erase_misses = 0;
  for (const auto& s : ph) {
    inserted += s.inserts;
    erased += s.erases;
    looked_up += s.lookups;
    lookup_misses += s.lookup_misses;
    erase_misses += s.erase_misses;
  }
  const VerifyResult& w = r.work;
  const bool ok = lookup_misses == 0 && erase_misses == 0 && w.key_mismatches == 0 &&
                  w.size == w.expected_size && w.iterated == w.expected_size &&
                  w.checksum == w.expected_checksum;

  json samples = json::array();
  for (const auto& s : r.samples) {
    if (s.t_ns > r.phase_end_ns[kVerify]) break;  // the maps' teardown is not part of the run
    samples.push_back({rel(s.t_ns, r.t0_ns), s.rss_bytes, s.heap_bytes});
  }
  json pauses = json::array();
  for (const auto& e : r.pauses.events()) pauses.push_back({rel(e.start_ns, r.t0_ns), e.len_ns});
  json spans = json::array();
  for (int p = 0; p < kPhaseCount; ++p)
    spans.push_back(
        {kPhaseNames[p], rel(r.phase_start_ns[p], r.t0_ns), rel(r.phase_end_ns[p], r.t0_ns)});

  json system_info = r.system_info;
  system_info["pause_source"] = r.pause_source;
  json machine = machine_json();
  const OtherCpu other = other_cpu(r.cpu_start, r.cpu_end);
  machine["other_cpu_s"] = std::round(other.other_cpu_s * 1000) / 1000;
  machine["other_cpu_share"] = std::round(other.other_share * 10000) / 10000;
  machine["steal_s"] = std::round(other.steal_s * 1000) / 1000;

  return {
      {"schema", "gcmap-storm/1"},
      {"system", r.system},
      {"description", r.description},
      {"system_info", system_info},
      {"machine", machine},
      {"config",
       {{"n", o.n},
        {"threads", o.threads},
        {"steady_s", o.steady_s},
        {"after_s", o.after_s},
        {"steady_ops", o.steady_ops},
        {"after_ops", o.after_ops},
        {"storm_percent", o.storm_percent},
        {"lookup_every", o.lookup_every},
        {"seed", o.seed},
        {"sample_ms", o.sample_ms},
        {"quick", o.quick}}},
      {"clock", {{"op_latency", TickClock::source()}, {"ns_per_tick", npt}}},
      {"phases", phases},
      {"gc", gc_json(r.run_gc)},
      {"memory",
       {{"after_load", memory_json(r.after_load)},
        {"after_storm", memory_json(r.after_storm)},
        {"end", memory_json(r.end)}}},
      {"work",
       {{"inserted", inserted},
        {"erased", erased},
        {"looked_up", looked_up},
        {"lookup_misses", lookup_misses},
        {"erase_misses", erase_misses},
        {"key_mismatches", w.key_mismatches},
        {"final_size", w.size},
        {"iterated", w.iterated},
        {"expected_size", w.expected_size},
        {"checksum", hex64(w.checksum)},
        {"expected_checksum", hex64(w.expected_checksum)},
        {"ok", ok}}},
      {"series", {{"phases", spans}, {"samples", samples}, {"pauses", pauses}}},
  };
}

}  // namespace storm
