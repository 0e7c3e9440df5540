// The write barrier's inline half.
//
// While the collector marks concurrently with the mutators, every overwrite
// of a GC pointer that lives in the heap or in a Root records the old value
// (a snapshot-at-the-beginning, or deletion, barrier: see gc/README.md).
// Outside marking the barrier is one relaxed load of a global flag and a
// predictable branch. The stop-the-world collector never sets the flag.
#pragma once

#include <atomic>

#include "gcmap/base/assert.h"

namespace gcmap::gc {

namespace detail {
// True from the start of a concurrent mark until mark termination; also the
// "allocate black" signal for make<T>.
extern std::atomic<bool> g_marking;
void shade_slow(const void* old);
}  // namespace detail

inline bool marking_active() {
  return detail::g_marking.load(std::memory_order_relaxed);
}

// Call before overwriting (or dropping) a GC pointer whose current value is `old`.
GCMAP_ALWAYS_INLINE void write_barrier(const void* old) {
  if (GCMAP_UNLIKELY(marking_active()) && old != nullptr) detail::shade_slow(old);
}

}  // namespace gcmap::gc
