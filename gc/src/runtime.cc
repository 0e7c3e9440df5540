// The runtime: start-up, attaching threads, the allocation slow path, the
// public collect/stats/knobs.
//
// The runtime is a lazily created global (never destroyed: objects and
// threads may outlive static destructors). It starts on the first
// ThreadScope, collect(), stats() or explicit init(), reading the
// environment unless init() gave a Config.
#include <pthread.h>

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "collector.h"
#include "concurrent.h"
#include "gcmap/alloc/heap.h"
#include "gcmap/alloc/pagemap.h"
#include "gcmap/base/clock.h"
#include "gcmap/gc/runtime.h"
#include "gcmap/gc/testing.h"
#include "gcmap/sched/config.h"
#include "gcmap/sched/fork.h"
#include "gcmap/sched/mutator.h"
#include "gcmap/sched/safepoint.h"
#include "gcmap/sched/stw.h"
#include "gcmap/sched/workers.h"
#include "roots.h"
#include "runtime_state.h"
#include "stackscan.h"
#include "sweeper.h"
#include "threadstate.h"

namespace gcmap {
namespace gc::detail {

bool in_finalizer();

namespace {

std::atomic<RuntimeState*> g_rt{nullptr};
std::once_flag g_start_once;

void on_attach(sched::Mutator& m) {
  auto* ts = new ThreadState();
  ts->mutator = &m;
  ts->tcache = &alloc::t_tcache;
  ts->fake_stack = current_fake_stack();
  ts->assist_seen = alloc::t_tcache.bytes_cached;
  alloc::t_tcache.attached = true;
  m.context = ts;
  t_gc_state = ts;
}

void on_detach(sched::Mutator& m) {
  auto* ts = static_cast<ThreadState*>(m.context);
  if (ts == nullptr) return;
  // Still counted as running: a mark in progress gets this thread's shaded
  // pointers and black bytes before it goes.
  flush_barrier_buffer(ts->wb);
  g_black_bytes_detached.fetch_add(ts->black_bytes, std::memory_order_relaxed);
  alloc::Heap::get().flush_cache(*ts->tcache);
  alloc::t_tcache.attached = false;
  m.context = nullptr;
  t_gc_state = nullptr;
  delete ts;
}

// In a fork() child (sched/fork.h) the thread's cached spans are dropped, so
// its next allocation takes the slow path, which fails with the fork
// message instead of allocating from a heap whose collector is gone.
void forget_cache_in_fork_child() {
  alloc::t_tcache = alloc::detail::make_empty_tcache();
}

void start(const Config& config) {
  pthread_atfork(nullptr, nullptr, forget_cache_in_fork_child);
  Config c = config;
  std::string warning;
  c.gc_workers = config::effective_workers(c.gc_workers, sched::available_cpus(), &warning);
  if (!warning.empty()) fprintf(stderr, "%s\n", warning.c_str());
  // gctrace's first line: the settings in force, so a trace says what it ran with.
  if (c.gctrace) fprintf(stderr, "gcmap: config %s\n", format_config(c).c_str());
  auto* r = new RuntimeState();
  r->config = c;
  r->start_ns = base::now_ns();
  r->gc_percent.store(c.gc_percent);
  r->memory_limit.store(c.memory_limit);

  sched::Config sc;
  sc.workers = c.gc_workers;
  sc.max_pause_ns = c.max_pause_ns;
  sched::init(sc);
  sched::set_mutator_hooks({on_attach, on_detach});

  alloc::Heap& heap = alloc::Heap::get();
  alloc::HeapOptions ho = heap.options();
  ho.poison_freed = c.verify;
  heap.configure(ho);

  update_pacer(*r, 0);
  g_rt.store(r, std::memory_order_release);
  start_sweeper();
  start_controller();
}

}  // namespace

void check_usable(const char* what) {
  if (GCMAP_UNLIKELY(sched::in_forked_child())) sched::fatal_in_forked_child(what);
}

RuntimeState& rt() {
  RuntimeState* r = g_rt.load(std::memory_order_acquire);
  if (GCMAP_LIKELY(r != nullptr)) return *r;
  std::call_once(g_start_once, [] { start(Config::from_env()); });
  return *g_rt.load(std::memory_order_acquire);
}

RuntimeState* rt_if_started() {
  return g_rt.load(std::memory_order_acquire);
}

void update_pacer(RuntimeState& r, uint64_t marked) {
  alloc::HeapStats hs = alloc::Heap::get().stats();
  PacerInput in;
  in.marked = marked;
  in.gc_percent = r.gc_percent.load(std::memory_order_relaxed);
  in.memory_limit = r.memory_limit.load(std::memory_order_relaxed);
  // What the heap holds beyond live objects: free slots in spans and metadata.
  in.overhead =
      (hs.span_bytes > hs.heap_live ? hs.span_bytes - hs.heap_live : 0) + hs.metadata_bytes;
  PacerGoal g = compute_goal(in);
  uint64_t trigger = g.goal;
  if (r.config.concurrent) {
    trigger = compute_trigger({marked, g.goal, r.mark_rate.load(std::memory_order_relaxed),
                               r.alloc_rate.load(std::memory_order_relaxed)});
  }
  r.goal.store(g.goal, std::memory_order_relaxed);
  r.trigger.store(trigger, std::memory_order_relaxed);
  r.limit_bound.store(g.limit_bound, std::memory_order_relaxed);
}

namespace {

// The torture mode's cycle: with the concurrent collector, alternately start
// a mark and try to end it, on this thread, so every phase meets every kind
// of allocation.
void torture(RuntimeState& r) {
  if (!r.config.concurrent) {
    run_cycle(false, r.cycles.load(std::memory_order_acquire));
    return;
  }
  std::unique_lock<std::mutex> lock(r.cycle_mu, std::defer_lock);
  lock_cycle(r, lock);
  if (concurrent_mark_running()) {
    try_terminate_locked(r, false);
  } else {
    start_concurrent_locked(r);
  }
}

void maybe_collect(ThreadState* ts) {
  RuntimeState& r = rt();
  if (r.config.torture_every != 0 && ++ts->torture_count >= r.config.torture_every) {
    ts->torture_count = 0;
    torture(r);
    return;
  }
  if (concurrent_mark_running()) {
    assist(ts);
    return;
  }
  // Allocation outside a mark owes nothing: move the assist baseline along.
  ts->assist_seen = ts->tcache->bytes_cached;
  uint64_t live = alloc::Heap::get().counters().heap_live.load(std::memory_order_relaxed);
  if (live < r.trigger.load(std::memory_order_relaxed)) return;
  if (r.config.concurrent) {
    request_cycle();
  } else {
    run_cycle(false, r.cycles.load(std::memory_order_acquire));
  }
}

ThreadState* checked_state() {
  if (GCMAP_UNLIKELY(sched::in_forked_child())) sched::fatal_in_forked_child("allocation");
  GCMAP_CHECK(!in_finalizer(),
              "allocation from a destructor run by the sweeper: destructors of collected "
              "objects must not allocate or touch other collected objects");
  GCMAP_CHECK(alloc::t_tcache.attached,
              "allocation from a thread that is not attached to the gcmap runtime; "
              "create a gcmap::ThreadScope on this thread first");
  return current_thread_state();
}

}  // namespace

void* alloc_slow(uint32_t spanclass, alloc::Span** span, uint32_t* index) {
  ThreadState* ts = checked_state();
  sched::safepoint_poll();
  maybe_collect(ts);
  void* p = alloc::alloc_small_slow(alloc::t_tcache, spanclass, span, index);
  // Torture mode sends every allocation through here, so it can count them.
  if (GCMAP_UNLIKELY(rt().config.torture_every != 0)) (*span)->alloc_cache = 0;
  return p;
}

void* alloc_large(size_t size, bool noscan, uint16_t type, bool finalize) {
  ThreadState* ts = checked_state();
  sched::safepoint_poll();
  maybe_collect(ts);
  alloc::Span* s = nullptr;
  void* p = alloc::Heap::get().alloc_large(size, noscan, &s);
  s->types[0] = type;
  if (finalize) s->needs_finalize = true;
  if (marking_active()) mark_new_object(s, 0);
  return p;
}

void mark_new_object(alloc::Span* span, uint32_t index) {
  if (span->try_mark(index)) {
    if (ThreadState* ts = t_gc_state) ts->black_bytes += span->elemsize;
  }
}

void throw_object_too_large(size_t type_size, size_t extra) {
  throw ObjectTooLarge(type_size, extra);
}

void abandon_object(void* p) {
  alloc::ObjectRef r;
  if (alloc::find_object(reinterpret_cast<uintptr_t>(p), &r)) r.span->types[r.index] = kRawType;
}

}  // namespace gc::detail

ObjectTooLarge::ObjectTooLarge(size_t type_size, size_t extra) noexcept
    : type_size_(type_size), extra_(extra) {
  if (extra > SIZE_MAX - type_size) {
    std::snprintf(what_, sizeof what_,
                  "gcmap::make: an object of %zu + %zu bytes (sizeof(T) + AdditionalBytes) "
                  "overflows size_t; the largest object is %zu bytes (alloc::kMaxObjectSize)",
                  type_size, extra, limit());
  } else {
    std::snprintf(what_, sizeof what_,
                  "gcmap::make: an object of %zu bytes (sizeof(T) %zu + AdditionalBytes %zu) is "
                  "over the largest object, %zu bytes (alloc::kMaxObjectSize)",
                  type_size + extra, type_size, extra, limit());
  }
}

using gc::detail::rt;
using gc::detail::RuntimeState;

ThreadScope::Start::Start() {
  gc::detail::check_usable("ThreadScope");
  rt();
}

void init(const Config& config) {
  gc::detail::check_usable("init()");
  bool started_now = false;
  std::call_once(gc::detail::g_start_once, [&] {
    gc::detail::start(config);
    started_now = true;
  });
  GCMAP_CHECK(started_now,
              "gcmap::init() called after the runtime had started (it must come before any "
              "ThreadScope, make<T>, Root or collect)");
}

bool initialized() {
  return gc::detail::rt_if_started() != nullptr;
}

const Config& current_config() {
  return rt().config;
}

void collect() {
  gc::detail::check_usable("collect()");
  RuntimeState& r = rt();
  gc::detail::run_cycle(true, r.cycles.load());
  alloc::Heap::get().finish_sweep();
}

void collect_concurrent() {
  gc::detail::check_usable("collect_concurrent()");
  rt();
  gc::detail::concurrent_cycle_and_wait(true);
  alloc::Heap::get().finish_sweep();
}

namespace testing {

void collect_precise() {
  gc::detail::check_usable("testing::collect_precise()");
  RuntimeState& r = rt();
  gc::detail::run_cycle(true, r.cycles.load(), /*scan_own_stack=*/false);
  alloc::Heap::get().finish_sweep();
}

void set_after_mark_hook(std::function<void()> hook) {
  RuntimeState& r = rt();
  std::lock_guard<std::mutex> g(r.cycle_mu);
  r.after_mark_hook = std::move(hook);
}

unsigned concurrent_cycle() {
  gc::detail::check_usable("testing::concurrent_cycle()");
  return gc::detail::concurrent_cycle_and_wait(false);
}

void start_concurrent_mark() {
  gc::detail::check_usable("testing::start_concurrent_mark()");
  RuntimeState& r = rt();
  std::unique_lock<std::mutex> lock(r.cycle_mu, std::defer_lock);
  gc::detail::lock_cycle(r, lock);
  if (!gc::detail::concurrent_mark_running()) gc::detail::start_concurrent_locked(r);
}

void finish_concurrent_mark() {
  RuntimeState& r = rt();
  {
    std::unique_lock<std::mutex> lock(r.cycle_mu, std::defer_lock);
    gc::detail::lock_cycle(r, lock);
    gc::detail::try_terminate_locked(r, /*unbounded=*/true);
  }
  alloc::Heap::get().finish_sweep();
}

void pause_background_marking(bool paused) {
  gc::detail::pause_background_marking(paused);
}

bool shaded(const void* p) {
  alloc::ObjectRef ref;
  if (!alloc::find_object(reinterpret_cast<uintptr_t>(p), &ref)) return false;
  if (ref.span->is_marked(ref.index)) return true;
  if (gc::detail::ThreadState* ts = gc::detail::current_thread_state()) {
    for (uint32_t i = 0; i < ts->wb.n; ++i) {
      alloc::ObjectRef o;
      if (alloc::find_object(ts->wb.ptrs[i], &o) && o.start == ref.start) return true;
    }
  }
  return false;
}

void reset_pause_stats() {
  rt().gc_pauses.reset();
  sched::reset_pause_stats_for_testing();
}

bool marking_active() {
  return gc::detail::concurrent_mark_running();
}

void set_mark_workers(unsigned n) {
  rt().mark_workers.store(n, std::memory_order_relaxed);
}

}  // namespace testing

int set_gc_percent(int percent) {
  gc::detail::check_usable("set_gc_percent()");
  RuntimeState& r = rt();
  int old = r.gc_percent.exchange(percent < 0 ? -1 : percent);
  gc::detail::update_pacer(r, alloc::Heap::get().counters().heap_marked.load());
  return old;
}

uint64_t set_memory_limit(uint64_t bytes) {
  gc::detail::check_usable("set_memory_limit()");
  RuntimeState& r = rt();
  uint64_t old = r.memory_limit.exchange(bytes);
  gc::detail::update_pacer(r, alloc::Heap::get().counters().heap_marked.load());
  return old;
}

double heap_pressure() {
  RuntimeState& r = rt();
  uint64_t goal = r.goal.load(std::memory_order_relaxed);
  if (goal == gc::detail::kNoGoal || goal == 0) return 0;
  uint64_t live = alloc::Heap::get().counters().heap_live.load(std::memory_order_relaxed);
  return static_cast<double>(live) / static_cast<double>(goal);
}

namespace {
PauseSummary summarize(const base::Histogram& h) {
  PauseSummary s;
  s.count = h.count();
  s.p50_ns = h.percentile(0.5);
  s.p99_ns = h.percentile(0.99);
  s.max_ns = h.max();
  s.total_ns = h.sum();
  return s;
}
}  // namespace

Stats stats() {
  gc::detail::check_usable("stats()");
  RuntimeState& r = rt();
  Stats s;
  s.cycles = r.cycles.load();
  s.forced_cycles = r.forced_cycles.load();
  sched::PauseStats ps = sched::pause_stats();
  s.pauses = summarize(ps.pauses);
  s.time_to_safepoint = summarize(ps.time_to_safepoint);
  s.gc_pauses = summarize(r.gc_pauses);
  alloc::HeapStats hs = alloc::Heap::get().stats();
  s.heap_live = hs.heap_live;
  s.heap_marked = hs.heap_marked;
  s.heap_goal = r.trigger.load();
  s.heap_in_use = hs.span_bytes;
  s.heap_released = hs.released_bytes;
  s.metadata_bytes = hs.metadata_bytes;
  s.bytes_marked_total = r.bytes_marked_total.load();
  s.mark_ns_total = r.mark_ns_total.load();
  s.mark_throughput_mb_s = s.mark_ns_total
                               ? static_cast<double>(s.bytes_marked_total) / (1024.0 * 1024.0) /
                                     (static_cast<double>(s.mark_ns_total) / 1e9)
                               : 0;
  s.objects_freed = hs.freed_objects;
  s.bytes_freed = hs.freed_bytes;
  uint64_t wall = base::now_ns() - r.start_ns;
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  s.gc_cpu_fraction =
      wall ? static_cast<double>(r.gc_cpu_ns.load()) / (static_cast<double>(wall) * cores) : 0;
  s.roots = gc::detail::root_count();
  return s;
}

}  // namespace gcmap
