// Safepoint polls: the places where a running mutator lets a stop-the-world
// stop it. The allocator's slow path and every map operation call
// safepoint_poll(); code that loops for long without either should call it too.
//
// The fast path is one relaxed load of a global flag. When the flag is set,
// park_at_safepoint() (assembly, out of line) pushes the callee-saved
// registers, records them and the stack pointer in the thread's Mutator,
// publishes the Parked state and sleeps on a futex until the world restarts.
#pragma once

#include <atomic>

#include "gcmap/base/assert.h"

namespace gcmap::sched {

namespace detail {
// Set by a stopper from its request until its restart. Alone on its cache
// line: every poll in the process reads it.
alignas(64) extern std::atomic<bool> g_stop_requested;
// Debug builds: a poll must come from an attached thread (or the stopper's
// own helpers). Out of line so that release builds pay nothing.
void check_poll_allowed();
}  // namespace detail

// Parks the calling thread if a stop is requested; returns at once otherwise,
// and always for the stopper itself and for threads running work on its
// behalf (window jobs, background slices). Defined in assembly under the
// symbol below, so that the registers it captures are its caller's.
void park_at_safepoint() __asm__("gcmap_sched_park_at_safepoint");

GCMAP_ALWAYS_INLINE void safepoint_poll() {
  if constexpr (base::kAssertsEnabled) detail::check_poll_allowed();
  if (GCMAP_UNLIKELY(detail::g_stop_requested.load(std::memory_order_relaxed))) {
    park_at_safepoint();
  }
}

// True while some thread is stopping (or has stopped) the world.
inline bool stop_requested() {
  return detail::g_stop_requested.load(std::memory_order_relaxed);
}

}  // namespace gcmap::sched
