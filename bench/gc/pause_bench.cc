// Pause times of the concurrent collector against the live heap size, while
// a mutator keeps mutating, and the mutator's throughput with marking on and
// off. One live-heap size per process (so RSS and statistics are its own):
//
//   pause_bench --live-mb 256 --seconds 10 [--gogc 25] [--threads 1]
//
// The live heap: the same graph as gc_bench (64-byte nodes, a 4-ary tree plus
// two random cross edges each), rooted. Each mutator repeatedly picks a
// random node and either relinks one of its cross edges to another random
// node (a barriered overwrite) or replaces it with a fresh node (allocation
// that becomes garbage when replaced again), so cycles keep coming and the
// barrier and assists are exercised. It counts operations in 1 ms slices and
// files each slice under "marking" or "not marking".
//
// Prints one line of key=value pairs: every GC pause (start, termination
// and failed windows) as count/p50/p99/max, cycles, ops/s while marking and
// while not, overall ops/s. Run it under GCMAP_GC_CONCURRENT=0 for the
// stop-the-world collector on the same workload.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gcmap/gc/testing.h"
#include "gcmap/gcmap.h"

namespace {

constexpr int kChildren = 4;
constexpr int kCross = 2;

struct Node : gcmap::GarbageCollected<Node> {
  gcmap::Ptr<Node> p[kChildren + kCross];
  uint64_t a = 0, b = 0;
  void trace(gcmap::Visitor& v) const { v.visit(p); }
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  size_t live_mb = 64;
  double seconds = 10;
  int gogc = 100;
  int threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--live-mb"))
      live_mb = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--seconds"))
      seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--gogc"))
      gogc = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads"))
      threads = std::atoi(argv[i + 1]);
  }
  const size_t n = live_mb * 1024 * 1024 / sizeof(Node);
  gcmap::ThreadScope attach;
  gcmap::set_gc_percent(-1);
  std::vector<Node*> nodes(n);
  for (auto& p : nodes) p = gcmap::make<Node>();
  std::mt19937_64 rng(42);
  for (size_t i = 0; i < n; ++i) {
    for (int c = 0; c < kChildren; ++c) {
      size_t child = i * kChildren + 1 + c;
      if (child < n) nodes[i]->p[c] = nodes[child];
    }
    for (int c = 0; c < kCross; ++c) nodes[i]->p[kChildren + c] = nodes[rng() % n];
  }
  gcmap::Root<Node> root(nodes[0]);
  // The mutators find nodes through the tree (a random walk from the root),
  // never through this array: it is freed before the measurement.
  nodes.clear();
  nodes.shrink_to_fit();
  gcmap::collect();
  gcmap::testing::reset_pause_stats();
  gcmap::Stats base = gcmap::stats();
  gcmap::set_gc_percent(gogc);

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ops_marking{0}, ops_idle{0}, ns_marking{0}, ns_idle{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      gcmap::ThreadScope a;
      std::mt19937_64 r(t + 1);
      while (!stop.load(std::memory_order_relaxed)) {
        bool marking = gcmap::testing::marking_active();
        auto t0 = std::chrono::steady_clock::now();
        uint64_t ops = 0;
        while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(1)) {
          for (int k = 0; k < 64; ++k, ++ops) {
            gcmap::safepoint();  // as a service polls at every request
            // A random walk of a few levels from the root.
            Node* x = root;
            int depth = 1 + static_cast<int>(r() % 8);
            for (int d = 0; d < depth && x; ++d) {
              Node* next = x->p[r() % kChildren];
              if (!next) break;
              x = next;
            }
            int slot = kChildren + static_cast<int>(r() % kCross);
            if (r() % 4 == 0) {
              x->p[slot] = gcmap::make<Node>();  // garbage once replaced
            } else {
              Node* y = root;
              for (int d = 0; d < 6 && y; ++d) {
                Node* next = y->p[r() % kChildren];
                if (!next) break;
                y = next;
              }
              x->p[slot] = y;
            }
          }
        }
        uint64_t ns = static_cast<uint64_t>(
            std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0)
                .count());
        (marking ? ops_marking : ops_idle).fetch_add(ops, std::memory_order_relaxed);
        (marking ? ns_marking : ns_idle).fetch_add(ns, std::memory_order_relaxed);
      }
    });
  }
  double t0 = now_s();
  double wall;
  {
    // This thread is attached: while it sleeps and joins, collections must
    // not wait for it.
    gcmap::BlockingRegion blocked;
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& t : ts) t.join();
    wall = now_s() - t0;
  }
  gcmap::Stats s = gcmap::stats();
  auto rate = [](uint64_t ops, uint64_t ns) { return ns ? ops / (ns / 1e9) : 0.0; };
  std::printf(
      "live_mb=%zu concurrent=%d threads=%d cycles=%lu pauses=%lu p50_us=%.1f p99_us=%.1f "
      "max_us=%.1f ttsp_max_us=%.1f ops_marking_per_s=%.0f ops_idle_per_s=%.0f "
      "ops_per_s=%.0f marking_share=%.2f heap_in_use_mb=%.0f\n",
      live_mb, gcmap::current_config().concurrent ? 1 : 0, threads, s.cycles - base.cycles,
      s.gc_pauses.count - base.gc_pauses.count, s.gc_pauses.p50_ns / 1e3, s.gc_pauses.p99_ns / 1e3,
      s.gc_pauses.max_ns / 1e3, s.time_to_safepoint.max_ns / 1e3,
      rate(ops_marking, ns_marking / threads), rate(ops_idle, ns_idle / threads),
      (ops_marking + ops_idle) / wall,
      static_cast<double>(ns_marking) / static_cast<double>(ns_marking + ns_idle + 1),
      s.heap_in_use / 1048576.0);
  return 0;
}
