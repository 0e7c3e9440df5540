// The collection cycle's shared state and entry points (internal).
//
// Two kinds of cycle:
//  * full: everything inside one stop-the-world pause (collect(), the
//    torture mode with the concurrent collector off, GCMAP_GC_CONCURRENT=0);
//  * concurrent: a short start window (stacks scanned, barrier on), marking
//    on background workers and in mutator assists while mutators run, then
//    termination windows that each fit the pause budget (concurrent.cc).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "mark.h"
#include "markroot.h"
#include "threadstate.h"

namespace gcmap::sched {
class WorldStop;
}

namespace gcmap::gc::detail {

struct RuntimeState;

enum class Phase : int { kIdle, kMarking };

// The mark in progress (null outside a concurrent mark). The barrier and
// assists reach the pool through it. Written only with the world stopped.
extern std::atomic<MarkState*> g_current_mark;
extern std::atomic<int> g_phase;
// Bytes allocated black by threads that detached during the mark.
extern std::atomic<uint64_t> g_black_bytes_detached;

inline bool concurrent_mark_running() {
  return g_phase.load(std::memory_order_acquire) == static_cast<int>(Phase::kMarking);
}

// Full stop-the-world cycle; the caller holds cycle_mu.
void full_cycle_locked(RuntimeState& r, bool forced, bool scan_own_stack);
// Take cycle_mu, counting as a stopped thread while waiting for it.
void lock_cycle(RuntimeState& r, std::unique_lock<std::mutex>& lock);

// Pieces every cycle shares (collector.cc).
struct CycleRecord;
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

// Concurrent cycle phases; the caller holds cycle_mu.
void start_concurrent_locked(RuntimeState& r);
// One termination window; true if the mark finished (and the cycle ended).
// unbounded: ignore the pause budget (collect() finishing a cycle).
bool try_terminate_locked(RuntimeState& r, bool unbounded);

// Tests: keep the background mark job from working.
void pause_background_marking(bool paused);

// Run a concurrent cycle to its end on the calling thread, sleeping between
// termination attempts. fresh: a mark already in progress is finished first
// and a new one started (collect_concurrent); otherwise joining the one in
// progress will do. Returns the termination windows it tried.
unsigned concurrent_cycle_and_wait(bool fresh);

// The controller thread that runs concurrent cycles.
void start_controller();
// A mutator saw heap_live reach the trigger.
void request_cycle();
// Background marking found no work left: time to try termination.
void notify_mark_idle();

// Mark assists: the calling mutator pays for what it allocated (span by
// span, from its cache's refills) during a mark with scan work.
void assist(ThreadState* ts);

// Flush a thread's barrier buffer into the current mark (grey what is not
// black yet). Safe from the owning thread, or for a stopped thread from the
// stopper.
void flush_barrier_buffer(BarrierBuffer& b);
// The same for the buffer shared by threads without collector state.
void flush_shared_barrier_buffer();

}  // namespace gcmap::gc::detail
