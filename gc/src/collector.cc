// The full (stop-the-world) collection cycle, and what every cycle does when
// its mark ends:
//
//   1. Wait for our turn (counting as stopped while waiting), finish the
//      previous cycle's sweep on this thread, before stopping anyone.
//   2. Spill this thread's registers and record its stack top: the frames
//      above are frozen for the whole cycle, the collector's own are below.
//   3. Stop the world. Flush every thread's allocation cache into the central
//      lists, so every span is in a list and its freeindex is current.
//   4. markroot + gcWork: root jobs (root shards, stacks) and the drain, in
//      parallel on the TBB workers, until the termination word reads zero.
//   5. finish_mark: verify (GCMAP_VERIFY=1), flip sweepgen (every span
//      becomes unswept), heap_live := marked bytes, the next goal and trigger.
//   6. Restart the world, wake the background sweeper, print gctrace.
//
// The concurrent cycle (concurrent.cc) shares steps 1-3 and 5-6.
#include <cinttypes>
#include <cstdio>
#include <string>

#include "collector.h"
#include "concurrent.h"
#include "gcmap/alloc/heap.h"
#include "gcmap/base/clock.h"
#include "gcmap/gc/runtime.h"
#include "gcmap/sched/blocking.h"
#include "gcmap/sched/mutator.h"
#include "gcmap/sched/stw.h"
#include "gcmap/sched/window.h"
#include "gcmap/sched/workers.h"
#include "runtime_state.h"
#include "stackscan.h"
#include "sweeper.h"
#include "threadstate.h"
#include "verify.h"

