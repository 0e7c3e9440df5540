// The root table: sharded blocks of nodes with free lists (cppgc keeps its
// Persistents the same way). Nodes are never returned to the system, so a
// marker reading a shard while a node is released reads a valid node.
//
// A provider's owner is another matter: it is ordinary memory that its
// owner frees right after release(). The scanner therefore takes a
// provider's node from kNodeProvider to kNodeTracing (a CAS) before it
// reads the owner pointer, and puts it back when its trace returns; release
// moves the node from kNodeProvider to kNodeFree with a CAS, waiting while a
// scanner holds it. Both are read-modify-writes of the one word, so one of
// the two comes first: either the scanner holds the node and release waits
// for its trace to end, or the node is free and the scanner skips it.
// Neither side holds a lock while it waits, and a trace only reads memory,
// so the wait is bounded by one trace (gc/README.md, "Root release and a
// scan in progress").
#include "roots.h"

#include <sched.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "gcmap/base/assert.h"
#include "gcmap/sched/fork.h"
#include "shade.h"

namespace gcmap::gc::detail {

namespace {

constexpr size_t kBlockNodes = 256;

struct Block {
  RootNode nodes[kBlockNodes];
};

// Free lists by kind: 0 for Roots, 1 for providers.
struct alignas(64) Shard {
  std::mutex mu;
  std::vector<Block*> blocks;  // append-only
  RootNode* free_list[2] = {nullptr, nullptr};
  std::atomic<size_t> nblocks{0};
};

// Never destroyed, as the runtime's other singletons: background mark slices
// scan the shards while exit() runs static destructors (tests/gc/exit_test.cc).
Shard* shards() {
  static Shard* s = new Shard[kRootShards];
  return s;
}
std::atomic<size_t> g_in_use{0};

size_t my_shard() {
  thread_local size_t s = std::hash<std::thread::id>()(std::this_thread::get_id()) % kRootShards;
  return s;
}

// Spins a little, then yields: the other side is one trace (or two stores)
// away from letting go.
void backoff(unsigned attempt) {
  if (attempt < 64) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  } else {
    sched_yield();
  }
}

// Takes a provider's node from kNodeProvider to kNodeTracing. False when
// the node stopped being a provider (it was released) before we got it.
bool hold_provider(RootNode& n) {
  uint32_t s = n.state.load(std::memory_order_relaxed);
  for (unsigned attempt = 0;; ++attempt) {
    if (s == kNodeProvider) {
      if (n.state.compare_exchange_weak(s, kNodeTracing, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
        return true;
      }
      continue;
    }
    if (s != kNodeTracing) return false;
    backoff(attempt);  // another holder: a rebind
    s = n.state.load(std::memory_order_relaxed);
  }
}

void let_go(RootNode& n) {
  n.state.store(kNodeProvider, std::memory_order_release);
}

}  // namespace

RootNode* root_acquire(const void* p, TraceFn trace) {
  if (GCMAP_UNLIKELY(sched::in_forked_child())) {
    sched::fatal_in_forked_child(trace ? "registering a RootProvider" : "creating a Root");
  }
  const int kind = trace != nullptr ? 1 : 0;
  size_t si = my_shard();
  Shard& sh = shards()[si];
  std::lock_guard<std::mutex> g(sh.mu);
  if (sh.free_list[kind] == nullptr) {
    auto* b = new Block();
    for (size_t i = kBlockNodes; i-- > 0;) {
      b->nodes[i].shard = static_cast<uint32_t>(si);
      b->nodes[i].next_free = sh.free_list[kind];
      sh.free_list[kind] = &b->nodes[i];
    }
    sh.blocks.push_back(b);
    sh.nblocks.store(sh.blocks.size(), std::memory_order_release);
  }
  RootNode* n = sh.free_list[kind];
  sh.free_list[kind] = n->next_free;
  n->next_free = nullptr;
  n->trace.store(trace, std::memory_order_relaxed);
  n->ptr.store(p, std::memory_order_relaxed);
  n->state.store(kind ? kNodeProvider : kNodeRoot, std::memory_order_release);
  g_in_use.fetch_add(1, std::memory_order_relaxed);
  return n;
}

void root_release(RootNode* n) {
  // Teardown in a fork() child leaks the node: the shard lock may be held by
  // a thread that did not survive the fork, and no mark runs here.
  if (GCMAP_UNLIKELY(sched::in_forked_child())) return;
  TraceFn t = n->trace.load(std::memory_order_relaxed);
  const int kind = t != nullptr ? 1 : 0;
  if (t != nullptr) {
    shade_provider(n->ptr.load(std::memory_order_relaxed), t);
    // Wait out a scan inside the owner's trace; after the CAS no scanner
    // can take the node, so none reads the owner again.
    uint32_t s = kNodeProvider;
    for (unsigned attempt = 0; !n->state.compare_exchange_weak(
             s, kNodeFree, std::memory_order_acq_rel, std::memory_order_relaxed);
         ++attempt) {
      GCMAP_ASSERT(s == kNodeProvider || s == kNodeTracing, "root provider node in state %u", s);
      if (s == kNodeTracing) backoff(attempt);
      s = kNodeProvider;
    }
  } else {
    n->state.store(kNodeFree, std::memory_order_release);
  }
  Shard& sh = shards()[n->shard];
  std::lock_guard<std::mutex> g(sh.mu);
  n->ptr.store(nullptr, std::memory_order_relaxed);
  n->next_free = sh.free_list[kind];
  sh.free_list[kind] = n;
  g_in_use.fetch_sub(1, std::memory_order_relaxed);
}

void root_rebind(RootNode* n, const void* owner) {
  bool held = hold_provider(*n);
  GCMAP_CHECK(held, "RootProvider::rebind on a released provider");
  n->ptr.store(owner, std::memory_order_relaxed);
  let_go(*n);
}

size_t root_count() {
  return g_in_use.load(std::memory_order_relaxed);
}

void for_each_root_in_shard(size_t s, const std::function<void(const void*, TraceFn)>& f) {
  Shard& sh = shards()[s];
  std::vector<Block*> blocks;
  {
    // The block list may grow; copy it under the lock, then read nodes
    // without it.
    std::lock_guard<std::mutex> g(sh.mu);
    blocks = sh.blocks;
  }
  for (Block* b : blocks) {
    for (RootNode& n : b->nodes) {
      uint32_t state = n.state.load(std::memory_order_acquire);
      if (state == kNodeFree) continue;
      if (state == kNodeRoot) {
        // A Root's object outlives a release during the mark (the barrier
        // shaded it), so a stale pointer is harmless.
        f(n.ptr.load(std::memory_order_relaxed), nullptr);
        continue;
      }
      if (!hold_provider(n)) continue;
      f(n.ptr.load(std::memory_order_relaxed), n.trace.load(std::memory_order_relaxed));
      let_go(n);
    }
  }
}

}  // namespace gcmap::gc::detail
