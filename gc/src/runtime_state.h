// The runtime's global state (runtime.cc, internal): configuration, pacer
// state, cycle serialization and statistics. Created once, from the
// environment or from init(), by the first rt() call.
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

// Who writes what, and how the others read it (as Go's gcControllerState
// documents its fields). "cycle_mu" means: written only by the thread that
// holds cycle_mu (a cycle's begin_cycle_record / finish_mark / end_cycle, or
// an API call that takes it); fields also read without the lock are atomics.
struct RuntimeState {
  // Written once in start(), before g_rt is published with release; read-only
  // after (readers reach it through rt()'s acquire load).
  Config config;
  uint64_t start_ns = 0;

  // set_gc_percent / set_memory_limit (any thread, exchange; no lock), start().
  // Read relaxed by update_pacer: a change races at most one pacer update,
  // and the setter calls update_pacer itself afterwards.
  std::atomic<int> gc_percent{100};
  std::atomic<uint64_t> memory_limit{0};
  // heap_live at which the next automatic cycle starts (kNoGoal: never),
  // and the goal the cycle aims to finish under. Written by update_pacer
  // (end of a cycle under cycle_mu, or a setter), relaxed; read relaxed by
  // allocation slow paths deciding to request a cycle.
  std::atomic<uint64_t> trigger{kNoGoal};
  std::atomic<uint64_t> goal{kNoGoal};
  // Measured rates for the concurrent trigger (EWMA; 0 = unknown). Written
  // at the end of a concurrent mark under cycle_mu, relaxed; read relaxed by
  // update_pacer from a setter too.
  std::atomic<double> mark_rate{0};   // bytes scanned per second of concurrent mark
  std::atomic<double> alloc_rate{0};  // bytes allocated per second between cycles
  // cycle_mu (end_cycle); read under cycle_mu at the next cycle start.
  uint64_t last_cycle_end_ns = 0;
  // end_cycle under cycle_mu; read by stats() without the lock.
  std::atomic<uint64_t> marked_at_last_cycle{0};
  // The concurrent cycle in progress: created by start_concurrent_locked and
  // destroyed by the termination window that finishes it, both under
  // cycle_mu (with the world stopped); others reach the mark through
  // g_current_mark (concurrent.h).
  std::unique_ptr<MarkState> mark;
  // The record of the cycle in progress: cycle_mu.
  CycleRecord current;
  // update_pacer (see trigger), relaxed; copied into the cycle record.
  std::atomic<bool> limit_bound{false};

  std::mutex cycle_mu;  // one collection at a time
  // Totals, added to by end_cycle under cycle_mu (cycles with release, so a
  // reader that sees the count sees the cycle's other figures); read by
  // stats() and by run_cycle's "did someone collect already" check, acquire.
  std::atomic<uint64_t> cycles{0};
  std::atomic<uint64_t> forced_cycles{0};
  // Recorded by end_cycle and by failed termination windows (cycle_mu);
  // reset by testing::reset_stats. Relaxed counters inside.
  base::Histogram gc_pauses;
  std::atomic<uint64_t> mark_ns_total{0};
  // This cycle's assists and background slices: added to by the assisting
  // mutators and background workers (relaxed), reset at the start window and
  // read at termination (world stopped, cycle_mu).
  std::atomic<uint64_t> assist_ns{0};
  std::atomic<uint64_t> background_ns{0};
  std::atomic<uint64_t> background_slices{0};
  // end_cycle under cycle_mu, relaxed; read by stats().
  std::atomic<uint64_t> bytes_marked_total{0};
  std::atomic<uint64_t> gc_cpu_ns{0};
  // The last completed cycle's record, for gctrace and stats: cycle_mu.
  CycleRecord last;

  // Freed/released counters at the end of the previous sweep, to report
  // what each sweep did: begin_cycle_record, cycle_mu.
  uint64_t freed_bytes_mark = 0;
  uint64_t released_bytes_mark = 0;

  // Tests only: set and run under cycle_mu.
  std::function<void()> after_mark_hook;
  // testing::set_mark_workers (relaxed), read relaxed when a cycle fans out.
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

}  // namespace gcmap::gc::detail
