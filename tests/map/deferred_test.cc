// Deferred erases (issue: delete storms): the model, the ordering rule, the
// windows' deadline and resumption, bulk erases by predicate, reclamation by
// the next cycle, growing and shrinking maps, a map that dies with erases
// queued, and several threads queuing for one owner.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "gcmap/map/deferred.h"
#include "gcmap/sched/window.h"
#include "map_test_util.h"

namespace gcmap::map_test {
namespace {

class Deferred : public DeferredMapTest {};

// The model: a deferred erase is applied at a flush point unless the key was
// written after it was queued.
TEST_F(Deferred, RandomMixMatchesTheModelAtEveryFlushPoint) {
  ThreadScope attach;
  HashMap<uint64_t, uint64_t> m;
  std::unordered_map<uint64_t, uint64_t> model;
  struct Queued {
    uint64_t key;
    uint64_t write_at_queue;
  };
  std::vector<Queued> queued;
  std::unordered_map<uint64_t, uint64_t> last_write;  // key -> write counter
  uint64_t writes = 0;
  std::mt19937_64 rng(5);
  const size_t kOps = 400000 / kScale;
  for (size_t op = 0; op < kOps; ++op) {
    uint64_t k = rng() % 5000;
    int what = static_cast<int>(rng() % 100);
    if (what < 35) {
      m.insert_or_assign(k, op);
      model[k] = op;
      last_write[k] = ++writes;
    } else if (what < 45) {
      m.erase(k);
      model.erase(k);
    } else if (what < 75) {
      m.erase_deferred(k);
      queued.push_back({k, writes});
    } else if (what < 99) {
      // Between flush points a key with a pending erase may or may not be
      // found; any other key must match the model.
      bool pending = false;
      for (const Queued& q : queued) pending |= q.key == k;
      if (!pending) {
        auto it = m.find(k);
        ASSERT_EQ(it != m.end(), model.count(k) != 0) << "key " << k << " op " << op;
        if (it != m.end()) {
          ASSERT_EQ(it->second, model[k]);
        }
      }
    } else {
      m.flush_deferred();
      for (const Queued& q : queued) {
        auto w = last_write.find(q.key);
        if (w == last_write.end() || w->second <= q.write_at_queue) model.erase(q.key);
      }
      queued.clear();
      ASSERT_EQ(m.deferred_pending(), 0u);
      ASSERT_EQ(m.size(), model.size()) << "op " << op;
      for (const auto& [key, value] : model) {
        auto it = m.find(key);
        ASSERT_NE(it, m.end()) << key;
        ASSERT_EQ(it->second, value);
      }
    }
  }
}

TEST_F(Deferred, AnEraseQueuedBeforeAnInsertDoesNotRemoveTheNewValue) {
  ThreadScope attach;
  map::detail::pause_deferred_scheduler(true);
  HashMap<std::string, int> m;
  for (int i = 0; i < 100; ++i) m.insert_or_assign("other" + std::to_string(i), 0);
  m.insert_or_assign("a", 1);
  m.insert_or_assign("b", 1);
  m.insert_or_assign("c", 1);
  // Enough erases ahead of these that the writes below (each applies a few
  // queued erases first) do not reach them.
  for (int i = 0; i < 100; ++i) m.erase_deferred(std::string_view("other" + std::to_string(i)));
  m.erase_deferred(std::string_view("a"));
  m.erase_deferred(std::string_view("b"));
  m.erase_deferred(std::string_view("c"));
  m.erase_deferred(std::string_view("d"));  // absent: nothing to do
  uint64_t superseded = deferred_stats().superseded;
  m.insert_or_assign("a", 2);  // a newer value
  m["b"] = 2;                  // so is this
  m.erase("c");
  m.insert_or_assign("c", 3);               // the queued erase of c is older than this
  m.erase_deferred(std::string_view("c"));  // and this one is newer: it applies
  m.flush_deferred();
  EXPECT_EQ(m.deferred_pending(), 0u);
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m.at("a"), 2);
  EXPECT_EQ(m.at("b"), 2);
  EXPECT_FALSE(m.contains("c"));
  EXPECT_EQ(deferred_stats().superseded - superseded, 3u) << "a, b and the first c";
}

// A fake clock that advances 1 us every time anyone reads it.
std::atomic<uint64_t> g_fake_ns{1'000'000'000};
uint64_t fake_clock() {
  return g_fake_ns.fetch_add(1000);
}

TEST_F(Deferred, AWindowStopsAtItsDeadlineAndTheRestCompletesInLaterWindows) {
  ThreadScope attach;
  map::detail::pause_deferred_scheduler(true);
  HashMap<uint64_t, uint64_t> m;
  constexpr uint64_t kN = 20000;
  for (uint64_t i = 0; i < kN; ++i) m.insert_or_assign(i, i);
  for (uint64_t i = 0; i < kN; ++i) m.erase_deferred(i);
  ASSERT_EQ(m.deferred_pending(), kN);
  sched::set_clock_for_testing(fake_clock);
  int windows = 0;
  size_t last = m.deferred_pending();
  {
    BlockingRegion b;  // this thread is the map's owner: stopped like the others
    while (m.deferred_pending() != 0 && windows < 10000) {
      sched::WindowReport r = sched::run_pause_window(100'000);  // 100 fake reads
      ++windows;
      size_t now = m.deferred_pending();
      ASSERT_LT(now, last) << "every window makes progress";
      if (now != 0) {
        ASSERT_FALSE(r.completed);
      }
      last = now;
    }
  }
  sched::set_clock_for_testing(nullptr);
  EXPECT_GT(windows, 2) << "one window cannot hold them all";
  EXPECT_EQ(m.deferred_pending(), 0u);
  EXPECT_EQ(m.size(), 0u);
}

TEST_F(Deferred, EraseIfOverAMillionEntriesCompletesAcrossSeveralWindows) {
  ThreadScope attach;
  map::detail::pause_deferred_scheduler(true);
  HashMap<uint64_t, uint64_t> m;
  const uint64_t kN = 1'000'000 / kScale;
  m.reserve(kN);
  for (uint64_t i = 0; i < kN; ++i) m.insert_or_assign(i, i);
  std::atomic<uint64_t> seen{0};
  m.erase_if_deferred([](const uint64_t& k, const uint64_t&) { return k % 2 == 0; },
                      [&](const uint64_t& k, uint64_t& v) {
                        if (k == v) seen.fetch_add(1, std::memory_order_relaxed);
                      });
  int windows = 0;
  {
    BlockingRegion b;
    while (m.deferred_pending() != 0) {
      sched::run_pause_window(500'000);
      ++windows;
    }
  }
  EXPECT_GT(windows, 1);
  EXPECT_EQ(m.size(), kN / 2);
  EXPECT_EQ(seen.load(), kN / 2) << "on_erase saw each erased entry once";
  for (uint64_t i = 0; i < kN; i += 997) EXPECT_EQ(m.contains(i), i % 2 == 1) << i;
}

GCMAP_NOINLINE void fill(HashMap<uint64_t, Ptr<Node>>& m, Registry* reg, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) m.insert_or_assign(i, make<Node>(reg, i));
}

TEST_F(Deferred, WhatDeferredErasesUnlinkIsReclaimedByTheNextCycle) {
  ThreadScope attach;
  map::detail::pause_deferred_scheduler(true);
  constexpr uint64_t kN = 200;
  Registry& reg = registry(kN);
  HashMap<uint64_t, Ptr<Node>> m;
  fill(m, &reg, kN);
  for (uint64_t i = 0; i < kN; i += 2) m.erase_deferred(i);
  gcmap::testing::collect_precise();  // applies them first, then marks
  EXPECT_EQ(m.deferred_pending(), 0u);
  for (uint64_t i = 0; i < kN; ++i) EXPECT_EQ(reg.count(i), i % 2 == 0 ? 1 : 0) << i;
  // The concurrent cycle's start window applies them too, as many as its
  // budget (GCMAP_MAX_PAUSE) allows: all 50 here in a Release build, but
  // under ASan on a loaded machine a window may stop after a few, and the
  // next cycle's start applies more. Every cycle makes progress, and what
  // they unlink is reclaimed.
  constexpr size_t kQueued = kN / 4;
  for (uint64_t i = 1; i < kN; i += 4) m.erase_deferred(i);
  clobber_stack_for_test();
  collect_concurrent();
  EXPECT_LT(m.deferred_pending(), kQueued) << "the cycle's start window applied none";
  for (int cycles = 1; m.deferred_pending() != 0 && cycles < 100; ++cycles) collect_concurrent();
  EXPECT_EQ(m.deferred_pending(), 0u);
  clobber_stack_for_test();
  collect_concurrent();
  for (uint64_t i = 1; i < kN; i += 4) EXPECT_EQ(reg.count(i), 1) << i;
}

TEST_F(Deferred, GrowingAndShrinkingMaps) {
  ThreadScope attach;
  map::detail::pause_deferred_scheduler(true);
  HashMap<uint64_t, uint64_t> m;
  std::unordered_map<uint64_t, uint64_t> model;
  // Queue erases while the map grows through several doublings...
  for (uint64_t i = 0; i < 50000; ++i) {
    m.insert_or_assign(i, i);
    model[i] = i;
    if (i % 3 == 0) {
      m.erase_deferred(i / 2);
      if (model.count(i / 2)) model.erase(i / 2);
    }
  }
  // ... windows erase in place even while it grows; the flush applies the rest.
  {
    BlockingRegion b;
    sched::run_pause_window(500'000);
  }
  m.flush_deferred();
  ASSERT_EQ(m.size(), model.size());
  // Then erase most of it, deferred, and let windows and erases shrink it.
  for (uint64_t i = 0; i < 50000; ++i) {
    if (i % 10 != 0) {
      m.erase_deferred(i);
      model.erase(i);
    }
  }
  {
    BlockingRegion b;
    while (m.deferred_pending() != 0) sched::run_pause_window(500'000);
  }
  m.flush_deferred();
  ASSERT_EQ(m.size(), model.size());
  // The owner's own erases start and advance the shrinks (a window never
  // allocates a table): churn a key in and out.
  for (int k = 0; k < 20000; ++k) {
    m.insert_or_assign(1'000'000, 0);
    m.erase(1'000'000);
  }
  EXPECT_LE(m.stats().B, 11u) << "5000 entries: the map shrank after the deferred storm";
  EXPECT_FALSE(m.stats().growing);
  for (const auto& [k, v] : model) ASSERT_EQ(m.at(k), v);
}

TEST_F(Deferred, AMapThatDiesWithErasesQueuedLeavesNothingBehind) {
  ThreadScope attach;
  map::detail::pause_deferred_scheduler(true);
  for (int round = 0; round < 20; ++round) {
    auto m = std::make_unique<HashMap<std::string, Counted>>();
    for (int i = 0; i < 1000; ++i) m->try_emplace("key" + std::to_string(i), i);
    for (int i = 0; i < 1000; i += 3)
      m->erase_deferred(std::string_view("key" + std::to_string(i)));
    m->erase_if_deferred([](const std::string&, const Counted& c) { return c.get() % 7 == 0; });
    m.reset();  // queues and sweeps die with it
    BlockingRegion b;
    sched::run_pause_window(500'000);  // must not touch the dead map
  }
  EXPECT_EQ(deferred_stats().pending, 0u);
}

TEST_F(Deferred, TheSchedulerAppliesQueuedErasesWithoutHelp) {
  ThreadScope attach;
  HashMap<uint64_t, uint64_t> m;
  for (uint64_t i = 0; i < 10000; ++i) m.insert_or_assign(i, i);
  for (uint64_t i = 0; i < 10000; ++i) m.erase_deferred(i);
  // No writes, no flush: only the scheduler's windows can apply them.
  for (int k = 0; k < 5000 && m.deferred_pending() != 0; ++k) {
    BlockingRegion b;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(m.deferred_pending(), 0u);
  EXPECT_EQ(m.size(), 0u);
  DeferredStats s = deferred_stats();
  EXPECT_GT(s.windows, 0u);
  EXPECT_GE(s.applied, 10000u);
}

}  // namespace
}  // namespace gcmap::map_test
