// Background work: collector work outside pauses (sweeping, concurrent
// marking) that runs in slices on the arena's workers with a CPU share
// the collector sets (Go uses 0.25). A small coordinator thread sleeps between
// slices to hold the duty cycle and enqueues slice tasks into the arena.
//
// While a slice runs, its worker counts as a running mutator: a stop waits for
// it, so a slice must return promptly once should_yield() is true. A slice
// never parks (a poll inside it returns at once) and never blocks a TBB
// worker: one that would start during a stop returns at once.
#pragma once

#include <cstdint>

namespace gcmap::sched {

class SliceContext {
 public:
  explicit SliceContext(uint64_t deadline_ns) : deadline_ns_(deadline_ns) {}
  // The slice's deadline (clock_now()) passed or a stop was requested.
  bool should_yield() const;
  uint64_t deadline_ns() const { return deadline_ns_; }

 private:
  uint64_t deadline_ns_;
};

class BackgroundJob {
 public:
  virtual ~BackgroundJob() = default;
  virtual const char* name() const = 0;
  // Work until should_yield(); return false when there is nothing left (the
  // job then idles until wake_background).
  virtual bool run_slice(SliceContext& ctx) = 0;
};

// cpu_share: share of the whole machine's CPU, in (0, 1].
void start_background(BackgroundJob* job, double cpu_share);
// Runs the job's slices again if it idles. A wake is never lost: one that
// comes while a slice is returning false (the job found nothing to do just
// before new work arrived) counts, and the job runs again.
void wake_background(BackgroundJob* job);
// Returns once no slice of the job runs and none will start.
void stop_background(BackgroundJob* job);

// Tests only: sleep this long after a slice returned false, before the job
// is marked idle, so a test can land a wake_background in that gap.
void set_idle_delay_for_testing(uint64_t ns);

}  // namespace gcmap::sched
