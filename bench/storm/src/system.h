// The interface every compared system implements, and the registry that
// main() looks systems up in. A system is one source file under systems/
// that defines a map type (see StormMap in worker.h), a System subclass and
// one STORM_REGISTER_SYSTEM line; README.md "Adding a system" walks through it.
//
// Threads: the harness calls start() on the main thread, then runs each
// mutator on its own std::thread inside run_attached(); run_worker() builds
// that thread's map and hands it to Worker::run(). Phase transitions (and the
// forced collection) run on whichever mutator reaches the barrier last, so
// collect() and collect_pauses() are called on an attached mutator while the
// other mutators wait inside blocking(). heap_in_use() is called from the
// sampler thread, which is NOT attached: it must not allocate in a GC heap
// and must not wait for a safepoint.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gcmap/base/histogram.h"
#include "options.h"

namespace storm {

class Worker;
class PauseLog;

class System {
 public:
  virtual ~System() = default;

  // Once, on the main thread, before any mutator exists (GC_INIT, a runtime's
  // configuration, sanity checks).
  virtual void start(const Options&) {}

  // Runs one mutator's whole life: attach it to the system's runtime (a
  // gcmap::ThreadScope, GC_register_my_thread), call body, detach.
  virtual void run_attached(const std::function<void()>& body) { body(); }

  // Wraps a wait of an attached mutator at a phase barrier, so a collector
  // that stops the world does not wait for it (gcmap: a blocking region).
  virtual void blocking(const std::function<void()>& wait) { wait(); }

  // Creates this thread's map and calls worker.run(map) (a template
  // instantiated in the system's own file, so map calls are not virtual).
  virtual void run_worker(Worker& worker) = 0;

  // One forced full collection after AFTER; returns false if the system has
  // none (the harness then reports "forced": false).
  virtual bool collect() { return false; }

  // Appends the GC pauses that ended since the last call, each with its
  // start in CLOCK_MONOTONIC nanoseconds (gcmap::base::now_ns()) and its
  // length (from the stop request until mutators run again). Called at every
  // phase boundary.
  virtual void collect_pauses(PauseLog&) {}

  // The alternative for a runtime that keeps only a histogram of its pauses
  // (gcmap: sched::pause_stats().pauses): fill `cumulative` with every pause
  // so far and return true. The harness snapshots it at each phase boundary
  // and summarizes the differences (pause_log.h); the pause plot then has no
  // points for this system. Called where collect_pauses() is, and also on the
  // main thread (not attached) once after start() and at the run's start.
  virtual bool pause_histogram(gcmap::base::LocalHistogram& /*cumulative*/) { return false; }

  // Bytes of heap in use now (the system's own measure; say which in info()).
  virtual uint64_t heap_in_use() = 0;

  // Facts for the JSON "system_info" object: allocator in use, collector
  // settings, what heap_in_use() measures. Asked before the run and again
  // after it (the second answer is the one recorded), so counters cover the
  // run.
  virtual nlohmann::json info() { return nlohmann::json::object(); }
};

struct SystemEntry {
  std::string name;
  std::string description;
  int rank;  // position in the list (1 = gcmap erase ... 6 = Go): the run order
  std::function<std::unique_ptr<System>()> make;
};

// All systems linked into this binary, by rank.
std::vector<SystemEntry> registered_systems();
const SystemEntry* find_system(const std::string& name);

struct RegisterSystem {
  RegisterSystem(std::string name, std::string description, int rank,
                 std::function<std::unique_ptr<System>()> make);
};

}  // namespace storm

#define STORM_CONCAT_INNER(a, b) a##b
#define STORM_CONCAT(a, b) STORM_CONCAT_INNER(a, b)
// STORM_REGISTER_SYSTEM(Type, "name", "one-line description", rank)
#define STORM_REGISTER_SYSTEM(Type, name, description, rank)              \
  static ::storm::RegisterSystem STORM_CONCAT(storm_register_, __LINE__)( \
      name, description, rank,                                            \
      []() -> std::unique_ptr<::storm::System> { return std::make_unique<Type>(); })
