// Blocking regions: a thread blocked inside one never delays a stop; a thread
// that leaves its region while the world is stopped waits for the restart;
// regions nest; on an unattached thread they do nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "gcmap/sched/blocking.h"
#include "gcmap/sched/safepoint.h"
#include "gcmap/sched/stw.h"
#include "sched_test_util.h"

namespace gcmap::sched {
namespace {

using testing::eventually;
using testing::Spinners;

// A thread that blocks on a condition variable inside a region until told.
class BlockedThread {
 public:
  BlockedThread() {
    thread_ = std::thread([this] {
      MutatorScope attach;
      BlockingRegion region;
      std::unique_lock<std::mutex> lock(mu_);
      blocked_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return release_; });
    });
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return blocked_; });
  }
  ~BlockedThread() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      release_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool blocked_ = false;
  bool release_ = false;
  std::thread thread_;
};

TEST(SchedBlockingRegion, ABlockedThreadDoesNotDelayStops) {
  Spinners spinners(2);
  BlockedThread blocked;  // never reaches a safepoint while the stops run
  for (int i = 0; i < 100; ++i) {
    WorldStop stop("around a blocked thread");
    EXPECT_TRUE(world_stopped());
  }
}

TEST(SchedBlockingRegion, LeavingDuringAStopWaitsForTheRestart) {
  std::atomic<bool> go{false};
  std::atomic<bool> entered{false};
  std::atomic<bool> leaving{false};
  std::atomic<bool> left{false};
  std::thread t([&] {
    MutatorScope attach;
    {
      BlockingRegion region;
      entered = true;
      while (!go.load()) std::this_thread::yield();
      leaving = true;
    }
    left = true;
  });
  // Let the thread enter its region. (Not attached_count(): a thread counts
  // from its registration, and one that registered but had not finished
  // attaching when the stop began waited for the restart, so it never got
  // to its region and the test hung, on a loaded machine.)
  ASSERT_TRUE(eventually([&] { return entered.load(); }));
  {
    WorldStop stop("hold");
    go = true;
    ASSERT_TRUE(eventually([&] { return leaving.load(); }));
    // It is now inside ~BlockingRegion; give it every chance to get out.
    for (int i = 0; i < 50; ++i) std::this_thread::sleep_for(std::chrono::microseconds(200));
    EXPECT_FALSE(left.load()) << "left its blocking region while the world was stopped";
  }
  EXPECT_TRUE(eventually([&] { return left.load(); }));
  t.join();
}

TEST(SchedBlockingRegion, RegionsNestAndOnlyTheOutermostLeaves) {
  std::atomic<int> phase{0};
  std::atomic<bool> inner_left{false};
  std::atomic<bool> outer_left{false};
  std::thread t([&] {
    MutatorScope attach;
    {
      BlockingRegion outer;
      {
        BlockingRegion inner;
        phase = 1;
        while (phase.load() != 2) std::this_thread::yield();
      }
      inner_left = true;  // still blocking: must not wait for the restart
      while (phase.load() != 3) std::this_thread::yield();
    }
    outer_left = true;
  });
  ASSERT_TRUE(eventually([&] { return phase.load() == 1; }));
  {
    WorldStop stop("nested");
    phase = 2;
    EXPECT_TRUE(eventually([&] { return inner_left.load(); }));
    phase = 3;
    for (int i = 0; i < 20; ++i) std::this_thread::sleep_for(std::chrono::microseconds(200));
    EXPECT_FALSE(outer_left.load());
  }
  EXPECT_TRUE(eventually([&] { return outer_left.load(); }));
  t.join();
}

TEST(SchedBlockingRegion, DoesNothingOnAnUnattachedThread) {
  ASSERT_EQ(current(), nullptr);
  BlockingRegion region;
  WorldStop stop("unattached region");
  SUCCEED();
}

TEST(SchedBlockingRegion, AStopperMayBlockInsideItsOwnStop) {
  MutatorScope attach;
  WorldStop stop("blocking stopper");
  {
    BlockingRegion region;  // leaving it must not wait for our own restart
  }
  EXPECT_TRUE(world_stopped());
}

}  // namespace
}  // namespace gcmap::sched
