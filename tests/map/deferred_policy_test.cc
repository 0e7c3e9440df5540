// The deferred-erase window policy: every rule of deferred_policy.h.
#include "gcmap/map/internal/deferred_policy.h"

#include <gtest/gtest.h>

namespace gcmap::map::detail {
namespace {

constexpr uint64_t kMs = 1'000'000;

DeferredSignals base() {
  DeferredSignals s;
  s.queued = 10;
  s.oldest_age_ns = 0;
  s.staleness_target_ns = 10 * kMs;
  s.heap_pressure = 0.5;
  s.erase_ns = 100;
  s.budget_ns = 500'000;  // 5000 erases per window
  return s;
}

TEST(DeferredPolicy, NothingQueuedNothingToDo) {
  DeferredSignals s = base();
  s.queued = 0;
  DeferredDecision d = decide(s);
  EXPECT_FALSE(d.window_now);
  EXPECT_EQ(d.batch, 0u);
  EXPECT_EQ(d.recheck_after_ns, 0u);
}

TEST(DeferredPolicy, AFewFreshErasesWaitUntilHalfTheStalenessTarget) {
  DeferredSignals s = base();
  s.oldest_age_ns = 2 * kMs;
  DeferredDecision d = decide(s);
  EXPECT_FALSE(d.window_now);
  EXPECT_EQ(d.recheck_after_ns, 1 * kMs) << "at most 1 ms between checks";
  s.oldest_age_ns = 4'600'000;
  EXPECT_EQ(decide(s).recheck_after_ns, 400'000u) << "look again when it turns half-stale";
  s.oldest_age_ns = 5 * kMs;
  d = decide(s);
  EXPECT_TRUE(d.window_now);
  EXPECT_EQ(d.batch, 10u);
}

TEST(DeferredPolicy, AFullWindowsWorthOpensAWindowAtOnce) {
  DeferredSignals s = base();
  s.queued = 5000;
  DeferredDecision d = decide(s);
  EXPECT_TRUE(d.window_now);
  EXPECT_EQ(d.batch, 5000u);
  s.queued = 1'000'000;  // a storm: the batch is what one window can take
  EXPECT_EQ(decide(s).batch, 5000u);
  s.queued = 4999;
  EXPECT_FALSE(decide(s).window_now);
}

TEST(DeferredPolicy, AStormStillArrivingIsLeftToFinishUnlessItTurnsStale) {
  DeferredSignals s = base();
  s.queued = 1'000'000;
  s.arriving = true;
  s.oldest_age_ns = 1 * kMs;
  EXPECT_FALSE(decide(s).window_now) << "a window now would only slow the producer";
  s.oldest_age_ns = 5 * kMs;
  EXPECT_TRUE(decide(s).window_now) << "but the staleness target holds";
  s.oldest_age_ns = 1 * kMs;
  s.heap_pressure = 0.9;
  EXPECT_TRUE(decide(s).window_now) << "and so does memory pressure";
}

TEST(DeferredPolicy, BatchFollowsTheMeasuredCostOfAnErase) {
  DeferredSignals s = base();
  s.queued = 1'000'000;
  s.erase_ns = 250;
  EXPECT_EQ(decide(s).batch, 2000u);
  s.erase_ns = 0;  // unknown: the default cost
  EXPECT_EQ(decide(s).batch, static_cast<size_t>(500'000 / kDefaultEraseNs));
}

TEST(DeferredPolicy, MemoryPressureMakesAnyQueueUrgent) {
  DeferredSignals s = base();
  s.heap_pressure = 0.84;
  EXPECT_FALSE(decide(s).window_now);
  s.heap_pressure = 0.9;
  EXPECT_TRUE(decide(s).window_now);
}

TEST(DeferredPolicy, WindowsAreSpacedUnlessTheHeapIsPastItsGoal) {
  DeferredSignals s = base();
  s.queued = 1'000'000;
  s.last_window_ns = 100'000;
  s.since_last_window_ns = 300'000;  // less than 4 x 100 us
  DeferredDecision d = decide(s);
  EXPECT_FALSE(d.window_now);
  EXPECT_EQ(d.recheck_after_ns, 100'000u);
  s.since_last_window_ns = 400'000;
  EXPECT_TRUE(decide(s).window_now);
  // Under pressure, three times the window is enough.
  s.since_last_window_ns = 300'000;
  s.heap_pressure = 0.9;
  EXPECT_TRUE(decide(s).window_now);
  s.since_last_window_ns = 10'000;
  s.heap_pressure = 1.2;
  EXPECT_TRUE(decide(s).window_now) << "past the goal, garbage must go";
}

}  // namespace
}  // namespace gcmap::map::detail
