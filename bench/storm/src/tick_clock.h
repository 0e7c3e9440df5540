// The clock of per-operation latencies: the TSC (lfence; rdtsc), converted to
// nanoseconds with a ratio measured against CLOCK_MONOTONIC over the whole
// run. On this KVM guest two reads in a row differ by ~20 ns, the same as two
// clock_gettime(CLOCK_MONOTONIC) calls through the vDSO; the TSC is used
// because bench/go can issue exactly the same two instructions (Go's own
// clocks cost differently), so both languages pay the same timer cost per op.
// The kernel's clocksource here is the TSC too (constant_tsc, nonstop_tsc),
// so the two clocks agree. Elsewhere than x86-64 ticks are CLOCK_MONOTONIC ns.
#pragma once

#include <cstdint>

#include "gcmap/base/clock.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace storm {

inline uint64_t ticks() {
#if defined(__x86_64__)
  _mm_lfence();  // do not let the read move above the work being timed
  return __rdtsc();
#else
  return gcmap::base::now_ns();
#endif
}

// Ticks-to-nanoseconds ratio: a first estimate from a 20 ms spin (good to
// ~0.1%, used for phase deadlines) refined by finish() over the whole run.
class TickClock {
 public:
  void start();
  void finish();
  double ns_per_tick() const { return ns_per_tick_; }
  uint64_t ticks_for_ns(double ns) const { return static_cast<uint64_t>(ns / ns_per_tick_); }
  double to_ns(uint64_t t) const { return static_cast<double>(t) * ns_per_tick_; }
  static const char* source();

 private:
  uint64_t t0_ = 0, ns0_ = 0;
  double ns_per_tick_ = 1.0;
};

}  // namespace storm
