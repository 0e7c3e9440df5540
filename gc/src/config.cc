// Configuration: the collector's options table (every GCMAP_* variable gc
// reads, described once) and its own parsers. Reading the environment, the
// settings in force and the README's table all come from the table.
#include "gcmap/gc/config.h"

#include <algorithm>
#include <cstdio>

namespace gcmap {
namespace config {

namespace {
constexpr std::string_view kGogcForm = "an integer percent from 0 to 1000000, or \"off\"";
constexpr std::string_view kWorkersForm = "an integer number of worker threads from 1 to 1024";
}  // namespace

std::optional<int> parse_gogc(std::string_view s, std::string* error) {
  s = base::trim(s);
  if (s == "off") return -1;
  auto v = base::parse_u64(s);
  if (!v || *v > 1'000'000) {
    *error = base::explain(!v ? "not a whole number" : "too large", kGogcForm);
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

std::optional<unsigned> parse_workers(std::string_view s, std::string* error) {
  auto v = base::parse_u64(base::trim(s));
  if (!v || *v < 1 || *v > 1024) {
    *error = base::explain(!v       ? "not a whole number"
                           : *v < 1 ? "zero workers"
                                    : "too many",
                           kWorkersForm);
    return std::nullopt;
  }
  return static_cast<unsigned>(*v);
}

unsigned effective_workers(unsigned requested, unsigned cpus, std::string* warning) {
  warning->clear();
  cpus = std::max(1u, cpus);
  if (requested == 0) return cpus;
  if (requested <= cpus) return requested;
  char buf[256];
  snprintf(buf, sizeof buf,
           "gcmap: warning: %u GC workers requested (GCMAP_GC_WORKERS or Config::gc_workers), "
           "but this process may run on %u CPUs; using %u (workers beyond the CPUs would only "
           "take turns)",
           requested, cpus, cpus);
  *warning = buf;
  return cpus;
}

}  // namespace config

namespace {

std::string show_bool(bool b) {
  return b ? "1" : "0";
}

constexpr base::Option<Config> kOptions[] = {
    {"GCMAP_GOGC", "percent", "100", config::kGogcForm,
     "heap growth over the live heap before the next cycle starts; `off`: no automatic cycles",
     base::set_field<&Config::gc_percent, config::parse_gogc>,
     [](const Config& c) {
       return c.gc_percent < 0 ? std::string("off") : std::to_string(c.gc_percent);
     }},
    {"GCMAP_MEMORY_LIMIT", "bytes", "off", base::kBytesForm,
     "soft limit on the heap: cycles come sooner as it nears (0 or a value rounding to 0 is an "
     "error)",
     base::set_field<&Config::memory_limit, base::parse_bytes>,
     [](const Config& c) {
       return c.memory_limit == 0 ? std::string("off") : base::format_bytes(c.memory_limit);
     }},
    {"GCMAP_MAX_PAUSE", "duration", "500us", base::kDurationForm,
     "budget of one stop-the-world pause window",
     base::set_field<&Config::max_pause_ns, base::parse_duration_ns>,
     [](const Config& c) { return base::format_duration(c.max_pause_ns); }},
    {"GCMAP_GC_WORKERS", "integer", "CPUs", config::kWorkersForm,
     "threads that run collector work; capped to the CPUs of the affinity mask, with a warning",
     base::set_field<&Config::gc_workers, config::parse_workers>,
     [](const Config& c) {
       return c.gc_workers == 0 ? std::string("CPUs") : std::to_string(c.gc_workers);
     }},
    {"GCMAP_GCTRACE", "bool", "0", base::kBoolForm,
     "`1`: one line per cycle on stderr, like `GODEBUG=gctrace=1`",
     base::set_field<&Config::gctrace, base::parse_bool>,
     [](const Config& c) { return show_bool(c.gctrace); }},
    {"GCMAP_VERIFY", "bool", "0", base::kBoolForm,
     "`1`: check every cycle's marking against a single-threaded walk; poison freed memory",
     base::set_field<&Config::verify, base::parse_bool>,
     [](const Config& c) { return show_bool(c.verify); }},
    {"GCMAP_GC_TORTURE", "count", "0", base::kCountForm,
     "N > 0: a cycle step every N allocations (debugging); 0: off",
     base::set_field<&Config::torture_every, base::parse_count>,
     [](const Config& c) { return std::to_string(c.torture_every); }},
    {"GCMAP_GC_CONCURRENT", "bool", "1", base::kBoolForm,
     "`0`: every cycle stops the world; `1`: mark concurrently",
     base::set_field<&Config::concurrent, base::parse_bool>,
     [](const Config& c) { return show_bool(c.concurrent); }},
    {"GCMAP_GC_CPU", "fraction", "auto", base::kFractionForm,
     "share of the machine for background marking; auto: 1/4, at least one core",
     base::set_field<&Config::mark_cpu, base::parse_fraction>,
     [](const Config& c) {
       if (c.mark_cpu == 0) return std::string("auto");
       char buf[32];
       snprintf(buf, sizeof buf, "%g", c.mark_cpu);
       return std::string(buf);
     }},
};

}  // namespace

namespace gc {
std::span<const base::Option<Config>> options() {
  return kOptions;
}
}  // namespace gc

Config Config::from_env() {
  Config c;
  base::read_env(gc::options(), &c);
  return c;
}

std::string format_config(const Config& c) {
  return base::format_options(gc::options(), c);
}

}  // namespace gcmap
