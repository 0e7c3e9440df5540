// Allocation throughput: gcmap's allocator against jemalloc's malloc/free
// and Boehm GC's GC_MALLOC, in one binary, for 16..1024-byte objects on 1 and
// 2 threads.
//
//   BM_Alloc*        allocation only: a batch of kBatch objects per
//                    iteration is timed; dropping the batch is not (gcmap:
//                    an unmarked sweep cycle finished outside the timer;
//                    jemalloc: free() of the batch outside the timer).
//   BM_AllocDrop*    allocate a batch, then drop it, both timed: gcmap pays
//                    its flip and lazy sweep inside the timed region, jemalloc
//                    its free() calls, Boehm its collections.
//
// Run: build/release/bench/alloc/alloc_bench --benchmark_repetitions=5
//        --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <jemalloc/jemalloc.h>

#include <barrier>
#include <cstring>
#include <memory>
#include <vector>

#include "gcmap/alloc/heap.h"
#include "gcmap/alloc/sizeclass.h"
#include "gcmap/alloc/tcache.h"

#if defined(GCMAP_BENCH_BOEHM)
#define GC_THREADS
#include <gc/gc.h>
#endif

namespace {

using namespace gcmap::alloc;

constexpr int kBatch = 4096;

inline void* gcmap_alloc(uint32_t sc, size_t size) {
  Span* s;
  uint32_t idx;
  void* p = try_alloc_fast(sc, &s, &idx);
  if (__builtin_expect(p == nullptr, 0)) p = alloc_small_slow(t_tcache, sc, &s, &idx);
  prepare_slot(p, size);
  return p;
}

// All benchmark threads meet here between batches.
std::unique_ptr<std::barrier<>> g_barrier;

void setup_barrier(const benchmark::State& state) {
  if (state.thread_index() == 0) g_barrier = std::make_unique<std::barrier<>>(state.threads());
}

// Drop everything allocated so far, as a collection that marks nothing would:
// every thread flushes its cache, thread 0 finishes the previous sweep and
// flips; with `finish` it also sweeps everything now, else allocation sweeps
// lazily.
void drop_all(const benchmark::State& state, bool finish) {
  Heap& h = Heap::get();
  h.flush_cache(t_tcache);
  g_barrier->arrive_and_wait();
  if (state.thread_index() == 0) {
    h.finish_sweep();
    h.start_sweep_cycle();
    if (finish) h.finish_sweep();
  }
  g_barrier->arrive_and_wait();
}

void BM_Alloc_gcmap(benchmark::State& state) {
  const size_t size = state.range(0);
  const uint32_t sc = make_span_class(size_to_class(size), false);
  setup_barrier(state);
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) benchmark::DoNotOptimize(gcmap_alloc(sc, size));
    state.PauseTiming();
    drop_all(state, true);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_Alloc_jemalloc(benchmark::State& state) {
  const size_t size = state.range(0);
  std::vector<void*> batch(kBatch);
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      batch[i] = malloc(size);
      benchmark::DoNotOptimize(batch[i]);
    }
    state.PauseTiming();
    for (void* p : batch) free(p);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_AllocDrop_gcmap(benchmark::State& state) {
  const size_t size = state.range(0);
  const uint32_t sc = make_span_class(size_to_class(size), false);
  setup_barrier(state);
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) benchmark::DoNotOptimize(gcmap_alloc(sc, size));
    // Timed: the flip, and the lazy sweeping the next batch's refills do.
    drop_all(state, false);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_AllocDrop_jemalloc(benchmark::State& state) {
  const size_t size = state.range(0);
  std::vector<void*> batch(kBatch);
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      batch[i] = malloc(size);
      std::memset(batch[i], 0, size);  // gcmap hands out zeroed memory: same work
      benchmark::DoNotOptimize(batch[i]);
    }
    for (void* p : batch) free(p);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

#if defined(GCMAP_BENCH_BOEHM)
struct BoehmThread {
  explicit BoehmThread(const benchmark::State& state) : registered(state.thread_index() != 0) {
    if (registered) {
      GC_stack_base sb;
      GC_get_stack_base(&sb);
      GC_register_my_thread(&sb);
    }
  }
  ~BoehmThread() {
    if (registered) GC_unregister_my_thread();
  }
  bool registered;
};

void BM_AllocDrop_boehm(benchmark::State& state) {
  BoehmThread reg(state);
  const size_t size = state.range(0);
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) benchmark::DoNotOptimize(GC_MALLOC(size));
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
#endif

#define SIZES Arg(16)->Arg(64)->Arg(256)->Arg(1024)
BENCHMARK(BM_Alloc_gcmap)->SIZES->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_Alloc_jemalloc)->SIZES->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_AllocDrop_gcmap)->SIZES->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_AllocDrop_jemalloc)->SIZES->Threads(1)->Threads(2)->UseRealTime();
#if defined(GCMAP_BENCH_BOEHM)
BENCHMARK(BM_AllocDrop_boehm)->SIZES->Threads(1)->Threads(2)->UseRealTime();
#endif

}  // namespace

int main(int argc, char** argv) {
#if defined(GCMAP_BENCH_BOEHM)
  GC_INIT();
  GC_allow_register_threads();
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
