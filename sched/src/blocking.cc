// Blocking regions: the out-of-line halves of BlockingRegion. The inline
// constructor captured the registers and the caller's stack pointer; here the
// outermost region publishes them with the Blocking state.
#include "gcmap/sched/blocking.h"

#include "internal.h"

namespace gcmap::sched::detail {

Mutator* enter_blocking_region(const uintptr_t* regs, const void* sp) {
  Mutator* m = t_flags.self;
  if (m == nullptr) return nullptr;
  if (MI::blocking_depth(*m)++ > 0) return m;  // nested, or an idle worker
  store_registers(*m, regs);
  MI::lo(*m) = sp;
  publish_stopped(*m, kBlocking);  // release: the capture is visible to the stopper
  return m;
}

void leave_blocking_region(Mutator* m) {
  if (--MI::blocking_depth(*m) > 0) return;
  leave_stopped(*m);
}

}  // namespace gcmap::sched::detail
