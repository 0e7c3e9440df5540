// Hooks for tests of the collector and of code built on it. Not for
// production use.
#pragma once

#include <functional>

namespace gcmap::testing {

// A full collection (and sweep) that does not scan the calling thread's
// stack and registers: the caller promises that it holds no heap pointer it
// still needs outside Roots (cppgc's "no heap pointers" stack state). Lets a
// test assert that an unreachable object is freed, which a conservative scan
// of its own stack cannot promise.
void collect_precise();

// Called with the world stopped after marking, before verification and
// sweeping (null to remove). Tests use it to break the mark on purpose and
// prove that verify mode notices.
void set_after_mark_hook(std::function<void()> hook);

// One concurrent cycle, run from the calling thread: the start window, then
// termination windows (each within the pause budget) until the mark ends,
// letting the background mark in between. Tests use it to run cycles back
// to back while other threads mutate. Returns the termination windows used.
unsigned concurrent_cycle();

// Pieces of a concurrent cycle, for tests of the barrier: start a mark
// (start window only; marking then proceeds in the background unless
// paused), and finish it (termination without a pause budget, then sweep).
void start_concurrent_mark();
void finish_concurrent_mark();
// Stop (true) or let (false) the background mark job work, so a test can
// observe what the barrier alone recorded.
void pause_background_marking(bool paused);
// Whether the object p points into is black or waits in this thread's
// barrier buffer: what the write barrier must achieve for an old value.
bool shaded(const void* p);

// Forget the pause histograms collected so far (gcmap::stats().pauses,
// gc_pauses and time_to_safepoint start again from zero).
void reset_pause_stats();

// Whether a concurrent mark is in progress (benchmarks file their samples
// by it).
bool marking_active();

// How many participants the next marks use (0: the configured number).
// Benchmarks compare 1 and 2 workers in one process with it.
void set_mark_workers(unsigned n);

}  // namespace gcmap::testing
