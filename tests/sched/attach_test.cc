// The mutator registry: attach and detach racing with repeated stops (no
// hang, no running thread missed), attaching during a stop waits for the
// restart, scopes nest, ids are unique, hooks run where documented.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "gcmap/sched/safepoint.h"
#include "gcmap/sched/stw.h"
#include "sched_test_util.h"

namespace gcmap::sched {
namespace {

using testing::busy_wait_ns;
using testing::eventually;

TEST(SchedAttach, AttachAndDetachRaceWithRepeatedStops) {
  constexpr int kChurners = 4;
  std::atomic<bool> done{false};
  struct alignas(64) Counter {
    std::atomic<uint64_t> polls{0};
    std::atomic<uint64_t> cycles{0};
  };
  std::unique_ptr<Counter[]> counters(new Counter[kChurners]);
  std::vector<std::thread> churners;
  for (int i = 0; i < kChurners; ++i) {
    churners.emplace_back([&, i] {
      while (!done.load(std::memory_order_relaxed)) {
        MutatorScope attach;
        for (int p = 0; p < 3; ++p) {
          // Counted only while attached and running: a stop must freeze it.
          counters[i].polls.fetch_add(1, std::memory_order_relaxed);
          safepoint_poll();
        }
        counters[i].cycles.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  auto all_cycled = [&](uint64_t n) {
    for (int i = 0; i < kChurners; ++i) {
      if (counters[i].cycles.load() < n) return false;
    }
    return true;
  };
  int moved_inside = 0;
  int count_mismatch = 0;
  // At least 300 stops, and on until every churner attached and detached a
  // few dozen times in between (they need the CPU: rest a little between stops).
  for (int s = 0; s < 300 || !all_cycled(30); ++s) {
    {
      WorldStop stop("churn");
      std::vector<uint64_t> before(kChurners);
      for (int i = 0; i < kChurners; ++i) before[i] = counters[i].polls.load();
      busy_wait_ns(10'000);
      for (int i = 0; i < kChurners; ++i) {
        if (counters[i].polls.load() != before[i]) ++moved_inside;
      }
      // Threads may register (blocking) during a stop, so compare with the
      // count while for_each_mutator holds the registry lock.
      size_t visited = 0;
      size_t registered = 0;
      stop.for_each_mutator([&](Mutator&) {
        if (visited++ == 0) registered = attached_count();
      });
      if (visited != 0 && visited != registered) ++count_mismatch;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    ASSERT_LT(s, 1'000'000) << "the churners make no progress";
  }
  done = true;
  for (auto& t : churners) t.join();
  EXPECT_EQ(moved_inside, 0);
  EXPECT_EQ(count_mismatch, 0);
  EXPECT_EQ(attached_count(), 0u);
}

TEST(SchedAttach, AttachingDuringAStopWaitsForTheRestart) {
  std::atomic<bool> attached{false};
  std::thread t;
  {
    WorldStop stop("attach during stop");
    t = std::thread([&] {
      MutatorScope attach;
      attached = true;
    });
    // Registered (as blocking, with an empty stack) but not running.
    ASSERT_TRUE(eventually([] { return attached_count() == 1; }));
    for (int i = 0; i < 20; ++i) std::this_thread::sleep_for(std::chrono::microseconds(200));
    EXPECT_FALSE(attached.load());
    stop.for_each_mutator([](Mutator& m) {
      EXPECT_EQ(m.stack().lo, m.stack().hi);
      EXPECT_EQ(m.role(), Role::kMutator);
    });
  }
  EXPECT_TRUE(eventually([&] { return attached.load(); }));
  t.join();
}

TEST(SchedAttach, ScopesNestAndOnlyTheOutermostAttaches) {
  ASSERT_EQ(current(), nullptr);
  {
    MutatorScope outer;
    Mutator* m = current();
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->role(), Role::kMutator);
    EXPECT_EQ(m->tid(), gettid());
    {
      MutatorScope inner(Role::kWorker);
      EXPECT_EQ(current(), m);
      EXPECT_EQ(attached_count(), 1u);
    }
    EXPECT_EQ(current(), m);
  }
  EXPECT_EQ(current(), nullptr);
  EXPECT_EQ(attached_count(), 0u);
}

TEST(SchedAttach, IdsAreNeverReused) {
  std::set<uint64_t> ids;
  for (int i = 0; i < 100; ++i) {
    MutatorScope attach;
    EXPECT_TRUE(ids.insert(current()->id()).second);
  }
}

std::atomic<int> g_attaches{0};
std::atomic<int> g_detaches{0};
std::atomic<int> g_hook_saw_stopped_world{0};
void on_attach(Mutator& m) {
  if (world_stopped()) g_hook_saw_stopped_world.fetch_add(1);
  EXPECT_EQ(current(), &m);
  m.context = &g_attaches;
  g_attaches.fetch_add(1);
}
void on_detach(Mutator& m) {
  if (world_stopped()) g_hook_saw_stopped_world.fetch_add(1);
  EXPECT_EQ(current(), &m);
  EXPECT_EQ(m.context, &g_attaches);
  g_detaches.fetch_add(1);
}

TEST(SchedAttach, HooksRunOnTheAttachingThreadWhileTheWorldRuns) {
  set_mutator_hooks({on_attach, on_detach});
  std::atomic<bool> stop_churn{false};
  std::thread stopper([&] {
    while (!stop_churn.load()) {
      WorldStop stop("hooks");
    }
  });
  for (int i = 0; i < 200; ++i) {
    MutatorScope attach;
    safepoint_poll();
  }
  stop_churn = true;
  stopper.join();
  set_mutator_hooks({});
  EXPECT_EQ(g_attaches.load(), 200);
  EXPECT_EQ(g_detaches.load(), 200);
  EXPECT_EQ(g_hook_saw_stopped_world.load(), 0);
}

}  // namespace
}  // namespace gcmap::sched
