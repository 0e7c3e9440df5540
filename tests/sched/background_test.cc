// Background jobs: slices run on the workers, yield when a stop is requested
// (a stop never finds a slice running), idle until woken, and stop_background
// returns with no slice running or about to start.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "gcmap/sched/background.h"
#include "gcmap/sched/config.h"
#include "gcmap/sched/safepoint.h"
#include "gcmap/sched/stw.h"
#include "sched_test_util.h"

namespace gcmap::sched {
namespace {

using testing::eventually;

class SpinJob final : public BackgroundJob {
 public:
  const char* name() const override { return "spin"; }
  bool run_slice(SliceContext& ctx) override {
    slices.fetch_add(1);
    in_slice.store(true);
    if (current() == nullptr || current()->role() != Role::kWorker) off_worker.fetch_add(1);
    while (!ctx.should_yield()) {
      work.fetch_add(1, std::memory_order_relaxed);
      safepoint_poll();  // returns at once inside a slice
    }
    if (stop_requested()) yielded_to_stop.fetch_add(1);
    in_slice.store(false);
    return true;
  }
  std::atomic<uint64_t> slices{0};
  std::atomic<uint64_t> work{0};
  std::atomic<bool> in_slice{false};
  std::atomic<int> yielded_to_stop{0};
  std::atomic<int> off_worker{0};
};

TEST(SchedBackground, RunsYieldsToStopsAndStops) {
  SpinJob job;
  start_background(&job, 1.0);
  ASSERT_TRUE(eventually([&] { return job.work.load() > 0; }));
  int found_running = 0;
  int progressed = 0;
  for (int i = 0; i < 20; ++i) {
    // Request each stop while a slice runs, so that it has to yield.
    ASSERT_TRUE(eventually([&] { return job.in_slice.load(); }));
    WorldStop stop("background");
    if (job.in_slice.load()) ++found_running;
    uint64_t before = job.work.load();
    testing::busy_wait_ns(20'000);
    if (job.work.load() != before) ++progressed;
  }
  EXPECT_EQ(found_running, 0);
  EXPECT_EQ(progressed, 0);
  EXPECT_GE(job.yielded_to_stop.load(), 1);
  stop_background(&job);
  EXPECT_FALSE(job.in_slice.load());
  uint64_t slices = job.slices.load();
  uint64_t work = job.work.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(job.slices.load(), slices);
  EXPECT_EQ(job.work.load(), work);
  EXPECT_EQ(job.off_worker.load(), 0);
}

class OnceJob final : public BackgroundJob {
 public:
  const char* name() const override { return "once"; }
  bool run_slice(SliceContext&) override {
    slices.fetch_add(1);
    return false;  // nothing left until woken
  }
  std::atomic<int> slices{0};
};

TEST(SchedBackground, AJobWithNothingLeftIdlesUntilWoken) {
  OnceJob job;
  start_background(&job, 0.25);
  ASSERT_TRUE(eventually([&] { return job.slices.load() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(job.slices.load(), 1);
  wake_background(&job);
  ASSERT_TRUE(eventually([&] { return job.slices.load() == 2; }));
  stop_background(&job);
  EXPECT_EQ(job.slices.load(), 2);
}

// The fuzzer's hang: a mark started while the previous mark's last slice
// was returning false woke the job too early (it was not idle yet, so the
// wake did nothing), the slice then marked it idle, and nothing ever marked
// the new mark in the background. Here the gap between a slice's return and
// the idle mark is stretched to 50 ms, and the wake lands in it.
TEST(SchedBackground, AWakeWhileASliceReturnsFalseIsNotLost) {
  OnceJob job;
  set_idle_delay_for_testing(50'000'000);
  start_background(&job, 0.25);
  ASSERT_TRUE(eventually([&] { return job.slices.load() == 1; }));
  wake_background(&job);  // the slice has returned and sleeps before idling
  bool ran_again = eventually([&] { return job.slices.load() >= 2; }, std::chrono::seconds(5));
  set_idle_delay_for_testing(0);
  EXPECT_TRUE(ran_again) << "the wake was lost: the job idles with work to do";
  stop_background(&job);
}

TEST(SchedBackground, StartAndStopRepeatedly) {
  for (int i = 0; i < 20; ++i) {
    SpinJob job;
    start_background(&job, 0.5);
    if (i % 2 == 0) eventually([&] { return job.slices.load() > 0; });
    stop_background(&job);
    EXPECT_FALSE(job.in_slice.load());
  }
}

}  // namespace
}  // namespace gcmap::sched
