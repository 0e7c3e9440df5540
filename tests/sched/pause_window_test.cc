// Pause windows: jobs run in parallel on different workers, a window ends at
// its deadline (exactly, with a fake clock) and the work resumes in the next
// one, pending work is reported, run_window_jobs works inside a caller's
// stop, and unregistering waits for a window that runs the job.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "gcmap/sched/config.h"
#include "gcmap/sched/safepoint.h"
#include "gcmap/sched/window.h"
#include "gcmap/sched/workers.h"
#include "sched_test_util.h"

namespace gcmap::sched {
namespace {

using testing::eventually;
using testing::Spinners;

// Two participants even on a machine that reports one core (the parallel
// test skips there: TBB would start no worker thread).

// `units` units of work; a step claims one.
class CountingJob final : public WindowJob {
 public:
  CountingJob(const char* name, size_t units) : name_(name), left_(units) {}
  const char* name() const override { return name_; }
  size_t pending() const override { return left_.load(); }
  bool step(WindowContext&) override {
    size_t n = left_.load();
    while (n > 0 && !left_.compare_exchange_weak(n, n - 1)) {
    }
    if (n == 0) return false;
    done_.fetch_add(1);
    if (!world_stopped()) outside_stop_.fetch_add(1);
    return true;
  }
  size_t done() const { return done_.load(); }
  size_t outside_stop() const { return outside_stop_.load(); }

 private:
  const char* name_;
  std::atomic<size_t> left_;
  std::atomic<size_t> done_{0};
  std::atomic<size_t> outside_stop_{0};
};

// One unit; its step waits (bounded) until the partner job's step runs too.
class RendezvousJob final : public WindowJob {
 public:
  explicit RendezvousJob(const char* name) : name_(name) {}
  void set_partner(const RendezvousJob* p) { partner_ = p; }
  const char* name() const override { return name_; }
  size_t pending() const override { return finished_.load() ? 0 : 1; }
  bool step(WindowContext& ctx) override {
    bool expected = false;
    if (!claimed_.compare_exchange_strong(expected, true)) return false;
    worker_index_ = ctx.worker_index();
    arrived_.store(true);
    saw_partner_ =
        eventually([this] { return partner_->arrived_.load(); }, std::chrono::seconds(20));
    finished_.store(true);
    return false;
  }
  bool saw_partner() const { return saw_partner_; }
  unsigned worker_index() const { return worker_index_; }