namespace gcmap::gc::detail {

namespace {

double mb(uint64_t b) {
  return static_cast<double>(b) / (1024.0 * 1024.0);
}

std::string goal_text(uint64_t g) {
  if (g == kNoGoal) return "off";
  char b[32];
  snprintf(b, sizeof b, "%.1f MB", mb(g));
  return b;
}

}  // namespace

void print_gctrace(const RuntimeState& r, const CycleRecord& c) {
  uint64_t wall = base::now_ns() - r.start_ns;
  unsigned cores = std::max(1u, sched::num_workers());
  double cpu_pct =
      wall ? 100.0 * static_cast<double>(r.gc_cpu_ns.load()) / (static_cast<double>(wall) * cores)
           : 0;
  char head[160];
  snprintf(head, sizeof head, "gcmap: gc %" PRIu64 " @%.3fs %.0f%%: ", c.number,
           static_cast<double>(c.start_ns) / 1e9, cpu_pct);
  char phases[256];
  if (c.concurrent) {
    double over = c.goal && c.goal != kNoGoal
                      ? 100.0 * (static_cast<double>(c.heap_after) - static_cast<double>(c.goal)) /
                            static_cast<double>(c.goal)
                      : 0;
    snprintf(phases, sizeof phases,
             "%.3f+%.3f+%.3f ms clock (start pause + concurrent mark + final pause), "
             "%.3f ms to safepoint, %u windows, %.3f ms background in %lu slices, %.3f ms assists, "
             "%u drains, "
             "%.1f->%.1f->%.1f MB, %s goal (%+.1f%%), ",
             c.stw_ns / 1e6, c.mark_ns / 1e6, c.final_ns / 1e6, c.ttsp_ns / 1e6, c.windows,
             c.background_ns / 1e6, static_cast<unsigned long>(c.background_slices),
             c.assist_ns / 1e6, c.workers, mb(c.heap_before), mb(c.heap_after), mb(c.marked),
             goal_text(c.goal).c_str(), over);
  } else {
    snprintf(phases, sizeof phases,
             "%.3f ms stop (%.3f ms to safepoint), %.3f ms mark, %u workers, "
             "%.1f->%.1f->%.1f MB, %s goal, ",
             c.stw_ns / 1e6, c.ttsp_ns / 1e6, c.mark_ns / 1e6, c.workers, mb(c.heap_before),
             mb(c.heap_after), mb(c.marked), goal_text(c.goal).c_str());
  }
  char tail[256];
  snprintf(tail, sizeof tail, "%s next goal, %.1f MB swept, %.1f MB released, %u threads%s%s\n",
           goal_text(c.next_goal).c_str(), mb(c.swept_bytes), mb(c.released_bytes), c.threads,
           c.limit_bound ? " (limit)" : "", c.forced ? " (forced)" : "");
  std::string line = std::string(head) + phases + tail;
  fputs(line.c_str(), stderr);
}

void begin_cycle_record(RuntimeState& r, CycleRecord& c, bool forced) {
  alloc::Heap& heap = alloc::Heap::get();
  heap.finish_sweep();
  alloc::HeapStats hs = heap.stats();
  c = CycleRecord{};
  c.number = r.cycles.load() + 1;
  c.start_ns = base::now_ns() - r.start_ns;
  c.forced = forced;
  c.goal = r.goal.load();
  c.trigger = r.trigger.load();
  c.heap_before = hs.heap_live;
  c.swept_bytes = hs.freed_bytes - r.freed_bytes_mark;
  c.released_bytes = hs.released_bytes - r.released_bytes_mark;
  r.freed_bytes_mark = hs.freed_bytes;
  r.released_bytes_mark = hs.released_bytes;
}

unsigned count_threads_and_flush_caches(const sched::WorldStop& stop) {
  alloc::Heap& heap = alloc::Heap::get();
  unsigned threads = 0;
  stop.for_each_mutator([&](sched::Mutator& m) {
    if (m.role() == sched::Role::kMutator) ++threads;
    if (auto* ts = static_cast<ThreadState*>(m.context)) heap.flush_cache(*ts->tcache);
  });
  return threads;
}

StopperStack stopper_stack(const void* sp, bool scan_own_stack) {
  StopperStack self;
  if (sched::Mutator* me = sched::current(); me != nullptr && scan_own_stack) {
    self.lo = sp;
    self.hi = me->stack().hi;
    if (auto* ts = static_cast<ThreadState*>(me->context)) self.fake_stack = ts->fake_stack;
  }
  return self;
}

unsigned mark_workers(const RuntimeState& r) {
  unsigned w = r.mark_workers.load(std::memory_order_relaxed);
  if (w == 0) w = r.config.gc_workers ? r.config.gc_workers : sched::num_workers();
  return w;
}

void finish_mark(RuntimeState& r, CycleRecord& c, const sched::WorldStop& stop,
                 const std::function<std::vector<RootJob>()>& verify_roots) {
  alloc::Heap& heap = alloc::Heap::get();
  c.threads = count_threads_and_flush_caches(stop);
  c.heap_after = heap.counters().heap_live.load(std::memory_order_relaxed);
  if (r.after_mark_hook) r.after_mark_hook();
  if (r.config.verify) verify_marking(verify_roots());
  heap.start_sweep_cycle();
  heap.set_heap_marked(c.marked);
  update_pacer(r, c.marked);
  c.next_goal = r.goal.load();
  c.limit_bound = r.limit_bound.load();
}

void end_cycle(RuntimeState& r, const CycleRecord& c, uint64_t cpu_ns) {
  r.gc_pauses.record(c.stw_ns);
  if (c.concurrent) r.gc_pauses.record(c.final_ns);
  r.mark_ns_total.fetch_add(c.mark_ns, std::memory_order_relaxed);
  r.bytes_marked_total.fetch_add(c.marked, std::memory_order_relaxed);
  r.gc_cpu_ns.fetch_add(cpu_ns, std::memory_order_relaxed);
  if (c.forced) r.forced_cycles.fetch_add(1, std::memory_order_relaxed);
  r.last = c;
  r.last_cycle_end_ns = base::now_ns();
  r.marked_at_last_cycle = c.marked;
  r.cycles.fetch_add(1, std::memory_order_release);
  wake_sweeper();
  if (r.config.gctrace) print_gctrace(r, c);
}

namespace {

struct FullCycle {
  RuntimeState* r;
  bool scan_own_stack;
  CycleRecord* c;
};

// Everything that happens with the world stopped. sp: the collecting
// thread's stack top (registers spilled above it).
void full_cycle_stopped(FullCycle& run, const void* sp) {
  RuntimeState& r = *run.r;
  CycleRecord& c = *run.c;
  uint64_t t_request = base::now_ns();
  {
    sched::WorldStop stop("gc");
    c.ttsp_ns = stop.time_to_safepoint_ns();
    StopperStack self = stopper_stack(sp, run.scan_own_stack);
    // Deferred erases first (map/ registers them as window jobs), so that
    // what they unlink is garbage for this very cycle. A full cycle is one
    // long pause anyway: apply them all.
    if (sched::pending_window_work() != 0) sched::run_window_jobs(stop, ~uint64_t{0});
    MarkState ms;
    ms.root_jobs = build_root_jobs(stop, self);
    uint64_t t_mark = base::now_ns();
    DrainLimits wait;
    wait.wait_for_others = true;
    sched::run_on_workers(mark_workers(r), [&](unsigned) { mark_drain(ms, wait); });
    c.mark_ns = base::now_ns() - t_mark;
    c.workers = ms.participants.load();
    c.marked = ms.bytes_marked.load();
    finish_mark(r, c, stop, [&] { return build_root_jobs(stop, self); });
  }
  c.stw_ns = base::now_ns() - t_request;
}

}  // namespace

void full_cycle_locked(RuntimeState& r, bool forced, bool scan_own_stack) {
  CycleRecord c;
  begin_cycle_record(r, c, forced);
  FullCycle run{&r, scan_own_stack, &c};
  with_registers_spilled(
      [](void* ctx, const void* sp) {
        auto* f = static_cast<FullCycle*>(ctx);
        full_cycle_stopped(*f, sp);
      },
      &run);
  end_cycle(r, c, c.stw_ns * std::max(1u, c.workers));
}

void lock_cycle(RuntimeState& /*r*/, std::unique_lock<std::mutex>& lock) {
  if (lock.try_lock()) return;
  // Another cycle phase runs: wait as a stopped thread would, or its stop
  // would wait for us.
  sched::BlockingRegion blocked;
  lock.lock();
}

void run_cycle(bool forced, uint64_t expected_cycles, bool scan_own_stack) {
  RuntimeState& r = rt();
  std::unique_lock<std::mutex> lock(r.cycle_mu, std::defer_lock);
  lock_cycle(r, lock);
  if (!forced && r.cycles.load(std::memory_order_acquire) != expected_cycles) return;
  // A concurrent cycle in progress finishes first (its pause budget does not
  // apply: the caller asked for a full collection).
  if (concurrent_mark_running()) try_terminate_locked(r, /*unbounded=*/true);
  full_cycle_locked(r, forced, scan_own_stack);
}

}  // namespace gcmap::gc::detail
