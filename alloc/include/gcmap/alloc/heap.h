// The heap: spans from a dedicated jemalloc arena, central span lists per
// span class, large objects, sweeping and accounting. This is the interface
// the collector uses; it knows nothing of tracing.
//
// Sweeping follows Go's sweepgen scheme. The heap's sweepgen grows by 2 at
// every start_sweep_cycle() (called by the collector, with the world stopped,
// after marking). Each central list keeps its spans in sets indexed by the
// parity of sweepgen/2, so flipping sweepgen turns every "swept" set into the
// "unswept" one without touching a span. A span popped from an unswept set
// belongs to whoever popped it; that thread sweeps it and pushes it to a
// swept set (or gives it back to jemalloc if it is empty). Allocation sweeps
// lazily (a refill pops unswept spans before mapping new ones) and a
// background sweeper calls sweep_one(); finish_sweep() completes the cycle.
//
// Nothing here may be called while a thread cache is being used by another
// thread: flush_cache() of a foreign cache is only legal with that thread stopped.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gcmap/alloc/span.h"
#include "gcmap/alloc/stats.h"

namespace gcmap::alloc {

struct TCache;

// Called for every dead object of a span with needs_finalize set, before its
// slot is freed: (object start, its type index, the hook's context).
using FreeHook = FreeHookFn;

struct HeapOptions {
  // Fill freed slots with kPoisonByte (and ASan-poison them in ASan builds),
  // so that a use after sweep reads garbage or traps.
  bool poison_freed = false;
  // jemalloc decay for the heap's arena, in ms (-1: jemalloc's default).
  long dirty_decay_ms = -1;
  long muzzy_decay_ms = -1;
  // Purge on jemalloc's background thread (one, `background_thread:true`)
  // instead of inline in whichever mallocx/dallocx crosses a decay step:
  // an inline purge (madvise of many pages) inside a mutator's span refill
  // holds up a stop for hundreds of microseconds. Left alone when MALLOC_CONF
  // names background_thread: the service's own setting wins.
  bool background_purge = true;
};

// Whether a jemalloc configuration string (MALLOC_CONF's syntax) sets
// background_thread itself.
bool malloc_conf_sets_background_thread(const char* conf);

class Heap {
 public:
  // The process-wide heap (created on first use, never destroyed).
  static Heap& get();
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;

  void configure(const HeapOptions& o);
  const HeapOptions& options() const { return options_; }
  void set_free_hook(FreeHook hook, void* ctx);

  // Small objects: give tc a swept span of `spanclass` with a free slot,
  // returning the previous one to its central list. Sweeps lazily.
  Span* refill(TCache& tc, uint32_t spanclass);
  // Return every span of tc to the central lists.
  void flush_cache(TCache& tc);

  // A large object (size > kMaxSmallSize) in a span of its own, zeroed.
  // Returns its address; *span_out gets the span.
  void* alloc_large(size_t size, bool noscan, Span** span_out);

  // Sweeping.
  uint32_t sweepgen() const { return sweepgen_.load(std::memory_order_acquire); }
  // World stopped, every cache flushed, previous cycle fully swept: every
  // in-use span becomes unswept.
  void start_sweep_cycle();
  // Sweep one unswept span; false when none is left to claim.
  bool sweep_one();
  // Sweep until every span is swept (and wait for sweeps other threads claimed).
  void finish_sweep();
  bool sweep_done() const { return unswept_.load(std::memory_order_acquire) == 0; }
  uint64_t unswept_spans() const { return unswept_.load(std::memory_order_relaxed); }

  // Visit every in-use span (world stopped, caches flushed): for the
  // collector's verifier and tests.
  template <class F>
  void for_each_span(F&& f);

  // Accounting.
  HeapCounters& counters() { return counters_; }
  HeapStats stats() const;
  // The collector sets heap_live to the marked bytes at the end of a mark.
  void set_heap_marked(uint64_t bytes);

  // Ask jemalloc to return the arena's unused dirty pages to the OS now.
  void purge();

  unsigned arena_index();

 private:
  Heap();
  struct Impl;
  Impl* impl_;
  HeapOptions options_;
  FreeHook free_hook_ = nullptr;
  void* free_hook_ctx_ = nullptr;
  std::atomic<uint32_t> sweepgen_{2};
  std::atomic<uint64_t> unswept_{0};
  HeapCounters counters_;

  friend struct SweepAccess;
  void for_each_span_impl(void (*f)(Span*, void*), void* ctx);
};

template <class F>
void Heap::for_each_span(F&& f) {
  for_each_span_impl([](Span* s, void* c) { (*static_cast<F*>(c))(s); }, &f);
}

}  // namespace gcmap::alloc
