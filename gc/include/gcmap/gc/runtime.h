// The runtime: attaching threads, collecting, statistics and run-time knobs.
//
// The runtime is a lazily initialized global: the first ThreadScope, make<T>
// from an attached thread, Root or collect() starts it, reading the
// environment (Config::from_env). gcmap::init(config) starts it explicitly
// with a given configuration and must come before any other use. Starting it
// creates the TBB arena of collector workers and the background sweeper.
#pragma once

#include <cstdint>

#include "gcmap/gc/config.h"
#include "gcmap/sched/mutator.h"

namespace gcmap {

// Every thread that touches the GC heap attaches for its lifetime (RAII;
// nestable). The collector stops attached threads at safepoints and scans
// their stacks. A thread about to block for long (I/O, a lock) should open a
// gcmap::BlockingRegion (sched/) so that collections need not wait for it.
// A thread that ends with its scope never destroyed is detached at exit,
// with a warning. In a fork() child the heap may not be used until exec
// (sched/README.md, "Thread lifecycle").
class ThreadScope {
 public:
  ThreadScope() = default;
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  struct Start {
    Start();  // starts the runtime, so its hooks see this thread attach
  };
  Start start_;
  sched::MutatorScope scope_;
};

// Start the runtime with this configuration (before first use), instead of
// the environment. A second call, or one after first use, is a fatal error.
void init(const Config& config);
bool initialized();
const Config& current_config();

// A full collection now, stop-the-world, and the sweep that follows: when it
// returns, every object unreachable when it started has been destroyed.
void collect();

// The same guarantee without a long pause, as Go's runtime.GC(): the caller
// waits while a concurrent cycle runs (finishing the one in progress first,
// then a fresh one) and the sweep after it; other threads keep running and
// every pause stays within GCMAP_MAX_PAUSE.
void collect_concurrent();

// GOGC: heap growth percent before the next cycle; < 0 turns automatic
// cycles off (unless a memory limit is set). Returns the previous value.
int set_gc_percent(int percent);
// Soft memory limit in bytes (0: none). Returns the previous value.
uint64_t set_memory_limit(uint64_t bytes);

// heap_live / heap goal, a cheap read for schedulers (0 with no goal):
// above 1 the heap has passed the point where the next cycle should have
// ended.
double heap_pressure();

struct PauseSummary {
  uint64_t count = 0;
  uint64_t p50_ns = 0;
  uint64_t p99_ns = 0;
  uint64_t max_ns = 0;
  uint64_t total_ns = 0;
};

struct Stats {
  uint64_t cycles = 0;         // completed collections
  uint64_t forced_cycles = 0;  // of which collect()
  PauseSummary pauses;         // every stop-the-world pause (GC and windows)
  PauseSummary gc_pauses;      // pauses of collection cycles only
  PauseSummary time_to_safepoint;
  uint64_t heap_live = 0;       // bytes live or allocated since the last mark
  uint64_t heap_marked = 0;     // bytes marked by the last cycle (the live heap)
  uint64_t heap_goal = 0;       // heap_live at which the next cycle starts
  uint64_t heap_in_use = 0;     // bytes of spans held from jemalloc
  uint64_t heap_released = 0;   // cumulative bytes of spans given back to jemalloc
  uint64_t metadata_bytes = 0;  // span metadata and page map
  uint64_t bytes_marked_total = 0;
  uint64_t mark_ns_total = 0;       // wall time of marking, summed over cycles
  double mark_throughput_mb_s = 0;  // bytes_marked_total / mark_ns_total
  uint64_t objects_freed = 0;
  uint64_t bytes_freed = 0;
  double gc_cpu_fraction = 0;  // collector CPU time / (wall time since start x cores)
  uint64_t roots = 0;          // Root and RootProvider nodes in use
};

Stats stats();

}  // namespace gcmap
