// The failures of gcmap::HashMap, out of line (map.cc) so that the inline
// paths stay small: the fatal errors of misuse (concurrent writes, reads from
// an unattached thread, a callback that threw where nothing can take it) and
// the exceptions of the standard library's contract (length_error,
// out_of_range).
#pragma once

#include <cstddef>

#include "gcmap/alloc/tcache.h"
#include "gcmap/base/assert.h"

namespace gcmap {

namespace map::detail {
[[noreturn]] void fatal_concurrent_writes();
[[noreturn]] void fatal_concurrent_read_write();
[[noreturn]] void fatal_concurrent_iteration_write();
[[noreturn]] void throw_capacity_exceeded(size_t capacity);
[[noreturn]] void throw_over_max_size(size_t entries, size_t max_size);
[[noreturn]] void throw_key_not_found();

// Fatal unless the thread is attached after all (a runtime worker whose
// attach is still pending) or in a fork() child, where nothing is collected.
void unattached_read(const char* op);
// Reads (lookups, iteration) hand out pointers into the heap, which only an
// attached thread's stack keeps alive: from an unattached thread the value
// could be freed and its slot reused while the caller still uses it. So a
// read from such a thread is fatal, in every build. One thread-local load
// (the allocator's, initial-exec).
GCMAP_ALWAYS_INLINE void require_attached(const char* op) {
  if (GCMAP_UNLIKELY(!alloc::t_tcache.attached)) unattached_read(op);
}
// From a catch handler: "gcmap: <what> threw <type> ("<what()>") ...", fatal.
[[noreturn]] void fatal_callback_threw(const char* what);
}  // namespace map::detail

}  // namespace gcmap
