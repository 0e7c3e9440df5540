// map/'s own settings (the deferred erases' staleness target): read once
// from the environment on first use, or given in code before it
// (gcmap::map::init). Described once by the options table
// (gcmap::map::options(), map/src/config.cc), from which the environment is
// read and map/README.md's table is checked.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "gcmap/base/options.h"

namespace gcmap::map {

struct Config {
  // How old a deferred erase may grow before the scheduler applies it in a
  // window (GCMAP_DEFERRED_STALENESS).
  uint64_t deferred_staleness_ns = 100'000'000;

  // The defaults overridden by the environment; fatal on a malformed value.
  static Config from_env();
};

// Once, before the first deferred erase of the process; fatal after it (the
// scheduler has read the settings by then).
void init(const Config& config);
// The settings in force (from the environment unless init() gave them).
const Config& current_config();
// map's GCMAP_* variables, in the order map/README.md lists them.
std::span<const base::Option<Config>> options();
// "GCMAP_DEFERRED_STALENESS=100ms".
std::string format_config(const Config& c);

}  // namespace gcmap::map
