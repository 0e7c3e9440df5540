// The root table: sharded blocks of nodes with free lists (cppgc keeps its
// Persistents the same way). Nodes are never returned to the system, so a
// marker reading a shard while a node is released reads a valid node.
#include "roots.h"

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "gcmap/base/assert.h"
#include "shade.h"

namespace gcmap::gc::detail {

namespace {

constexpr size_t kBlockNodes = 256;

struct Block {
  RootNode nodes[kBlockNodes];
};

struct alignas(64) Shard {
  std::mutex mu;
  std::vector<Block*> blocks;  // append-only
  RootNode* free_list = nullptr;
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

}  // namespace

RootNode* root_acquire(const void* p, TraceFn trace) {
  size_t si = my_shard();
  Shard& sh = shards()[si];
  std::lock_guard<std::mutex> g(sh.mu);
  if (sh.free_list == nullptr) {
    auto* b = new Block();
    for (size_t i = kBlockNodes; i-- > 0;) {
      b->nodes[i].shard = static_cast<uint32_t>(si);
      b->nodes[i].next_free = sh.free_list;
      sh.free_list = &b->nodes[i];
    }
    sh.blocks.push_back(b);
    sh.nblocks.store(sh.blocks.size(), std::memory_order_release);
  }
  RootNode* n = sh.free_list;
  sh.free_list = n->next_free;
  n->next_free = nullptr;
  n->trace.store(trace, std::memory_order_relaxed);
  n->ptr.store(p, std::memory_order_relaxed);
  __atomic_store_n(&n->in_use, true, __ATOMIC_RELEASE);
  g_in_use.fetch_add(1, std::memory_order_relaxed);
  return n;
}

void root_release(RootNode* n) {
  if (TraceFn t = n->trace.load(std::memory_order_relaxed)) {
    shade_provider(n->ptr.load(std::memory_order_relaxed), t);
  }
  Shard& sh = shards()[n->shard];
  std::lock_guard<std::mutex> g(sh.mu);
  __atomic_store_n(&n->in_use, false, __ATOMIC_RELEASE);
  n->ptr.store(nullptr, std::memory_order_relaxed);
  n->next_free = sh.free_list;
  sh.free_list = n;
  g_in_use.fetch_sub(1, std::memory_order_relaxed);
}

size_t root_count() {
  return g_in_use.load(std::memory_order_relaxed);
}

void for_each_root_in_shard(size_t s, const std::function<void(RootNode&)>& f) {
  Shard& sh = shards()[s];
  std::vector<Block*> blocks;
  {
    // The block list may grow; copy it under the lock, then read nodes
    // without it (their fields are atomics or stable while in use).
    std::lock_guard<std::mutex> g(sh.mu);
    blocks = sh.blocks;
  }
  for (Block* b : blocks) {
    for (RootNode& n : b->nodes) {
      if (__atomic_load_n(&n.in_use, __ATOMIC_ACQUIRE)) f(n);
    }
  }
}

}  // namespace gcmap::gc::detail
