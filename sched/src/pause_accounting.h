// Pause measurement: a stop's pause lasts from its request until every thread
// that waited for it runs again. The stopper cannot see that moment (it has
// moved on after the restart), so the last waiting thread to resume records
// it. A thread that waited through two back-to-back stops ends both.
#pragma once

#include <cstdint>

#include "gcmap/base/histogram.h"

namespace gcmap::sched::detail::pause_accounting {

void thread_waits();                  // a thread starts waiting for a restart
void thread_resumed();                // it runs again; the last one records pending pauses
void stop_ends(uint64_t request_ns);  // the stopper, just before the restart
void after_restart();                 // the stopper, after it: records if nobody was waiting

base::Histogram& pauses();
base::Histogram& time_to_safepoint();

}  // namespace gcmap::sched::detail::pause_accounting
