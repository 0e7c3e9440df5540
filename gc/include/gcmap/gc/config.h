// The collector's configuration: read once from the environment at start,
// or given in code before first use (gcmap::init), and partly adjustable at
// run time (set_gc_percent, set_memory_limit).
//
// The variables are described once, by the options table in
// gc/src/config.cc (gc::options()): reading the environment, format_config()
// and the table in gc/README.md ("Configuration") all come from it, and a
// test checks the README against it. An empty value means the same as unset;
// a malformed value is a fatal error at start that names the variable, the
// value, what is wrong and the accepted form, e.g.
//   gcmap: GCMAP_MEMORY_LIMIT="0": rounds to 0 bytes; expected a positive
//   number of bytes with an optional suffix ... or "off" for no limit
// It never falls back silently. GCMAP_GC_WORKERS above the CPUs the process
// may run on is capped to them, with a warning.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "gcmap/base/options.h"

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

  // The defaults overridden by the GCMAP_* environment variables. Exits with
  // a message naming the variable on a malformed value.
  static Config from_env();
};

// "GCMAP_GOGC=100 GCMAP_MEMORY_LIMIT=off ...": every variable's value in `c`
// (for GCMAP_GCTRACE's first line, and logs).
std::string format_config(const Config& c);

namespace gc {
// The collector's GCMAP_* variables, in the order the README lists them.
std::span<const base::Option<Config>> options();
}  // namespace gc

namespace config {

// The collector's own parsers (the shared ones are in gcmap/base/options.h):
// the value, or nullopt with "<what>; expected <form>" in *error.
std::optional<int> parse_gogc(std::string_view s, std::string* error);
std::optional<unsigned> parse_workers(std::string_view s, std::string* error);

// The number of GC workers to use when `requested` were asked for (0: one
// per CPU) and the process may run on `cpus` CPUs: more workers than CPUs
// only take turns, so the request is capped, with a warning in *warning.
unsigned effective_workers(unsigned requested, unsigned cpus, std::string* warning);

}  // namespace config
}  // namespace gcmap
