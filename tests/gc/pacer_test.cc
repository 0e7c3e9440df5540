// The pacer's arithmetic: GOGC 50/100/200/off, the minimum heap, and the
// memory limit binding.
#include "pacer.h"

#include <gtest/gtest.h>

namespace gcmap::gc::detail {
namespace {

constexpr uint64_t MiB = 1 << 20;

PacerGoal goal(uint64_t marked, int gogc, uint64_t limit = 0, uint64_t overhead = 0) {
  return compute_goal({marked, gogc, limit, overhead});
}

TEST(Pacer, GoalGrowsTheLiveHeapByGogcPercent) {
  EXPECT_EQ(goal(100 * MiB, 100).goal, 200 * MiB);
  EXPECT_EQ(goal(100 * MiB, 50).goal, 150 * MiB);
  EXPECT_EQ(goal(100 * MiB, 200).goal, 300 * MiB);
  EXPECT_EQ(goal(100 * MiB, 0).goal, 100 * MiB);
  EXPECT_FALSE(goal(100 * MiB, 100).limit_bound);
  // No overflow or rounding surprises on odd sizes.
  EXPECT_EQ(goal(1001, 100).goal, 4 * MiB);
  EXPECT_EQ(goal(1000 * MiB + 1, 100).goal, 2000 * MiB + 2);
}

TEST(Pacer, MinimumHeapScalesWithGogcAsGosDoes) {
  EXPECT_EQ(goal(0, 100).goal, 4 * MiB);
  EXPECT_EQ(goal(1 * MiB, 100).goal, 4 * MiB);
  EXPECT_EQ(goal(1 * MiB, 50).goal, 2 * MiB);
  EXPECT_EQ(goal(1 * MiB, 200).goal, 8 * MiB);
}

TEST(Pacer, GogcOffMeansNoGoalWithoutALimit) {
  EXPECT_EQ(goal(100 * MiB, -1).goal, kNoGoal);
  PacerGoal g = goal(100 * MiB, -1, 1024 * MiB);
  EXPECT_NE(g.goal, kNoGoal);
  EXPECT_TRUE(g.limit_bound);
  EXPECT_EQ(g.goal, 1024 * MiB / 100 * 95);
}

TEST(Pacer, MemoryLimitLowersTheGoalWhenItBinds) {
  // 400 MiB live, GOGC 100 wants 800; a 600 MiB limit with 50 MiB overhead
  // allows 570 - 50 = 520.
  PacerGoal g = goal(400 * MiB, 100, 600 * MiB, 50 * MiB);
  EXPECT_TRUE(g.limit_bound);
  EXPECT_EQ(g.goal, 600 * MiB / 100 * 95 - 50 * MiB);
  // A generous limit does not bind.
  PacerGoal h = goal(400 * MiB, 100, 4096 * MiB, 50 * MiB);
  EXPECT_FALSE(h.limit_bound);
  EXPECT_EQ(h.goal, 800 * MiB);
}

TEST(Pacer, LimitBelowTheLiveHeapStillLeavesRoomToAllocate) {
  PacerGoal g = goal(400 * MiB, 100, 300 * MiB);
  EXPECT_TRUE(g.limit_bound);
  EXPECT_EQ(g.goal, 400 * MiB + 25 * MiB);  // marked + marked/16
  PacerGoal small = goal(2 * MiB, 100, 1 * MiB);
  EXPECT_EQ(small.goal, 3 * MiB);  // at least 1 MiB of room
}

TEST(Pacer, TriggerStartsEarlyEnoughForTheMarkToEndAtTheGoal) {
  // 100 MiB live, goal 200: marking at 500 MiB/s takes 0.2 s; allocating
  // 100 MiB/s meanwhile needs 20 MiB (25 with the margin) of room.
  TriggerInput in{100 * MiB, 200 * MiB, 500.0 * MiB, 100.0 * MiB};
  EXPECT_EQ(compute_trigger(in), 175 * MiB);
  // No measurements yet: 70% of the runway.
  EXPECT_EQ(compute_trigger({100 * MiB, 200 * MiB, 0, 0}), 170 * MiB);
  // A fast allocator would start below 60%: clamped there.
  EXPECT_EQ(compute_trigger({100 * MiB, 200 * MiB, 100.0 * MiB, 1000.0 * MiB}), 160 * MiB);
  // A slow one would start after 95%: clamped there.
  EXPECT_EQ(compute_trigger({100 * MiB, 200 * MiB, 1e12, 1.0}), 195 * MiB);
  // No goal, no trigger; a goal below the live heap starts at once.
  EXPECT_EQ(compute_trigger({100 * MiB, kNoGoal, 1, 1}), kNoGoal);
  EXPECT_EQ(compute_trigger({100 * MiB, 90 * MiB, 1, 1}), 100 * MiB);
}

}  // namespace
}  // namespace gcmap::gc::detail
