// The runtime's worker threads: a private tbb::task_arena whose concurrency is
// config().workers, one slot reserved for the calling thread. A
// task_scheduler_observer attaches each TBB worker that joins it as
// Role::kWorker, idle (it counts as stopped, its stack is not a root); it
// detaches when the thread exits.
//
// run_on_workers is how stop-the-world work becomes parallel: inside a stop
// (called by the stopper or from a pause-window job) the participants run
// exempt from safepoints. Outside a stop each participant counts as a running
// mutator that never parks, so a stop waits for fn to return: keep fn short
// there; a helper that would start while a stop is requested is skipped.
#pragma once

#include <cstddef>
#include <functional>

namespace gcmap::sched {

// Participants available to run_on_workers (the caller included).
unsigned num_workers();

// The CPUs this process may run on (its affinity mask, as TBB sees it):
// the default number of workers, and the most that can run at once.
unsigned available_cpus();

// Runs fn(index) on up to k participants concurrently, the caller included,
// index in [0, k). fn must not assume that all k run concurrently, nor that
// all run at all outside a stop: a late participant may start after the
// others finished. The caller always runs one.
void run_on_workers(unsigned k, const std::function<void(unsigned index)>& fn);

// fn(i) for every i in [0, n), spread over the participants.
void parallel_for(size_t n, const std::function<void(size_t)>& fn);

}  // namespace gcmap::sched
