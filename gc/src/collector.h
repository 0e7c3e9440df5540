// The pieces every collection cycle shares, and the full stop-the-world
// cycle (collector.cc): everything inside one pause (collect(), torture mode
// with the concurrent collector off, GCMAP_GC_CONCURRENT=0).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "markroot.h"
#include "threadstate.h"

namespace gcmap::sched {
class WorldStop;
}

namespace gcmap::gc::detail {

struct RuntimeState;
struct CycleRecord;

// Full stop-the-world cycle; the caller holds cycle_mu.
void full_cycle_locked(RuntimeState& r, bool forced, bool scan_own_stack);
// Take cycle_mu, counting as a stopped thread while waiting for it.
void lock_cycle(RuntimeState& r, std::unique_lock<std::mutex>& lock);

// Collect from an allocation: wake the controller (concurrent) or run a
// full cycle now (stop-the-world mode). forced: collect(); otherwise only if
// the heap still needs it once this thread gets its turn (expected_cycles is
// the count the caller saw when it decided).
void run_cycle(bool forced, uint64_t expected_cycles, bool scan_own_stack = true);

void begin_cycle_record(RuntimeState& r, CycleRecord& c, bool forced);
StopperStack stopper_stack(const void* sp, bool scan_own_stack);
unsigned mark_workers(const RuntimeState& r);
// With the world stopped and the mark complete: flush caches, verify from
// `verify_roots` (in verify mode), flip, set the marked bytes and the next
// goal.
void finish_mark(RuntimeState& r, CycleRecord& c, const sched::WorldStop& stop,
                 const std::function<std::vector<RootJob>()>& verify_roots);
// After the restart: statistics, sweeper, gctrace.
void end_cycle(RuntimeState& r, const CycleRecord& c, uint64_t cpu_ns);

}  // namespace gcmap::gc::detail
