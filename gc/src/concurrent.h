// The concurrent cycle (concurrent.cc): a short start window (stacks
// scanned, barrier on), marking on background workers and in mutator assists
// while mutators run, then termination windows that each fit the pause
// budget; the controller thread that starts cycles; mark assists.
#pragma once

#include <atomic>
#include <cstdint>

#include "mark.h"
#include "threadstate.h"

namespace gcmap::gc::detail {

struct RuntimeState;

enum class Phase : int { kIdle, kMarking };

// The mark in progress (null outside a concurrent mark). The barrier and
// assists reach the pool through it. Written only with the world stopped.
extern std::atomic<MarkState*> g_current_mark;
// Phase::kMarking from the start window to the end of the termination window
// that finishes the mark. Written only with the world stopped; read with
// acquire by barriers and allocation paths.
extern std::atomic<int> g_phase;
// Bytes allocated black by threads that detached during the mark. Added to by
// detaching threads (relaxed), read and reset at termination (world stopped).
extern std::atomic<uint64_t> g_black_bytes_detached;

inline bool concurrent_mark_running() {
  return g_phase.load(std::memory_order_acquire) == static_cast<int>(Phase::kMarking);
}

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

}  // namespace gcmap::gc::detail
