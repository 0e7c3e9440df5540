// The runtime's global state (internal): configuration, pacer state, cycle
// serialization and statistics. Created once by start_runtime().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "gcmap/base/histogram.h"
#include "gcmap/gc/config.h"
#include "mark.h"
#include "markroot.h"
#include "pacer.h"

namespace gcmap::gc::detail {

// Figures of the last completed cycle, for gctrace and stats.
struct CycleRecord {
  uint64_t number = 0;
  bool concurrent = false;
  uint64_t start_ns = 0;  // since runtime start
  uint64_t stw_ns = 0;    // full cycle: the whole stop; concurrent: the start window
  uint64_t ttsp_ns = 0;
  uint64_t mark_ns = 0;        // full: mark inside the stop; concurrent: start to end of mark
  uint64_t final_ns = 0;       // concurrent: the successful termination window
  unsigned windows = 0;        // concurrent: termination windows tried
  uint64_t assist_ns = 0;      // concurrent: time mutators spent in assists
  uint64_t background_ns = 0;  // concurrent: time background mark slices ran
  uint64_t background_slices = 0;
  uint64_t trigger = 0;  // heap_live that started the cycle
  unsigned workers = 0;
  unsigned threads = 0;      // attached mutators
  uint64_t heap_before = 0;  // heap_live when the cycle started
  uint64_t heap_after = 0;   // heap_live when marking ended
  uint64_t marked = 0;
  uint64_t goal = 0;  // the goal this cycle aimed at
  uint64_t next_goal = 0;
  bool limit_bound = false;
  bool forced = false;
  uint64_t swept_bytes = 0;  // by the sweep of the previous cycle
  uint64_t released_bytes = 0;
};

struct RuntimeState {
  Config config;
  uint64_t start_ns = 0;

  std::atomic<int> gc_percent{100};
  std::atomic<uint64_t> memory_limit{0};
  // heap_live at which the next automatic cycle starts (kNoGoal: never),
  // and the goal the cycle aims to finish under.
  std::atomic<uint64_t> trigger{kNoGoal};
  std::atomic<uint64_t> goal{kNoGoal};
  // Measured rates for the concurrent trigger (EWMA; 0 = unknown), and when
  // the last cycle ended.
  // Written under cycle_mu, read by set_gc_percent/set_memory_limit too.
  std::atomic<double> mark_rate{0};   // bytes scanned per second of concurrent mark
  std::atomic<double> alloc_rate{0};  // bytes allocated per second between cycles
  uint64_t last_cycle_end_ns = 0;
  std::atomic<uint64_t> marked_at_last_cycle{0};
  // The concurrent cycle in progress (guarded by cycle_mu).
  std::unique_ptr<MarkState> mark;
  CycleRecord current;
  std::atomic<bool> limit_bound{false};

  std::mutex cycle_mu;  // one collection at a time
  std::atomic<uint64_t> cycles{0};
  std::atomic<uint64_t> forced_cycles{0};
  base::Histogram gc_pauses;
  std::atomic<uint64_t> mark_ns_total{0};
  std::atomic<uint64_t> assist_ns{0};      // this cycle's assists (reset at cycle start)
  std::atomic<uint64_t> background_ns{0};  // this cycle's background slices
  std::atomic<uint64_t> background_slices{0};
  std::atomic<uint64_t> bytes_marked_total{0};
  std::atomic<uint64_t> gc_cpu_ns{0};
  CycleRecord last;  // guarded by cycle_mu

  // Freed/released counters at the end of the previous sweep, to report
  // what each sweep did.
  uint64_t freed_bytes_mark = 0;
  uint64_t released_bytes_mark = 0;

  std::function<void()> after_mark_hook;  // tests only; guarded by cycle_mu
  std::atomic<unsigned> mark_workers{0};  // 0: config.gc_workers, else all workers
};

// The runtime, started from the environment on first use.
RuntimeState& rt();
// Fatal in a fork() child (sched/fork.h): `what` names the operation.
void check_usable(const char* what);
// Null until started.
RuntimeState* rt_if_started();

// Recompute the trigger from the last mark (after a cycle, or when GOGC or
// the memory limit change).
void update_pacer(RuntimeState& r, uint64_t marked);

// A full stop-the-world cycle. forced: collect(); otherwise only if the heap
// still needs it once this thread gets its turn (expected_cycles is the
// count it saw when it decided).
// Collect from an allocation: wake the controller (concurrent) or run a
// full cycle now (stop-the-world mode); expected_cycles is the count the
// caller saw when it decided.
void run_cycle(bool forced, uint64_t expected_cycles, bool scan_own_stack = true);

// The sweeper's side: the free hook and the background job.
void start_sweeper();
void wake_sweeper();

// Verify mode: after marking, walk the heap from the same roots and abort
// with a path if a reachable object is unmarked.
struct MarkState;
void verify_marking(const std::vector<RootJob>& roots);

}  // namespace gcmap::gc::detail
