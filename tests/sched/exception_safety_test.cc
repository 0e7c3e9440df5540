// Exception safety (sched/README.md): a callback the scheduler runs — a
// pause-window job's step, a background slice, a run_on_workers function —
// that throws is fatal, naming the callback, instead of escaping into a stop
// or a TBB worker with the world stopped or a worker's flags half reset.
#include <gtest/gtest.h>
#include <unistd.h>

#include <stdexcept>

#include "gcmap/sched/background.h"
#include "gcmap/sched/window.h"
#include "gcmap/sched/workers.h"

namespace gcmap::sched {
namespace {

class SchedExceptionSafetyDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

class ThrowingJob final : public WindowJob {
 public:
  const char* name() const override { return "throwing job"; }
  size_t pending() const override { return 1; }
  bool step(WindowContext&) override { throw std::runtime_error("step failed"); }
};

TEST_F(SchedExceptionSafetyDeathTest, AWindowJobThatThrowsIsFatalAndNamed) {
  EXPECT_DEATH(
      {
        ThrowingJob job;
        register_window_job(&job);
        run_pause_window(60'000'000'000);
      },
      "gcmap: pause-window job 'throwing job' \\(step\\) threw std::runtime_error \\(\"step "
      "failed\"\\); callbacks run by the scheduler must not throw");
}

TEST_F(SchedExceptionSafetyDeathTest, ARunOnWorkersFunctionThatThrowsIsFatal) {
  EXPECT_DEATH(run_on_workers(1, [](unsigned) { throw 7; }),
               "gcmap: a function run by run_on_workers threw int; callbacks run by the "
               "scheduler must not throw");
}

class ThrowingSlice final : public BackgroundJob {
 public:
  const char* name() const override { return "throwing slice"; }
  bool run_slice(SliceContext&) override { throw std::logic_error("slice failed"); }
};

TEST_F(SchedExceptionSafetyDeathTest, ABackgroundSliceThatThrowsIsFatalAndNamed) {
  EXPECT_DEATH(
      {
        static ThrowingSlice job;
        start_background(&job, 0.5);
        // The slice runs on a worker and ends the process; a minute without
        // that fails the test instead of hanging it.
        for (int i = 0; i < 600; ++i) usleep(100'000);
      },
      "gcmap: background job 'throwing slice' \\(run_slice\\) threw std::logic_error");
}

}  // namespace
}  // namespace gcmap::sched
