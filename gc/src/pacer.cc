// The pacer's arithmetic (see pacer.h).
#include "pacer.h"

#include <algorithm>

namespace gcmap::gc::detail {

PacerGoal compute_goal(const PacerInput& in) {
  PacerGoal out;
  if (in.gc_percent >= 0) {
    const uint64_t pct = static_cast<uint64_t>(in.gc_percent);
    const uint64_t min_heap = kMinHeap * pct / 100;
    out.goal = std::max(in.marked + in.marked / 100 * pct + in.marked % 100 * pct / 100, min_heap);
  }
  if (in.memory_limit != 0) {
    const uint64_t usable = in.memory_limit / 100 * 95;
    const uint64_t floor = in.marked + std::max(in.marked / 16, uint64_t{1} << 20);
    uint64_t by_limit = usable > in.overhead ? usable - in.overhead : 0;
    by_limit = std::max(by_limit, floor);
    if (by_limit < out.goal) {
      out.goal = by_limit;
      out.limit_bound = true;
    }
  }
  return out;
}

uint64_t compute_trigger(const TriggerInput& in) {
  if (in.goal == kNoGoal) return kNoGoal;
  if (in.goal <= in.marked) return in.marked;
  const double runway = static_cast<double>(in.goal - in.marked);
  const double lo = static_cast<double>(in.marked) + 0.60 * runway;
  const double hi = static_cast<double>(in.marked) + 0.95 * runway;
  double t = static_cast<double>(in.marked) + 0.70 * runway;
  if (in.mark_rate > 0 && in.alloc_rate > 0) {
    double mark_time = static_cast<double>(in.marked) / in.mark_rate;
    t = static_cast<double>(in.goal) - in.alloc_rate * mark_time * 1.25;
  }
  t = std::clamp(t, lo, hi);
  return static_cast<uint64_t>(t);
}

}  // namespace gcmap::gc::detail
