// The clock every window and slice deadline reads, replaceable by tests.
#include <atomic>

#include "gcmap/base/clock.h"
#include "gcmap/sched/window.h"

namespace gcmap::sched {
namespace {
std::atomic<ClockFn> g_clock{nullptr};
}

void set_clock_for_testing(ClockFn clock) {
  g_clock.store(clock, std::memory_order_release);
}

uint64_t clock_now() {
  ClockFn clock = g_clock.load(std::memory_order_acquire);
  return clock != nullptr ? clock() : base::now_ns();
}

}  // namespace gcmap::sched
