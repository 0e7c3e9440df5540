// Per-thread collector state (internal), hung off sched::Mutator::context.
#pragma once

#include <cstdint>

#include "gcmap/alloc/tcache.h"

namespace gcmap::sched {
class Mutator;
}

namespace gcmap::gc::detail {

// Pointers the write barrier shaded, greyed in batches (Go's wbBuf).
struct BarrierBuffer {
  static constexpr uint32_t kCap = 256;
  uint32_t n = 0;
  uintptr_t ptrs[kCap];
};

struct ThreadState {
  sched::Mutator* mutator = nullptr;
  alloc::TCache* tcache = nullptr;  // this thread's t_tcache
  void* fake_stack = nullptr;       // ASan's fake stack of this thread, if any
  uint64_t torture_count = 0;       // allocations since the last torture cycle
  uint64_t assist_seen = 0;         // tcache->bytes_cached already charged for assists
  int64_t assist_debt = 0;          // scan bytes this thread still owes the mark
  uint64_t black_bytes = 0;         // bytes allocated black during this mark
  BarrierBuffer wb;
};

// The calling thread's state, or null when it is not attached (set by the
// attach hook; a plain TLS read, for the barrier).
extern constinit thread_local ThreadState* t_gc_state __attribute__((tls_model("initial-exec")));
inline ThreadState* current_thread_state() {
  return t_gc_state;
}

}  // namespace gcmap::gc::detail