 private:
  const char* name_;
  const RendezvousJob* partner_ = nullptr;
  std::atomic<bool> claimed_{false};
  std::atomic<bool> arrived_{false};
  std::atomic<bool> finished_{false};
  bool saw_partner_ = false;
  unsigned worker_index_ = 99;
};

TEST(SchedPauseWindow, TwoJobsRunAtTheSameTimeOnDifferentWorkers) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "needs two cores";
  ASSERT_EQ(num_workers(), 2u);
  RendezvousJob a("a"), b("b");
  a.set_partner(&b);
  b.set_partner(&a);
  register_window_job(&a);
  register_window_job(&b);
  WindowReport report = run_pause_window(60'000'000'000);
  unregister_window_job(&a);
  unregister_window_job(&b);
  EXPECT_TRUE(a.saw_partner());
  EXPECT_TRUE(b.saw_partner());
  EXPECT_NE(a.worker_index(), b.worker_index());
  EXPECT_TRUE(report.completed);
  EXPECT_EQ(report.pending_after, 0u);
}

std::atomic<uint64_t> g_fake_now{1'000'000};
uint64_t fake_clock() {
  return g_fake_now.fetch_add(1'000);
}  // +1 us per reading

TEST(SchedPauseWindow, EndsAtItsDeadlineAndTheWorkResumesInTheNextWindow) {
  CountingJob job("counting", 100);
  register_window_job(&job);
  set_clock_for_testing(fake_clock);
  // Budget 10 us: the request reads the clock once (t), each step once
  // (t+1us .. t+9us are before the deadline t+10us): exactly 9 steps.
  WindowReport first = run_pause_window(10'000);
  WindowReport second = run_pause_window(10'000);
  set_clock_for_testing(nullptr);
  EXPECT_EQ(first.steps, 9u);
  EXPECT_FALSE(first.completed);
  EXPECT_EQ(first.pending_after, 91u);
  EXPECT_EQ(second.steps, 9u);
  EXPECT_EQ(second.pending_after, 82u);
  EXPECT_EQ(job.done(), 18u);
  EXPECT_EQ(pending_window_work(), 82u);
  // With time enough, the next window finishes the job.
  WindowReport last = run_pause_window(60'000'000'000);
  EXPECT_TRUE(last.completed);
  EXPECT_EQ(last.pending_after, 0u);
  EXPECT_EQ(job.done(), 100u);
  EXPECT_EQ(job.outside_stop(), 0u);
  EXPECT_GT(last.pause_ns, 0u);
  unregister_window_job(&job);
}

uint64_t slow_fake_clock() {
  return g_fake_now.fetch_add(1'000'000);
}  // +1 ms per reading

TEST(SchedPauseWindow, AWindowWhoseBudgetIsGoneBeforeItsFirstStepStillStepsOnce) {
  CountingJob job("late", 10);
  register_window_job(&job);
  set_clock_for_testing(slow_fake_clock);
  // The first step's clock reading is already 1 ms past a 10 us deadline.
  WindowReport report = run_pause_window(10'000);
  set_clock_for_testing(nullptr);
  unregister_window_job(&job);
  EXPECT_EQ(report.steps, 1u);
  EXPECT_EQ(report.pending_after, 9u);
}

TEST(SchedPauseWindow, StepsRunWhileMutatorsAreStopped) {
  Spinners spinners(2);
  struct FrozenJob final : WindowJob {
    const Spinners* spinners;
    std::atomic<int> left{200};
    std::atomic<int> moved{0};
    const char* name() const override { return "frozen"; }
    size_t pending() const override { return static_cast<size_t>(std::max(0, left.load())); }
    bool step(WindowContext&) override {
      if (left.fetch_sub(1) <= 0) return false;
      auto before = spinners->snapshot();
      testing::busy_wait_ns(2'000);
      if (spinners->snapshot() != before) moved.fetch_add(1);
      safepoint_poll();  // a poll inside a window job returns at once
      return true;
    }
  } job;
  job.spinners = &spinners;
  register_window_job(&job);
  while (pending_window_work() > 0) run_pause_window(200'000);
  unregister_window_job(&job);
  EXPECT_EQ(job.moved.load(), 0);
}

TEST(SchedPauseWindow, RunWindowJobsInsideTheCallersStop) {
  CountingJob job("inside", 50);
  register_window_job(&job);
  uint64_t windows_before = window_stats().windows;
  {
    WorldStop stop("collector cycle");
    WindowReport report = run_window_jobs(stop, clock_now() + 60'000'000'000);
    EXPECT_TRUE(report.completed);
    EXPECT_GE(report.steps, 50u);  // a step may also find the last unit taken
    EXPECT_EQ(report.pause_ns, 0u);
    EXPECT_TRUE(world_stopped());  // still ours
  }
  EXPECT_EQ(job.done(), 50u);
  EXPECT_EQ(window_stats().windows, windows_before + 1);
  unregister_window_job(&job);
}

TEST(SchedPauseWindow, NoPendingWorkMeansNoStop) {
  CountingJob idle("idle", 0);
  register_window_job(&idle);
  reset_pause_stats_for_testing();
  WindowReport report = run_pause_window();
  EXPECT_TRUE(report.completed);
  EXPECT_EQ(report.steps, 0u);
  EXPECT_EQ(pause_stats().time_to_safepoint.count(), 0u);
  unregister_window_job(&idle);
}

TEST(SchedPauseWindow, UnregisterWaitsForAWindowThatRunsTheJob) {
  struct BlockingJob final : WindowJob {
    std::atomic<bool> in_step{false};
    std::atomic<bool> release{false};
    std::atomic<bool> taken{false};
    std::atomic<int> steps_after_unregister{0};
    std::atomic<bool>* unregistered = nullptr;
    const char* name() const override { return "blocking"; }
    size_t pending() const override { return taken.load() ? 0 : 1; }
    bool step(WindowContext&) override {
      if (unregistered->load()) steps_after_unregister.fetch_add(1);
      if (taken.exchange(true)) return false;
      in_step = true;
      eventually([this] { return release.load(); });
      return false;
    }
  } job;
  std::atomic<bool> unregistered{false};
  job.unregistered = &unregistered;
  register_window_job(&job);
  std::thread window([] { run_pause_window(60'000'000'000); });
  ASSERT_TRUE(eventually([&] { return job.in_step.load(); }));
  std::thread remover([&] {
    unregister_window_job(&job);
    unregistered = true;
  });
  for (int i = 0; i < 20; ++i) std::this_thread::sleep_for(std::chrono::microseconds(200));
  EXPECT_FALSE(unregistered.load());
  job.release = true;
  window.join();
  remover.join();
  EXPECT_TRUE(unregistered.load());
  EXPECT_EQ(job.steps_after_unregister.load(), 0);
}

TEST(SchedPauseWindow, StatsCountWindowsAndTheirLengths) {
  CountingJob job("stats", 10);
  register_window_job(&job);
  uint64_t before = window_stats().windows;
  uint64_t lengths_before = window_stats().lengths.count();
  WindowReport report = run_pause_window();
  EXPECT_EQ(window_stats().windows, before + 1);
  EXPECT_EQ(window_stats().lengths.count(), lengths_before + 1);
  EXPECT_LE(report.jobs_ns, report.pause_ns);
  unregister_window_job(&job);
}

}  // namespace
}  // namespace gcmap::sched
