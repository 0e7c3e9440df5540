// Pause measurement: a stop's pause lasts from its request until every thread
// that waited for it runs again. The stopper cannot see that moment (it has
// moved on after the restart), so the last waiting thread to resume records
// it. A thread that waited through two back-to-back stops ends both.
#pragma once

#include <cstdint>

#include <vector>

#include "gcmap/base/histogram.h"
#include "gcmap/sched/stw.h"

namespace gcmap::sched::detail::pause_accounting {

void thread_waits();                  // a thread starts waiting for a restart
void thread_resumed();                // it runs again; the last one records pending pauses
void stop_ends(uint64_t request_ns);  // the stopper, just before the restart
void after_restart();                 // the stopper, after it: records if nobody was waiting

base::Histogram& pauses();
base::Histogram& time_to_safepoint();

// The last kPauseRing pauses with their start times: see sched::pause_events_since.
inline constexpr size_t kPauseRing = 16384;
uint64_t events_since(uint64_t cursor, std::vector<PauseEvent>* out);
void reset_events();

}  // namespace gcmap::sched::detail::pause_accounting
