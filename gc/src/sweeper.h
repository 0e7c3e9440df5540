// The sweeper (sweeper.cc): the allocator's free hook that runs destructors,
// and the background job that sweeps spans between cycles.
#pragma once

namespace gcmap::gc::detail {

// Install the free hook and start the background sweep job (once, at start).
void start_sweeper();
// A cycle flipped the mark bits: there is a new generation of spans to sweep.
void wake_sweeper();

}  // namespace gcmap::gc::detail
