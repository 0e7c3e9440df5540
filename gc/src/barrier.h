// The write barrier's out-of-line side (barrier.cc); the inline fast path is
// the public gcmap/gc/barrier.h.
#pragma once

namespace gcmap::gc::detail {

// Flush the barrier buffer shared by threads without collector state (a
// mutex guards it) into the current mark.
void flush_shared_barrier_buffer();

}  // namespace gcmap::gc::detail
