// The scheduler's configuration: how many threads run collector work and how
// long one pause window may last. gc calls init() once at runtime start
// (from GCMAP_GC_WORKERS and GCMAP_MAX_PAUSE); if nobody does, the defaults
// apply on first use.
#pragma once

#include <cstdint>

namespace gcmap::sched {

struct Config {
  unsigned workers = 0;             // participants in parallel work; 0 = hardware_concurrency
  uint64_t max_pause_ns = 500'000;  // budget of one pause window
};

// Once, before any other sched call; fatal if the scheduler already started.
void init(const Config& config);
// The configuration in force, with workers resolved (never 0).
const Config& config();

}  // namespace gcmap::sched
