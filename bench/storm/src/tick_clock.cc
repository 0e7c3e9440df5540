// Calibration of the TSC against CLOCK_MONOTONIC (see tick_clock.h).
#include "tick_clock.h"

namespace storm {

void TickClock::start() {
  ns0_ = gcmap::base::now_ns();
  t0_ = ticks();
  uint64_t ns1;
  do ns1 = gcmap::base::now_ns();
  while (ns1 - ns0_ < 20'000'000);
  uint64_t t1 = ticks();
  ns_per_tick_ = static_cast<double>(ns1 - ns0_) / static_cast<double>(t1 - t0_);
}

void TickClock::finish() {
  uint64_t ns1 = gcmap::base::now_ns();
  uint64_t t1 = ticks();
  if (t1 > t0_ && ns1 > ns0_)
    ns_per_tick_ = static_cast<double>(ns1 - ns0_) / static_cast<double>(t1 - t0_);
}

const char* TickClock::source() {
#if defined(__x86_64__)
  return "rdtsc (lfence; rdtsc), calibrated against CLOCK_MONOTONIC over the run";
#else
  return "clock_gettime(CLOCK_MONOTONIC)";
#endif
}

}  // namespace storm
