// Blocking regions: a thread about to block (I/O, a lock, a sleep, a
// condition variable) wraps the call in a BlockingRegion, so that a
// stop-the-world never waits for it.
//
// Entering records the callee-saved registers and the stack pointer at the
// point of the constructor and makes the thread count as stopped; the frames
// from that point up are what the collector scans. Inside the region the
// thread must not create, change or read heap references. Leaving while the
// world is stopped waits until it restarts. Nestable; a no-op on an
// unattached thread.
#pragma once

#include <cstdint>

#include "gcmap/sched/mutator.h"

namespace gcmap::sched {

namespace detail {
// Stores the callee-saved registers in out[0..kSpilledRegisters) and returns
// the caller's stack pointer at the call (assembly, no stack use).
const void* capture_registers(uintptr_t* out) __asm__("gcmap_sched_capture_registers");
Mutator* enter_blocking_region(const uintptr_t* regs, const void* sp);
void leave_blocking_region(Mutator* m);
}  // namespace detail

class BlockingRegion {
 public:
  // Inline, so that the registers are captured in the caller's frame, where
  // they still hold the caller's values.
  BlockingRegion() {
    const void* sp = detail::capture_registers(regs_);
    mutator_ = detail::enter_blocking_region(regs_, sp);
  }
  ~BlockingRegion() {
    if (mutator_ != nullptr) detail::leave_blocking_region(mutator_);
  }
  BlockingRegion(const BlockingRegion&) = delete;
  BlockingRegion& operator=(const BlockingRegion&) = delete;

 private:
  Mutator* mutator_;
  uintptr_t regs_[kSpilledRegisters > 0 ? kSpilledRegisters : 1];
};

}  // namespace gcmap::sched
