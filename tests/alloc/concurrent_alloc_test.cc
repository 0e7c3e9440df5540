// Four threads allocate concurrently, refilling from the central lists and
// sweeping lazily while a fifth thread sweeps in the background; between
// rounds a random subset survives. Survivors keep their contents, and no
// slot is ever handed to two live objects. Run under ASan and TSan.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "test_alloc.h"

namespace gcmap::alloc {
namespace {

using testing::test_alloc;

struct Owned {
  void* p;
  uint32_t size;
  uint64_t stamp;
};

void stamp_fill(const Owned& o) {
  auto* w = static_cast<uint64_t*>(o.p);
  for (uint32_t i = 0; i < o.size / 8; ++i) w[i] = o.stamp ^ i;
}
bool stamp_ok(const Owned& o) {
  auto* w = static_cast<const uint64_t*>(o.p);
  for (uint32_t i = 0; i < o.size / 8; ++i) {
    if (w[i] != (o.stamp ^ i)) return false;
  }
  return true;
}

TEST(ConcurrentAlloc, FourThreadsAllocateAndSweepConcurrently) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 12;
  constexpr int kPerRound = 3000;
  static constexpr uint32_t kSizes[] = {16, 48, 64, 256, 1000, 5000, 40000};
  Heap& h = Heap::get();
  testing::clean_heap();

  std::vector<std::vector<Owned>> owned(kThreads);
  std::atomic<bool> corrupt{false};
  std::barrier sync(kThreads + 1);
  std::atomic<bool> stop_sweeper{false};

  std::thread sweeper([&] {
    while (!stop_sweeper.load(std::memory_order_acquire)) {
      if (!h.sweep_one()) std::this_thread::yield();
    }
  });

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(1000 + t);
      uint64_t stamp = static_cast<uint64_t>(t) << 48;
      for (int round = 0; round < kRounds; ++round) {
        for (int i = 0; i < kPerRound; ++i) {
          uint32_t size = kSizes[rng() % std::size(kSizes)];
          Owned o{test_alloc(size, nullptr, false), size, ++stamp};
          stamp_fill(o);
          owned[t].push_back(o);
        }
        for (const Owned& o : owned[t]) {
          if (!stamp_ok(o)) corrupt.store(true);
        }
        h.flush_cache(t_tcache);
        sync.arrive_and_wait();  // main thread marks and flips
        sync.arrive_and_wait();
      }
    });
  }

  std::mt19937_64 rng(99);
  for (int round = 0; round < kRounds; ++round) {
    sync.arrive_and_wait();
    // Every thread is parked with its cache flushed. Finish the previous
    // cycle's sweep, keep a random half of each thread's objects, flip.
    h.finish_sweep();
    std::set<void*> seen;
    for (auto& list : owned) {
      std::vector<Owned> keep;
      for (const Owned& o : list) {
        ASSERT_TRUE(seen.insert(o.p).second) << "slot handed to two live objects";
        if (rng() % 2) {
          testing::mark(o.p);
          keep.push_back(o);
        }
      }
      list.swap(keep);
    }
    h.start_sweep_cycle();
    sync.arrive_and_wait();
  }
  for (auto& t : threads) t.join();
  stop_sweeper.store(true, std::memory_order_release);
  sweeper.join();
  EXPECT_FALSE(corrupt.load()) << "a surviving object's contents changed";
  h.finish_sweep();
  for (auto& list : owned) {
    for (const Owned& o : list) EXPECT_TRUE(stamp_ok(o));
  }
}

}  // namespace
}  // namespace gcmap::alloc
