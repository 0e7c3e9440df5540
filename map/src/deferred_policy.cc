// The deferred-erase window policy (see internal/deferred_policy.h).
#include "gcmap/map/internal/deferred_policy.h"

#include <algorithm>

namespace gcmap::map::detail {

DeferredDecision decide(const DeferredSignals& s) {
  DeferredDecision d;
  if (s.queued == 0) return d;  // nothing to do until something is queued
  const double cost = s.erase_ns > 0 ? s.erase_ns : kDefaultEraseNs;
  const size_t capacity =
      std::max<size_t>(1, static_cast<size_t>(static_cast<double>(s.budget_ns) / cost));
  d.batch = std::min(s.queued, capacity);

  const uint64_t half_target = s.staleness_target_ns / 2;
  const bool stale = s.oldest_age_ns >= half_target;
  const bool full = s.queued >= capacity && !s.arriving;
  const bool pressed = s.heap_pressure >= kPressureUrgent;
  const bool over_goal = s.heap_pressure >= 1.0;
  // Windows take at most a fifth of the mutators' time, a quarter under
  // memory pressure; past the goal they come back to back.
  const uint64_t gap = (pressed ? 3 : 4) * s.last_window_ns;
  const bool spaced = s.since_last_window_ns >= gap;

  const bool urgent = stale || full || pressed;
  if (urgent && (spaced || over_goal)) {
    d.window_now = true;
    return d;
  }
  // Look again when the reason to wait has passed: the spacing if it is
  // urgent already, else the oldest erase turning half-stale; at most 1 ms.
  uint64_t wait = urgent ? gap - s.since_last_window_ns : half_target - s.oldest_age_ns;
  d.recheck_after_ns = std::clamp<uint64_t>(wait, 1, 1'000'000);
  return d;
}

}  // namespace gcmap::map::detail
