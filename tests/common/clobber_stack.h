// Overwrite the stack below the caller's frame, where frames of functions
// that already returned left copies of pointers: a conservative scan of this
// thread would otherwise find them (Boehm's GC_clear_stack does the same).
//
// Not instrumented by ASan, and without memset: in an ASan build a buffer on
// the stack is surrounded by redzones that the program never writes, so a
// memset of the buffer would leave old pointers alive in them (and the
// memset interceptor would object to writing a redzone).
#pragma once

#include <cstddef>

#include "gcmap/base/assert.h"

namespace gcmap::test_common {

__attribute__((no_sanitize_address)) GCMAP_NOINLINE inline void clobber_stack() {
  volatile char buf[32768];
  for (auto& c : buf) c = 0;
}

}  // namespace gcmap::test_common
