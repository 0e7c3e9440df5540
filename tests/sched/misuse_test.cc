// Misuse gets a clear failure, never a hang: death tests for a stop inside a
// stop, a stop from a pause-window job, detaching while holding a stop, a
// second init, run_window_jobs without the stop, and (debug builds) a poll
// from an unattached thread or from inside a blocking region.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "gcmap/sched/blocking.h"
#include "gcmap/sched/config.h"
#include "gcmap/sched/safepoint.h"
#include "gcmap/sched/stw.h"
#include "gcmap/sched/window.h"

namespace gcmap::sched {
namespace {

class SchedMisuseDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(SchedMisuseDeathTest, StopInsideAStop) {
  EXPECT_DEATH(
      {
        WorldStop outer("outer");
        WorldStop inner("inner");
      },
      "stop-the-world 'inner' requested while this thread already holds stop 'outer'");
}

class StoppingJob final : public WindowJob {
 public:
  const char* name() const override { return "stopping job"; }
  size_t pending() const override { return 1; }
  bool step(WindowContext&) override {
    WorldStop nested("nested");
    return false;
  }
};

TEST_F(SchedMisuseDeathTest, StopFromAPauseWindowJob) {
  EXPECT_DEATH(
      {
        StoppingJob job;
        register_window_job(&job);
        run_pause_window(60'000'000'000);
      },
      "stop-the-world 'nested' requested from inside pause-window job 'stopping job'");
}

TEST_F(SchedMisuseDeathTest, DetachWhileHoldingAStop) {
  EXPECT_DEATH(
      {
        auto* attach = new MutatorScope;
        WorldStop stop("held");
        delete attach;
      },
      "detaches while it holds stop-the-world 'held'");
}

TEST_F(SchedMisuseDeathTest, InitAfterTheSchedulerStarted) {
  EXPECT_DEATH(
      {
        (void)config();
        init(Config{});
      },
      "sched::init called twice, or after the scheduler started");
}

TEST_F(SchedMisuseDeathTest, RunWindowJobsWithAStopAnotherThreadHolds) {
  EXPECT_DEATH(
      {
        std::atomic<const WorldStop*> held{nullptr};
        std::thread holder([&] {
          WorldStop stop("someone else's");
          held = &stop;
          for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
        });
        while (held.load() == nullptr) std::this_thread::yield();
        run_window_jobs(*held.load(), 0);
      },
      "run_window_jobs: the calling thread does not hold stop-the-world 'someone else's'");
}

TEST_F(SchedMisuseDeathTest, PollFromAnUnattachedThread) {
  if (!base::kAssertsEnabled) GTEST_SKIP() << "a no-op in release builds";
  EXPECT_DEATH(safepoint_poll(), "safepoint poll from thread [0-9]+, which is not attached");
}

TEST_F(SchedMisuseDeathTest, PollInsideABlockingRegion) {
  if (!base::kAssertsEnabled) GTEST_SKIP() << "a no-op in release builds";
  EXPECT_DEATH(
      {
        MutatorScope attach;
        BlockingRegion region;
        safepoint_poll();
      },
      "while it counts as stopped");
}

TEST(SchedMisuse, PollFromAnUnattachedThreadIsANoOpInRelease) {
  if (base::kAssertsEnabled) GTEST_SKIP() << "fatal in debug builds";
  safepoint_poll();
  { WorldStop stop("unattached poll"); }
  safepoint_poll();
  SUCCEED();
}

}  // namespace
}  // namespace gcmap::sched
