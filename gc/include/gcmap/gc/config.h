// The collector's configuration: read once from the environment at start,
// or given in code before first use (gcmap::init), and partly adjustable at
// run time (set_gc_percent, set_memory_limit).
//
// | variable            | form                                              | default  |
// | GCMAP_GOGC          | integer percent >= 0, or "off"                     | 100      |
// | GCMAP_MEMORY_LIMIT  | bytes > 0, optional suffix B KiB MiB GiB TiB, or   | off      |
// |                     | "off" (0 or a value rounding to 0 is an error)     |          |
// | GCMAP_MAX_PAUSE     | duration: number with ns, us, µs, ms or s          | 500us    |
// | GCMAP_GC_WORKERS    | integer >= 1                                       | cores    |
// | GCMAP_GCTRACE       | 0 or 1                                             | 0        |
// | GCMAP_VERIFY        | 0 or 1                                             | 0        |
// | GCMAP_GC_TORTURE    | integer N >= 0: start a cycle every N allocations  | 0 (off)  |
// | GCMAP_GC_CONCURRENT | 0 (every cycle stop-the-world) or 1               | 1        |
// | GCMAP_GC_CPU        | fraction of the machine's CPU for background       | auto     |
// |                     | marking, in (0, 1]; auto: 1/4, at least one core   |          |
// | GCMAP_DEFERRED_STALENESS | target age of a deferred erase when it is     | 100ms    |
// |                     | applied (a duration, like GCMAP_MAX_PAUSE)         |          |
//
// An empty value means the same as unset: the default. A malformed value is
// a fatal error at start that names the variable, the value, what is wrong
// and the accepted form, e.g.
//   gcmap: GCMAP_MEMORY_LIMIT="0": rounds to 0 bytes; expected a positive
//   number of bytes with an optional suffix ... or "off" for no limit
// It never falls back silently. GCMAP_GC_WORKERS above the CPUs the process
// may run on is capped to them, with a warning.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gcmap {

struct Config {
  int gc_percent = 100;       // < 0: automatic cycles off (GOGC=off)
  uint64_t memory_limit = 0;  // bytes; 0: no limit
  uint64_t max_pause_ns = 500'000;
  unsigned gc_workers = 0;  // 0: one per core
  bool gctrace = false;
  bool verify = false;
  uint64_t torture_every = 0;  // 0: off
  bool concurrent = true;      // mark concurrently (false: whole cycles stop the world)
  double mark_cpu = 0;         // background marking share of the CPU; 0: auto
  uint64_t deferred_staleness_ns = 100'000'000;  // map/: erase_deferred's staleness target

  // The defaults overridden by the GCMAP_* environment variables. Exits with
  // a message naming the variable on a malformed value.
  static Config from_env();
};

namespace config {

// Each parser returns the value, or nullopt and the accepted form in *error.
std::optional<int> parse_gogc(std::string_view s, std::string* error);
std::optional<uint64_t> parse_bytes(std::string_view s, std::string* error);
std::optional<uint64_t> parse_duration_ns(std::string_view s, std::string* error);
std::optional<unsigned> parse_workers(std::string_view s, std::string* error);
std::optional<bool> parse_bool(std::string_view s, std::string* error);
std::optional<uint64_t> parse_count(std::string_view s, std::string* error);
std::optional<double> parse_fraction(std::string_view s, std::string* error);

// The number of GC workers to use when `requested` were asked for (0: one
// per CPU) and the process may run on `cpus` CPUs: more workers than CPUs
// only take turns, so the request is capped, with a warning in *warning.
unsigned effective_workers(unsigned requested, unsigned cpus, std::string* warning);

// "512 KiB", "1.5 GiB": for messages.
std::string format_bytes(uint64_t bytes);

}  // namespace config
}  // namespace gcmap
