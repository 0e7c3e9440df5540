// Pause windows: budgeted work that runs while the world is stopped, in
// parallel on the workers. Other modules register WindowJobs (the collector's
// mark work, the map's batch deletes); a window stops the world, lets every
// participant step jobs that have pending work until none has or the deadline
// passes, and restarts the world. Work left over continues in the next window.
//
// Every deadline check (windows and background slices) reads clock_now(), so
// a test can install a fake clock and count steps exactly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gcmap/base/histogram.h"
#include "gcmap/sched/stw.h"

namespace gcmap::sched {

using ClockFn = uint64_t (*)();
// nullptr restores base::now_ns.
void set_clock_for_testing(ClockFn clock);
uint64_t clock_now();

class WindowContext {
 public:
  WindowContext(uint64_t deadline_ns, unsigned worker_index)
      : deadline_ns_(deadline_ns), worker_index_(worker_index) {}
  uint64_t deadline_ns() const { return deadline_ns_; }
  bool expired() const { return clock_now() >= deadline_ns_; }
  unsigned worker_index() const { return worker_index_; }  // participant, [0, num_workers())

 private:
  uint64_t deadline_ns_;
  unsigned worker_index_;
};

class WindowJob {
 public:
  virtual ~WindowJob() = default;
  virtual const char* name() const = 0;
  // Units of work left, 0 when idle. Callable from any thread; must not poll
  // or block.
  virtual size_t pending() const = 0;
  // One bounded step (aim at <= ~20 us). May run concurrently with step() of
  // the same job on other participants: the job claims its work atomically.
  // Returns false when it has nothing left. Must not stop the world.
  virtual bool step(WindowContext& ctx) = 0;
};

void register_window_job(WindowJob* job);
// Returns once no window runs this job any more. Not from inside a window.
void unregister_window_job(WindowJob* job);

struct WindowReport {
  uint64_t pause_ns = 0;   // request .. restart, as the stopper saw it (0 when no stop)
  uint64_t jobs_ns = 0;    // time the participants spent on jobs
  size_t steps = 0;        // step() calls
  bool completed = false;  // no job had pending work at the end
  size_t pending_after = 0;
};

// Stops the world and runs the registered jobs with pending work until all
// are done or the deadline (clock_now() at the request + budget) passes, then
// restarts the world. budget 0 = config().max_pause_ns. Does not stop the
// world when no job has pending work.
WindowReport run_pause_window(uint64_t budget_ns = 0);
// The same inside a stop the caller already holds (the collector applies
// batch deletes at the start of its cycle this way). deadline_ns is in
// clock_now() terms.
WindowReport run_window_jobs(const WorldStop& stop, uint64_t deadline_ns);

// Sum of pending() over the registered jobs: tells when a window is due.
size_t pending_window_work();

struct WindowStats {
  uint64_t windows;                // windows that ran jobs
  const base::Histogram& lengths;  // run_pause_window: pause_ns; run_window_jobs: jobs_ns
};
WindowStats window_stats();

}  // namespace gcmap::sched
