// Workers: run_on_workers hands each index to one participant, the caller
// included; parallel_for covers every index once; TBB workers attach as idle
// kWorker mutators with an empty stack; inside a stop the participants poll
// without parking.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "gcmap/sched/config.h"
#include "gcmap/sched/safepoint.h"
#include "gcmap/sched/stw.h"
#include "gcmap/sched/workers.h"
#include "sched_test_util.h"

namespace gcmap::sched {
namespace {

using testing::eventually;

TEST(SchedWorkers, EachIndexGoesToOneParticipantAndTheCallerIsOne) {
  ASSERT_EQ(num_workers(), 2u);
  for (int round = 0; round < 50; ++round) {
    std::mutex mu;
    std::multiset<unsigned> indexes;
    std::atomic<int> on_caller{0};
    const std::thread::id caller = std::this_thread::get_id();
    run_on_workers(num_workers(), [&](unsigned index) {
      if (std::this_thread::get_id() == caller) on_caller.fetch_add(1);
      std::lock_guard<std::mutex> lock(mu);
      indexes.insert(index);
    });
    ASSERT_GE(indexes.size(), 1u);
    EXPECT_LE(indexes.size(), 2u);
    EXPECT_EQ(std::set<unsigned>(indexes.begin(), indexes.end()).size(), indexes.size());
    for (unsigned i : indexes) EXPECT_LT(i, 2u);
    EXPECT_GE(on_caller.load(), 1);
  }
}

TEST(SchedWorkers, ParallelForCoversEveryIndexExactlyOnce) {
  constexpr size_t kN = 10'000;
  std::unique_ptr<std::atomic<int>[]> hits(new std::atomic<int>[kN]);
  for (size_t i = 0; i < kN; ++i) hits[i] = 0;
  parallel_for(kN, [&](size_t i) { hits[i].fetch_add(1); });
  size_t wrong = 0;
  for (size_t i = 0; i < kN; ++i) wrong += hits[i].load() != 1;
  EXPECT_EQ(wrong, 0u);
  parallel_for(0, [](size_t) { FAIL(); });
}

TEST(SchedWorkers, TbbWorkersAttachAsIdleWorkersWithAnEmptyStack) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "TBB starts no worker on one core";
  // Rendezvous so that the TBB worker certainly joins the arena.
  std::atomic<int> arrived{0};
  std::atomic<int> worker_roles{0};
  run_on_workers(2, [&](unsigned) {
    arrived.fetch_add(1);
    eventually([&] { return arrived.load() == 2; }, std::chrono::seconds(20));
    if (current() != nullptr && current()->role() == Role::kWorker) worker_roles.fetch_add(1);
  });
  ASSERT_EQ(arrived.load(), 2);
  EXPECT_EQ(worker_roles.load(), 1);
  WorldStop stop("look at workers");
  int workers = 0;
  stop.for_each_mutator([&](Mutator& m) {
    if (m.role() != Role::kWorker) return;
    ++workers;
    EXPECT_EQ(m.stack().lo, m.stack().hi) << "an idle worker's stack is not a root";
  });
  EXPECT_GE(workers, 1);
}

TEST(SchedWorkers, InsideAStopParticipantsPollWithoutParking) {
  testing::Spinners spinners(2);
  WorldStop stop("parallel stop work");
  std::atomic<int> polls{0};
  parallel_for(1000, [&](size_t) {
    safepoint_poll();
    polls.fetch_add(1);
  });
  EXPECT_EQ(polls.load(), 1000);
  EXPECT_TRUE(world_stopped());
}

TEST(SchedWorkers, OutsideAStopParticipantsCountAsRunningMutators) {
  // A stop requested while participants run waits for them to return.
  std::atomic<bool> in_fn{false};
  std::atomic<bool> fn_done{false};
  std::atomic<bool> stopped_before_fn_done{false};
  std::thread stopper([&] {
    eventually([&] { return in_fn.load(); });
    WorldStop stop("waits for participants");
    if (!fn_done.load()) stopped_before_fn_done = true;
  });
  MutatorScope attach;
  run_on_workers(1, [&](unsigned) {
    in_fn = true;
    eventually([] { return stop_requested(); });
    for (int i = 0; i < 100; ++i) safepoint_poll();  // never parks here
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    fn_done = true;
  });
  safepoint_poll();  // now we park, and the stop completes
  stopper.join();
  EXPECT_FALSE(stopped_before_fn_done.load());
}

}  // namespace
}  // namespace gcmap::sched
