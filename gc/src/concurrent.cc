// The concurrent cycle (Go's: STW sweep termination, concurrent mark with a
// snapshot-at-the-beginning barrier, assists, STW mark termination).
//
//   start window   finish the sweep (before stopping); stop; scan every
//                  stopped thread's stack and registers into the mark's pool;
//                  turn the barrier on (allocation black from now on);
//                  restart. Its length grows with the number of threads and
//                  their stack depth, never with the heap.
//   concurrent     the background mark job (a quarter of the CPU, on the TBB
//                  arena) claims the root-table shard jobs and drains the
//                  pool; mutators shade overwritten pointers (barrier.cc) and
//                  pay for their allocations with assists (assist()).
//   termination    when background marking runs dry: stop; flush every
//                  thread's barrier buffer; drain with all workers until the
//                  termination word reads zero or the pause budget
//                  (GCMAP_MAX_PAUSE) is spent. Done: barrier off, caches
//                  flushed, flip, restart, sweep. Not done: hand the rest back
//                  to the pool, restart, let the background mark more, and
//                  try again — a window never outgrows its budget to finish.
//
// Why the final pause does not grow with the heap: stacks are not rescanned
// (the deletion barrier keeps everything reachable at the snapshot, and
// objects allocated since are black), so termination only drains what the
// barrier buffers and the background left over.
//
// A controller thread (not a mutator) runs the windows, so the allocation
// that crosses the trigger only wakes it.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <thread>

#include "barrier.h"
#include "collector.h"
#include "concurrent.h"
#include "gcmap/alloc/heap.h"
#include "gcmap/base/clock.h"
#include "gcmap/gc/runtime.h"
#include "gcmap/sched/background.h"
#include "gcmap/sched/blocking.h"
#include "gcmap/sched/config.h"
#include "gcmap/sched/mutator.h"
#include "gcmap/sched/stw.h"
#include "gcmap/sched/window.h"
#include "gcmap/sched/workers.h"
#include "runtime_state.h"
#include "stackscan.h"

namespace gcmap::gc::detail {

std::atomic<MarkState*> g_current_mark{nullptr};
std::atomic<uint64_t> g_black_bytes_detached{0};
std::atomic<int> g_phase{static_cast<int>(Phase::kIdle)};

namespace {

// Scan-work per allocated byte the assists charge (Go's assistWorkPerByte),
// recomputed as the mark progresses, and the scan work this mark expects.
std::atomic<double> g_assist_ratio{0};
std::atomic<uint64_t> g_expected_scan{0};
// Scan work the background job did beyond what assists needed (Go's
// bgScanCredit): a mutator's debt is paid from it first, so a mutator only
// assists when the background falls behind.
std::atomic<int64_t> g_bg_credit{0};
// How many bytes one assist may scan before returning to the mutator (the
// rest of its debt waits for the next slow path): keeps each assist short.
constexpr int64_t kMaxAssistScan = 64 * 1024;
// Windows do small amounts of work on the stopping thread alone: this many
// stacks, or this many full work buffers (about 250 objects each).
constexpr size_t kInlineStacks = 4;
constexpr uint32_t kInlineDrainBuffers = 4;

std::atomic<bool> g_background_paused{false};  // tests only

// The background mark job.
class MarkJob final : public sched::BackgroundJob {
 public:
  const char* name() const override { return "mark"; }
  bool run_slice(sched::SliceContext& ctx) override {
    MarkState* m = g_current_mark.load(std::memory_order_acquire);
    if (m == nullptr) return false;
    if (g_background_paused.load(std::memory_order_relaxed)) return false;
    DrainLimits limits;
    limits.slice = &ctx;
    MarkCounters did;
    uint64_t t0 = base::now_ns();
    DrainResult res = mark_drain(*m, limits, &did);
    if (RuntimeState* r = rt_if_started()) {
      r->background_ns.fetch_add(base::now_ns() - t0, std::memory_order_relaxed);
      r->background_slices.fetch_add(1, std::memory_order_relaxed);
    }
    g_bg_credit.fetch_add(static_cast<int64_t>(did.bytes_scanned), std::memory_order_relaxed);
    switch (res) {
      case DrainResult::kDone:
        notify_mark_idle();
        return false;
      case DrainResult::kDry:
      case DrainResult::kStopped:
        return true;
    }
    return true;
  }
};
MarkJob* const g_mark_job = new MarkJob();  // never destroyed (see sweeper.cc)

// The controller: a plain thread that sleeps until a trigger or an idle
// mark, then takes cycle_mu and runs the next window.
struct Controller {
  std::mutex mu;
  std::condition_variable cv;
  bool cycle_requested = false;
  bool mark_idle = false;
};
Controller* const g_ctl = new Controller();

void update_assist_ratio(RuntimeState& r, const MarkState& m) {
  const uint64_t live = alloc::Heap::get().counters().heap_live.load(std::memory_order_relaxed);
  const uint64_t goal = r.goal.load(std::memory_order_relaxed);
  // Expected scan work (set at the start), less what this mark scanned so far.
  uint64_t expected = g_expected_scan.load(std::memory_order_relaxed);
  uint64_t scanned = m.bytes_scanned.load(std::memory_order_relaxed);
  double remaining = expected > scanned ? static_cast<double>(expected - scanned) : 0;
  double runway = goal != kNoGoal && goal > live ? static_cast<double>(goal - live) : 0;
  // Past the goal, assists scan 4x what they allocate: the heap must not
  // outrun the mark.
  double ratio = runway > (256 << 10) ? remaining / runway : 4.0;
  g_assist_ratio.store(std::min(ratio, 4.0), std::memory_order_relaxed);
}

// Passes every root on, and remembers the objects conservative words name.
class RecordingSink final : public RootSink {
 public:
  explicit RecordingSink(RootSink& inner) : inner_(inner) {}
  void conservative(uintptr_t word) override {
    alloc::ObjectRef r;
    if (alloc::find_object(word, &r)) found.push_back(r.start);
    inner_.conservative(word);
  }
  Visitor& precise() override { return inner_.precise(); }
  std::vector<uintptr_t> found;

