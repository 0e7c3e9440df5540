// The worker arena and parallel helpers. The arena has config().workers
// slots, one reserved for the calling (external) thread; an observer attaches
// each TBB worker that joins it as an idle kWorker mutator.
//
// Debian's libtbb is not built with ThreadSanitizer, so the hand-off of work
// through TBB's queues is invisible to it: run_on_workers marks each hand-off
// with tbb_edge() (internal.h), before spawning, as each task starts and is
// destroyed, and after the wait.
#include "gcmap/sched/workers.h"

#include <oneapi/tbb/info.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#include <oneapi/tbb/task_scheduler_observer.h>

#include <algorithm>
#include <atomic>

#include "gcmap/sched/config.h"
#include "gcmap/sched/safepoint.h"
#include "internal.h"

namespace gcmap::sched {

namespace detail {
namespace {

class WorkerObserver final : public tbb::task_scheduler_observer {
 public:
  explicit WorkerObserver(tbb::task_arena& arena) : tbb::task_scheduler_observer(arena) {}
  void on_scheduler_entry(bool is_worker) override {
    if (is_worker) attach_worker_thread();
  }
  // Leaving the arena is not leaving the runtime: a worker stays attached
  // (idle) until its thread exits, so rejoining the next window is cheap.
};

struct Workers {
  tbb::task_arena arena;
  WorkerObserver observer;
  unsigned count;

  explicit Workers(unsigned n)
      : arena(static_cast<int>(n), /*reserved_for_masters=*/1), observer(arena), count(n) {
    arena.initialize();
    observer.observe(true);
  }
};

Workers& workers() {
  // Never destroyed: worker threads may still leave the arena during exit.
  static Workers* w = [] {
    note_scheduler_started();
    return new Workers(config().workers);
  }();
  return *w;
}

}  // namespace

tbb::task_arena& worker_arena() {
  return workers().arena;
}

void tbb_edge() {
  static std::atomic<uint64_t> edge{0};
  edge.fetch_add(1, std::memory_order_acq_rel);
}

RunningScope::RunningScope(bool may_wait) {
  ThreadFlags& t = t_flags;
  Mutator* m = t.self;
  if (m != nullptr && MI::blocking_depth(*m) > 0) {
    if (!is_idle_worker(*m) || MI::blocking_depth(*m) != 1) return;
    if (!activate_worker(*m, may_wait)) return;
    activated_ = m;
  }
  ++t.no_park;
  ok_ = true;
}

RunningScope::~RunningScope() {
  if (!ok_) return;
  --t_flags.no_park;
  if (activated_ != nullptr) deactivate_worker(*activated_);
}

}  // namespace detail

unsigned available_cpus() {
  return static_cast<unsigned>(std::max(1, tbb::info::default_concurrency()));
}

unsigned num_workers() {
  return detail::workers().count;
}

void run_on_workers(unsigned k, const std::function<void(unsigned index)>& fn) {
  detail::check_not_forked("work on the runtime's workers");
  detail::Workers& w = detail::workers();
  k = std::clamp(k, 1u, w.count);
  const detail::ThreadFlags& caller = detail::t_flags;
  struct Shared {
    const std::function<void(unsigned)>* fn;
    unsigned k;
    bool in_stop;  // the stopper's work: participants are exempt from safepoints
    std::atomic<unsigned> next_index{0};
  } shared{&fn, k, caller.stop != nullptr || caller.stop_work > 0};

  auto call = [&shared](unsigned index) {
    try {
      (*shared.fn)(index);
    } catch (...) {
      detail::fatal_callback_threw("a function run by run_on_workers");
    }
  };
  auto participate = [&shared, &call](bool is_caller) {
    detail::ThreadFlags& t = detail::t_flags;
    if (shared.in_stop) {
      ++t.stop_work;
      unsigned index = shared.next_index.fetch_add(1, std::memory_order_relaxed);
      if (index < shared.k) call(index);
      --t.stop_work;
    } else if (is_caller || !stop_requested()) {
      // Outside a stop a helper that would start during a stop is skipped:
      // blocking a TBB worker there could starve the stopper's own window.
      detail::RunningScope running(/*may_wait=*/is_caller);
      if (running.ok() || is_caller) {
        unsigned index = shared.next_index.fetch_add(1, std::memory_order_relaxed);
        if (index < shared.k) call(index);
      }
    }
  };

  w.arena.execute([&] {
    tbb::this_task_arena::isolate([&] {
      tbb::task_group group;
      auto helper = [&participate] { participate(false); };
      for (unsigned i = 1; i < k; ++i) {
        detail::tbb_edge();
        group.run(detail::EdgedTask{helper});
      }
      participate(true);
      group.wait();
    });
    detail::tbb_edge();  // execute may have run this on a worker (no free slot)
  });
  detail::tbb_edge();
}

void parallel_for(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  unsigned k = static_cast<unsigned>(std::min<size_t>(num_workers(), n));
  // Chunks small enough to balance a late participant, large enough that
  // claiming them is not the work.
  size_t grain = std::max<size_t>(1, n / (static_cast<size_t>(k) * 8));
  std::atomic<size_t> next{0};
  run_on_workers(k, [&](unsigned) {
    for (;;) {
      size_t begin = next.fetch_add(grain, std::memory_order_relaxed);
      if (begin >= n) break;
      size_t end = std::min(n, begin + grain);
      for (size_t i = begin; i < end; ++i) fn(i);
    }
  });
}

}  // namespace gcmap::sched
