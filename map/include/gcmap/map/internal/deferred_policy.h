// When to open a pause window for deferred erases, and how much to apply in
// it: one small pure function, so the whole policy is in one place and
// tested.
//
// Two signals (issue: delete storms):
//  * the queue: how many erases wait, and how old the oldest is against the
//    staleness target — an unapplied erase is a lookup that still finds a
//    key the caller meant to delete;
//  * memory: how close the heap is to its goal — an unapplied erase keeps
//    its value's whole graph alive, so pressure makes applying urgent.
//
// A window opens now when
//   - the oldest erase has waited half the staleness target (so one more
//     window, one more check interval, still lands inside the target), or
//   - a full window's worth is queued (capacity = budget / cost of one
//     erase, measured) and no more are arriving (a storm in progress is left
//     to finish: a window now would only slow the thread producing it), or
//   - the heap is past 85% of its goal and anything is queued;
// but never closer to the previous window than four times that window's
// length (windows take at most a fifth of the mutators' time; three times
// and a quarter under memory pressure), unless the heap is past its goal.
// Otherwise the scheduler looks again after the time until the oldest erase
// reaches half the target, at most 1 ms.
//
// The scheduler gives these windows a quarter of GCMAP_MAX_PAUSE: a storm
// then costs the request threads short, frequent stops (about 125 us by
// default) rather than long ones, which is what a request's tail latency
// sees.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gcmap::map::detail {

struct DeferredSignals {
  size_t queued = 0;                 // erases waiting (all maps)
  uint64_t oldest_age_ns = 0;        // age of the oldest waiting erase
  uint64_t staleness_target_ns = 0;  // the promise (Config)
  double heap_pressure = 0;          // heap_live / heap goal; 0 when there is no goal
  double erase_ns = 0;               // measured cost of one applied erase; 0 = unknown
  uint64_t budget_ns = 0;            // one window's budget (GCMAP_MAX_PAUSE)
  bool arriving = false;             // erases were queued since the last look
  uint64_t since_last_window_ns = ~uint64_t{0};
  uint64_t last_window_ns = 0;  // length of the previous window
};

struct DeferredDecision {
  bool window_now = false;
  size_t batch = 0;  // erases the window should apply (it stops at its deadline anyway)
  uint64_t recheck_after_ns =
      0;  // when to look again if no window now (0: when something is queued)
};

// Assumed cost of one erase before any was measured.
inline constexpr double kDefaultEraseNs = 200;
inline constexpr double kPressureUrgent = 0.85;
// The share of GCMAP_MAX_PAUSE a deferred-erase window gets.
inline constexpr uint64_t kWindowBudgetDivisor = 4;

DeferredDecision decide(const DeferredSignals& s);

}  // namespace gcmap::map::detail
