// Stop-the-world round trip: from the stop request until every mutator runs
// again (sched's own pause histogram), with 1, 2, 4 and 8 attached mutators
// that poll after every ~1 us of work. Each iteration is one empty stop; the
// next stop starts only once the previous one's pause is recorded, so stops
// never overlap. Reports p50, p99 and max of the pause and of the
// time-to-safepoint as counters (microseconds), and a table at the end.
// Between stops the stopper sleeps, as a collector thread would between
// cycles; the mutators run meanwhile (at least the timer slack, ~50 us).
//
// Run: build/release/bench/sched/sched_bench   (GCMAP_BENCH_STOPS=1000 for a quick look)
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "gcmap/base/clock.h"
#include "gcmap/sched/safepoint.h"
#include "gcmap/sched/stw.h"

namespace {

using namespace gcmap;

// Loop iterations that take about 1 us on this machine.
uint64_t iterations_per_us() {
  static const uint64_t n = [] {
    volatile uint64_t sink = 0;
    constexpr uint64_t kProbe = 10'000'000;
    uint64_t start = base::now_ns();
    for (uint64_t i = 0; i < kProbe; ++i) sink = sink + i;
    uint64_t ns = base::now_ns() - start;
    return std::max<uint64_t>(1, kProbe * 1000 / std::max<uint64_t>(ns, 1));
  }();
  return n;
}

struct Row {
  double p50, p99, max, tts_p50, tts_p99, tts_max;
  uint64_t stops;
};
std::map<int, Row> g_rows;

void BM_StopTheWorldRoundTrip(benchmark::State& state) {
  const int mutators = static_cast<int>(state.range(0));
  const uint64_t work = iterations_per_us();
  std::atomic<bool> done{false};
  std::unique_ptr<std::atomic<uint64_t>[]> progress(new std::atomic<uint64_t>[mutators]);
  std::vector<std::thread> threads;
  for (int i = 0; i < mutators; ++i) {
    progress[i] = 0;
    threads.emplace_back([&, i] {
      sched::MutatorScope attach;
      volatile uint64_t sink = 0;
      while (!done.load(std::memory_order_relaxed)) {
        for (uint64_t k = 0; k < work; ++k) sink = sink + k;
        progress[i].fetch_add(1, std::memory_order_relaxed);
        sched::safepoint_poll();
      }
    });
  }
  for (int i = 0; i < mutators; ++i) {
    while (progress[i].load() == 0) std::this_thread::yield();
  }

  const base::Histogram& pauses = sched::pause_stats().pauses;
  const base::Histogram& tts = sched::pause_stats().time_to_safepoint;
  sched::reset_pause_stats_for_testing();
  for (auto _ : state) {
    uint64_t recorded = pauses.count();
    { sched::WorldStop stop("bench"); }
    // Sleep (not spin) until the last mutator ran again: a stopper spinning
    // here would hold a core that a woken mutator needs, on 2 cores.
    while (pauses.count() == recorded) std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
  done = true;
  for (auto& t : threads) t.join();

  auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  Row row{us(pauses.percentile(0.5)),
          us(pauses.percentile(0.99)),
          us(pauses.max()),
          us(tts.percentile(0.5)),
          us(tts.percentile(0.99)),
          us(tts.max()),
          pauses.count()};
  g_rows[mutators] = row;
  state.counters["p50_us"] = row.p50;
  state.counters["p99_us"] = row.p99;
  state.counters["max_us"] = row.max;
  state.counters["tts_p50_us"] = row.tts_p50;
  state.counters["tts_p99_us"] = row.tts_p99;
  state.counters["stops"] = static_cast<double>(row.stops);
}

void print_table() {
  if (g_rows.empty()) return;
  printf(
      "\n| mutators | stops | pause p50 | pause p99 | pause max | tts p50 | tts p99 | tts max |\n");
  printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (auto& [m, r] : g_rows) {
    printf("| %d | %llu | %.1f us | %.1f us | %.1f us | %.1f us | %.1f us | %.1f us |\n", m,
           static_cast<unsigned long long>(r.stops), r.p50, r.p99, r.max, r.tts_p50, r.tts_p99,
           r.tts_max);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // GCMAP_BENCH_STOPS: stops per mutator count (default 10000), for quick runs.
  const char* env = getenv("GCMAP_BENCH_STOPS");
  const int64_t stops = env != nullptr ? std::max(1ll, atoll(env)) : 10'000;
  benchmark::RegisterBenchmark("BM_StopTheWorldRoundTrip", BM_StopTheWorldRoundTrip)
      ->ArgName("mutators")
      ->Arg(1)
      ->Arg(2)
      ->Arg(4)
      ->Arg(8)
      ->Iterations(stops)
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  print_table();
  benchmark::Shutdown();
  return 0;
}