 private:
  RootSink& inner_;
};

struct StartRun {
  RuntimeState* r;
};

void start_stopped(StartRun& run, const void* sp) {
  RuntimeState& r = *run.r;
  CycleRecord& c = r.current;
  MarkState& m = *r.mark;
  uint64_t t_request = base::now_ns();
  {
    sched::WorldStop stop("gc start");
    c.ttsp_ns = stop.time_to_safepoint_ns();
    // Deferred deletes first, so that what they unlink is garbage for this
    // very cycle (map/ registers them as window jobs).
    if (sched::pending_window_work() != 0) {
      sched::run_window_jobs(stop, stop.request_ns() + sched::config().max_pause_ns / 2);
    }
    // Scan the stacks now, in parallel; the root-table shards wait for the
    // background (the Root barrier covers what changes until then).
    std::vector<RootJob> stacks = build_stack_jobs(stop, stopper_stack(sp, true));
    std::atomic<size_t> next{0};
    const bool record = r.config.verify;
    auto scan = [&](unsigned) {
      MarkCounters counters;
      GcWork gcw(m.pool);
      MarkingVisitor v(gcw, counters);
      MarkRootSink sink(v);
      RecordingSink recording(sink);
      RootSink& use = record ? static_cast<RootSink&>(recording) : sink;
      for (size_t j; (j = next.fetch_add(1)) < stacks.size();) stacks[j](use);
      gcw.flush_to_pool();
      m.add(counters);
      if (record) {
        std::lock_guard<std::mutex> g(m.snapshot_mu);
        m.stack_snapshot.insert(m.stack_snapshot.end(), recording.found.begin(),
                                recording.found.end());
      }
    };
    // A few stacks take microseconds to scan; waking a worker for them
    // would cost more than it saves.
    if (stacks.size() <= kInlineStacks) {
      scan(0);
    } else {
      sched::run_on_workers(mark_workers(r), scan);
    }
    m.root_jobs = build_shard_jobs();
    g_current_mark.store(&m, std::memory_order_release);
    g_phase.store(static_cast<int>(Phase::kMarking), std::memory_order_release);
    g_marking.store(true, std::memory_order_release);
    r.assist_ns.store(0, std::memory_order_relaxed);
    r.background_ns.store(0, std::memory_order_relaxed);
    r.background_slices.store(0, std::memory_order_relaxed);
    g_bg_credit.store(0, std::memory_order_relaxed);
    // What the last cycle found live, or half the heap for the first one.
    g_expected_scan.store(std::max<uint64_t>(r.marked_at_last_cycle, c.heap_before / 2),
                          std::memory_order_relaxed);
    update_assist_ratio(r, m);
  }
  c.stw_ns = base::now_ns() - t_request;
}

struct TerminateRun {
  RuntimeState* r;
  bool unbounded;
  bool done = false;
};

void terminate_stopped(TerminateRun& run, const void* /*sp*/) {
  RuntimeState& r = *run.r;
  CycleRecord& c = r.current;
  MarkState& m = *r.mark;
  uint64_t t_request = base::now_ns();
  {
    sched::WorldStop stop("gc termination");
    // Leave room to restart the world inside the budget.
    uint64_t budget = sched::config().max_pause_ns;
    uint64_t deadline = run.unbounded
                            ? ~uint64_t{0}
                            : stop.request_ns() + budget - std::min(budget / 5, uint64_t{50'000});
    stop.for_each_mutator([&](sched::Mutator& mu) {
      if (auto* ts = static_cast<ThreadState*>(mu.context)) flush_barrier_buffer(ts->wb);
    });
    flush_shared_barrier_buffer();
    m.session_done.store(false, std::memory_order_relaxed);
    DrainLimits limits;
    limits.deadline_ns = deadline;
    limits.wait_for_others = true;
    // Little left (the usual case when the background ran dry): drain it
    // here; waking the workers would cost more than the work.
    if (m.pool.full_count() > kInlineDrainBuffers || !m.roots_claimed()) {
      sched::run_on_workers(mark_workers(r), [&](unsigned) { mark_drain(m, limits); });
    } else {
      mark_drain(m, limits);
    }
    ++c.windows;
    if (m.pool.nothing_left() && m.roots_claimed()) {
      run.done = true;
      g_marking.store(false, std::memory_order_release);
      g_phase.store(static_cast<int>(Phase::kIdle), std::memory_order_release);
      g_current_mark.store(nullptr, std::memory_order_release);
      c.mark_ns = base::now_ns() - r.start_ns - c.start_ns;
      c.workers = m.participants.load();
      // Objects allocated black during the mark are live too (Go counts them
      // in heapMarked); each thread kept its own tally.
      uint64_t black = g_black_bytes_detached.exchange(0, std::memory_order_relaxed);
      stop.for_each_mutator([&](sched::Mutator& mu) {
        if (auto* ts = static_cast<ThreadState*>(mu.context)) {
          black += ts->black_bytes;
          ts->black_bytes = 0;
        }
      });
      c.marked = m.bytes_marked.load() + black;
      c.assist_ns = r.assist_ns.load(std::memory_order_relaxed);
      c.background_ns = r.background_ns.load(std::memory_order_relaxed);
      c.background_slices = r.background_slices.load(std::memory_order_relaxed);
      finish_mark(r, c, stop, [&] {
        std::vector<RootJob> roots = build_shard_jobs();
        roots.push_back([&m](RootSink& sink) {
          sink.begin("stack at the start window", -1);
          for (uintptr_t obj : m.stack_snapshot)
            sink.precise().visit_raw(reinterpret_cast<void*>(obj));
        });
        return roots;
      });
    }
  }
  uint64_t pause = base::now_ns() - t_request;
  if (run.done) {
    c.final_ns = pause;
  } else {
    r.gc_pauses.record(pause);  // a window that did not finish is a pause too
  }
}

}  // namespace

void start_concurrent_locked(RuntimeState& r) {
  GCMAP_ASSERT(!concurrent_mark_running(), "a concurrent mark is already running");
  r.mark = std::make_unique<MarkState>();
  begin_cycle_record(r, r.current, /*forced=*/false);
  r.current.concurrent = true;
  // Rates for the next trigger: allocation since the last cycle ended.
  uint64_t now = base::now_ns();
  if (r.last_cycle_end_ns != 0 && now > r.last_cycle_end_ns &&
      r.current.heap_before > r.marked_at_last_cycle) {
    double rate = static_cast<double>(r.current.heap_before - r.marked_at_last_cycle) /
                  (static_cast<double>(now - r.last_cycle_end_ns) / 1e9);
    double old = r.alloc_rate.load(std::memory_order_relaxed);
    r.alloc_rate.store(old > 0 ? 0.5 * old + 0.5 * rate : rate, std::memory_order_relaxed);
  }
  StartRun run{&r};
  with_registers_spilled(
      [](void* ctx, const void* sp) { start_stopped(*static_cast<StartRun*>(ctx), sp); }, &run);
  sched::wake_background(g_mark_job);
}

bool try_terminate_locked(RuntimeState& r, bool unbounded) {
  if (!concurrent_mark_running()) return false;
  TerminateRun run{&r, unbounded};
  with_registers_spilled(
      [](void* ctx, const void* sp) { terminate_stopped(*static_cast<TerminateRun*>(ctx), sp); },
      &run);
  if (!run.done) {
    sched::wake_background(g_mark_job);
    return false;
  }
  CycleRecord& c = r.current;
  double secs = static_cast<double>(c.mark_ns) / 1e9;
  if (secs > 0) {
    double rate = static_cast<double>(r.mark->bytes_scanned.load()) / secs;
    double old = r.mark_rate.load(std::memory_order_relaxed);
    r.mark_rate.store(old > 0 ? 0.5 * old + 0.5 * rate : rate, std::memory_order_relaxed);
  }
  update_pacer(r, c.marked);  // again, with the new rates
  c.next_goal = r.goal.load();
  r.mark.reset();
  end_cycle(r, c, c.stw_ns + c.final_ns + c.assist_ns + c.background_ns);
  return true;
}

void pause_background_marking(bool paused) {
  g_background_paused.store(paused, std::memory_order_relaxed);
  if (!paused) sched::wake_background(g_mark_job);
}

namespace {

// A wait for a mark that does not end is a hang waiting to be reported:
// say what the mark is doing, once, so the report can be read (the fuzzer
// saw one such wait, rarely; tests/fuzz/crashes/README.md).
void warn_slow_mark(RuntimeState& r, uint64_t waited_ns, unsigned windows) {
  MarkState* m = r.mark.get();
  fprintf(stderr,
          "gcmap: warning: a cycle waited %.1f s for its concurrent mark to end: "
          "mark %s, full work buffers %u, active markers %u, roots claimed %d, "
          "termination windows tried %u, background slices %llu, background paused %d\n",
          static_cast<double>(waited_ns) / 1e9, m != nullptr ? "running" : "none",
          m != nullptr ? m->pool.full_count() : 0u, m != nullptr ? m->pool.active_count() : 0u,
          m != nullptr ? static_cast<int>(m->roots_claimed()) : -1, windows,
          static_cast<unsigned long long>(r.background_slices.load(std::memory_order_relaxed)),
          static_cast<int>(g_background_paused.load(std::memory_order_relaxed)));
  fflush(stderr);
}

}  // namespace

unsigned concurrent_cycle_and_wait(bool fresh) {
  RuntimeState& r = rt();
  unsigned windows = 0;
  const uint64_t t0 = base::now_ns();
  bool warned = false;
  // A mark already running started before the call: with `fresh`, let it
  // end first, then run one that starts now.
  for (bool started = false;;) {
    {
      std::unique_lock<std::mutex> lock(r.cycle_mu, std::defer_lock);
      lock_cycle(r, lock);
      if (!warned && base::now_ns() - t0 > 10'000'000'000) {
        warned = true;
        warn_slow_mark(r, base::now_ns() - t0, windows);
      }
      if (!concurrent_mark_running()) {
        if (started) return windows;
        start_concurrent_locked(r);
        started = true;
      } else if (r.mark->pool.nothing_left() && r.mark->roots_claimed()) {
        // Only when the background has run dry: a termination window before
        // that would stop the world for nothing.
        if (started || !fresh) {
          started = true;
          ++windows;
          if (try_terminate_locked(r, false)) return windows;
        } else {
          try_terminate_locked(r, false);  // the old mark; then a fresh one
        }
      }
    }
    // Let the background mark between termination attempts.
    sched::BlockingRegion waiting;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

void request_cycle() {
  {
    std::lock_guard<std::mutex> g(g_ctl->mu);
    if (g_ctl->cycle_requested) return;
    g_ctl->cycle_requested = true;
  }
  g_ctl->cv.notify_one();
}

void notify_mark_idle() {
  {
    std::lock_guard<std::mutex> g(g_ctl->mu);
    g_ctl->mark_idle = true;
  }
  g_ctl->cv.notify_one();
}

void start_controller() {
  // Go gives background marking a quarter of the CPU and idle processors on
  // top. We cannot see idle processors, so on small machines the share is at
  // least one whole core: on two cores a quarter is half a core, and the
  // mark would then lean on assists, which cost request latency.
  RuntimeState& rs = rt();
  double share = rs.config.mark_cpu;
  if (share <= 0) {
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    share = std::max(0.25, 1.0 / cores);
  }
  sched::start_background(g_mark_job, share);
  std::thread([] {
    RuntimeState& r = rt();
    for (;;) {
      bool start = false, idle = false;
      {
        std::unique_lock<std::mutex> g(g_ctl->mu);
        // While marking, look again now and then: an idle notice can be
        // missed when the last work arrived from a barrier flush.
        g_ctl->cv.wait_for(g, std::chrono::milliseconds(concurrent_mark_running() ? 5 : 100),
                           [] { return g_ctl->cycle_requested || g_ctl->mark_idle; });
        start = g_ctl->cycle_requested;
        idle = g_ctl->mark_idle;
        g_ctl->cycle_requested = false;
        g_ctl->mark_idle = false;
      }
      std::unique_lock<std::mutex> lock(r.cycle_mu);
      if (concurrent_mark_running()) {
        MarkState* m = r.mark.get();
        if (idle || (m->pool.nothing_left() && m->roots_claimed())) try_terminate_locked(r, false);
      } else if (start) {
        uint64_t live = alloc::Heap::get().counters().heap_live.load(std::memory_order_relaxed);
        if (live >= r.trigger.load(std::memory_order_relaxed)) start_concurrent_locked(r);
      }
    }
  }).detach();
}

void assist(ThreadState* ts) {
  uint64_t cached = ts->tcache->bytes_cached;
  uint64_t delta = cached - ts->assist_seen;
  ts->assist_seen = cached;
  if (!concurrent_mark_running()) {
    ts->assist_debt = 0;
    return;
  }
  MarkState* m = g_current_mark.load(std::memory_order_acquire);
  if (m == nullptr) return;
  ts->assist_debt += static_cast<int64_t>(static_cast<double>(delta) *
                                          g_assist_ratio.load(std::memory_order_relaxed));
  if (ts->assist_debt <= 0) return;
  // Pay from the background's credit first.
  int64_t credit = g_bg_credit.load(std::memory_order_relaxed);
  while (credit > 0) {
    int64_t take = std::min(credit, ts->assist_debt);
    if (g_bg_credit.compare_exchange_weak(credit, credit - take, std::memory_order_relaxed)) {
      ts->assist_debt -= take;
      break;
    }
  }
  if (ts->assist_debt <= 0) return;
  uint64_t t0 = base::now_ns();
  DrainLimits limits;
  limits.max_scan_bytes = static_cast<uint64_t>(std::min(ts->assist_debt, kMaxAssistScan));
  MarkCounters did;
  DrainResult res = mark_drain(*m, limits, &did);
  ts->assist_debt -= static_cast<int64_t>(did.bytes_scanned);
  // No work to take: the background holds it all or it is done; the debt
  // cannot be paid now, so it is forgiven rather than spun on.
  if (res != DrainResult::kStopped) ts->assist_debt = 0;
  if (res == DrainResult::kDone) notify_mark_idle();
  RuntimeState* r = rt_if_started();
  if (r != nullptr) {
    r->assist_ns.fetch_add(base::now_ns() - t0, std::memory_order_relaxed);
    update_assist_ratio(*r, *m);
  }
}

void flush_barrier_buffer(BarrierBuffer& b) {
  MarkState* m = g_current_mark.load(std::memory_order_acquire);
  if (m == nullptr || b.n == 0) {
    b.n = 0;
    return;
  }
  MarkCounters c;
  GcWork gcw(m->pool);
  MarkingVisitor v(gcw, c);
  for (uint32_t i = 0; i < b.n; ++i) v.grey(reinterpret_cast<const void*>(b.ptrs[i]));
  b.n = 0;
  gcw.flush_to_pool();
  m->add(c);
  if (c.objects_marked != 0 && !sched::this_thread_is_stopper()) sched::wake_background(g_mark_job);
}

}  // namespace gcmap::gc::detail
