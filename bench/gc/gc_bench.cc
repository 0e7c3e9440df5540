// Full-collection pause and mark throughput on a live, pointer-dense heap,
// against Boehm GC's GC_gcollect on the same graph shape, in one process.
//
// The graph: 64-byte nodes, each with four tree children (a complete 4-ary
// tree, so every node is reachable and the work spreads across workers) and
// two random cross edges. gcmap nodes hold six Ptrs and 16 bytes of data;
// Boehm nodes are GC_MALLOC'd with the same layout.
//
// For every size: build the gcmap graph, run --reps forced collections with
// 1 and with 2 mark workers, record the pause (stop request to restart,
// from gcmap::stats) and the mark throughput (marked bytes / mark wall
// time); free it; build the Boehm graph and time GC_gcollect --reps times.
// Prints a table of medians.
//
//   build/release/bench/gc/gc_bench [--sizes-mb 64,256,1024] [--reps 5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gcmap/gc/testing.h"
#include "gcmap/gcmap.h"

#if defined(GCMAP_BENCH_BOEHM)
#include <gc/gc.h>
#endif

namespace {

constexpr int kChildren = 4;
constexpr int kCross = 2;

struct Node : gcmap::GarbageCollected<Node> {
  gcmap::Ptr<Node> p[kChildren + kCross];
  uint64_t a = 0, b = 0;
  void trace(gcmap::Visitor& v) const { v.visit(p); }
};

struct BoehmNode {
  BoehmNode* p[kChildren + kCross];
  uint64_t a, b;
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Link nodes[] as a 4-ary tree plus random cross edges (same for both systems).
template <class N, class Set>
void link(std::vector<N*>& nodes, Set set) {
  std::mt19937_64 rng(42);
  size_t n = nodes.size();
  for (size_t i = 0; i < n; ++i) {
    for (int c = 0; c < kChildren; ++c) {
      size_t child = i * kChildren + 1 + c;
      if (child < n) set(nodes[i], c, nodes[child]);
    }
    for (int c = 0; c < kCross; ++c) set(nodes[i], kChildren + c, nodes[rng() % n]);
  }
}

struct Row {
  size_t mb;
  double pause1_ms, pause2_ms, tput1, tput2, boehm_ms;
};

Row run_size(size_t mb, int reps) {
  Row row{mb, 0, 0, 0, 0, 0};
  const size_t n = mb * 1024 * 1024 / sizeof(Node);
  {
    gcmap::ThreadScope attach;
    int old = gcmap::set_gc_percent(-1);  // nothing to collect while building
    std::vector<Node*> nodes(n);
    for (auto& p : nodes) p = gcmap::make<Node>();
    link(nodes, [](Node* x, int i, Node* y) { x->p[i] = y; });
    gcmap::Root<Node> root(nodes[0]);
    nodes.clear();
    nodes.shrink_to_fit();
    gcmap::collect();  // sweep construction leftovers

    for (unsigned workers : {1u, 2u}) {
      gcmap::testing::set_mark_workers(workers);
      std::vector<double> pauses, tputs;
      for (int r = 0; r < reps; ++r) {
        gcmap::Stats before = gcmap::stats();
        gcmap::collect();
        gcmap::Stats after = gcmap::stats();
        double pause_ms = (after.gc_pauses.total_ns - before.gc_pauses.total_ns) / 1e6;
        double mark_s = (after.mark_ns_total - before.mark_ns_total) / 1e9;
        double marked_mb = (after.bytes_marked_total - before.bytes_marked_total) / 1048576.0;
        pauses.push_back(pause_ms);
        tputs.push_back(marked_mb / mark_s);
      }
      (workers == 1 ? row.pause1_ms : row.pause2_ms) = median(pauses);
      (workers == 1 ? row.tput1 : row.tput2) = median(tputs);
    }
    gcmap::testing::set_mark_workers(0);
    root.reset();
    gcmap::testing::collect_precise();
    gcmap::set_gc_percent(old);
  }
#if defined(GCMAP_BENCH_BOEHM)
  {
    GC_disable();
    std::vector<BoehmNode*> nodes(n);
    for (auto& p : nodes) p = static_cast<BoehmNode*>(GC_MALLOC(sizeof(BoehmNode)));
    link(nodes, [](BoehmNode* x, int i, BoehmNode* y) { x->p[i] = y; });
    static BoehmNode* volatile boehm_root;  // a root in the data segment
    boehm_root = nodes[0];
    nodes.clear();
    nodes.shrink_to_fit();
    GC_enable();
    GC_gcollect();
    std::vector<double> pauses;
    for (int r = 0; r < reps; ++r) {
      double t = now_s();
      GC_gcollect();
      pauses.push_back((now_s() - t) * 1e3);
    }
    row.boehm_ms = median(pauses);
    boehm_root = nullptr;
    GC_gcollect();
  }
#endif
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes = {64, 256, 1024};
  int reps = 5;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--sizes-mb") && i + 1 < argc) {
      sizes.clear();
      for (char* tok = std::strtok(argv[++i], ","); tok; tok = std::strtok(nullptr, ",")) {
        sizes.push_back(std::strtoull(tok, nullptr, 10));
      }
    } else if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: gc_bench [--sizes-mb 64,256,1024] [--reps 5]\n");
      return 2;
    }
  }
#if defined(GCMAP_BENCH_BOEHM)
  GC_INIT();
#endif
  std::printf(
      "| live heap | gcmap pause, 1 worker | gcmap pause, 2 workers | gcmap mark MB/s, 1 w "
      "| gcmap mark MB/s, 2 w | Boehm GC_gcollect | gcmap(2w) / Boehm |\n");
  std::printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  for (size_t mb : sizes) {
    Row r = run_size(mb, reps);
    std::printf("| %zu MB | %.1f ms | %.1f ms | %.0f | %.0f | %.1f ms | %.2f |\n", r.mb,
                r.pause1_ms, r.pause2_ms, r.tput1, r.tput2, r.boehm_ms,
                r.boehm_ms > 0 ? r.pause2_ms / r.boehm_ms : 0.0);
    std::fflush(stdout);
  }
  return 0;
}
