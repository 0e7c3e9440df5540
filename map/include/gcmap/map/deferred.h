// Deferred erases, the public side: what HashMap::erase_deferred,
// erase_if_deferred and flush_deferred promise, and the process-wide
// figures (deferred_stats()).
//
//   sessions.erase_deferred(id);             queue it; no probing, no lock
//   sessions.erase_if_deferred(expired);     a bulk erase, bucket range by range
//   sessions.flush_deferred();               apply everything now, here
//
// Why: erasing a million sessions at once should cost the request thread a
// few nanoseconds per key. The erases are applied in bulk where nobody waits
// for them: inside pause windows that the scheduler opens (map/README.md has
// the policy), at the start of every collection cycle (so what they unlink
// is garbage for that very cycle), and a few at a time by the owner's own
// writes, as growWork evacuates a few buckets.
//
// How the queued erases are applied, their ordering and exception rules:
// internal/deferred_hub.h and map/README.md ("Delete storms").
#pragma once

#include <cstdint>

namespace gcmap {

// Process-wide figures of deferred erases (all maps).
struct DeferredStats {
  uint64_t queued = 0;         // erase_deferred calls, ever
  uint64_t applied = 0;        // queued erases applied (found or not)
  uint64_t superseded = 0;     // dropped: the key was written again after it was queued
  uint64_t swept = 0;          // entries erased by erase_if_deferred
  uint64_t pending = 0;        // queued erases and bulk erases not yet done
  uint64_t oldest_age_ns = 0;  // age of the oldest pending erase (an upper bound)
  uint64_t windows = 0;        // pause windows the scheduler opened
  uint64_t window_p50_ns = 0, window_p99_ns = 0, window_max_ns = 0;  // their lengths
  double erase_ns = 0;  // measured cost of one applied erase in a window
  // Exceptions from a hash, an equality, a pred or an on_erase that a window
  // or an owner's write caught while applying erases (each dropped its
  // erase; the map's next flush_deferred() rethrows the first).
  uint64_t callback_failures = 0;
};
DeferredStats deferred_stats();

}  // namespace gcmap
