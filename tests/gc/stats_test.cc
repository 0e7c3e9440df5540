// stats() reports cycles, pauses, heap figures and mark throughput.
#include <gtest/gtest.h>

#include "gcmap/gc/testing.h"
#include "tracked.h"

namespace gcmap::test {
namespace {

class GcStats : public GcTest {};

TEST_F(GcStats, CyclesPausesAndHeapFiguresMove) {
  ThreadScope attach;
  Registry& reg = registry(10000);
  Stats before = stats();
  Root<Tracked> keep;
  for (size_t i = 0; i < 10000; ++i) {
    Tracked* t = make<Tracked>(&reg, i);
    t->a = keep;
    keep = t;
  }
  collect();
  Stats after = stats();
  EXPECT_EQ(after.cycles, before.cycles + 1);
  EXPECT_EQ(after.forced_cycles, before.forced_cycles + 1);
  EXPECT_GE(after.gc_pauses.count, before.gc_pauses.count + 1);
  EXPECT_GE(after.pauses.count, before.pauses.count + 1);
  EXPECT_GT(after.gc_pauses.max_ns, 0u);
  EXPECT_GE(after.heap_marked, 10000 * sizeof(Tracked));
  EXPECT_GE(after.heap_in_use, after.heap_marked);
  EXPECT_GT(after.bytes_marked_total, before.bytes_marked_total);
  EXPECT_GT(after.mark_throughput_mb_s, 0);
  EXPECT_GE(after.heap_goal, after.heap_marked);
  EXPECT_GE(after.roots, 1u);
}

TEST_F(GcStats, AutomaticCyclesRunWhenTheHeapReachesTheGoal) {
  ThreadScope attach;
  set_gc_percent(50);
  uint64_t cycles = stats().cycles;
  struct Garbage : GarbageCollected<Garbage> {
    char bytes[48];
  };
  // Allocate garbage well past any goal a small live heap can have.
  for (int i = 0; i < 400000; ++i) make<Garbage>()->bytes[0] = 1;
  EXPECT_GT(stats().cycles, cycles);
  EXPECT_LE(stats().heap_goal, uint64_t{16} << 20);
  set_gc_percent(100);
}

}  // namespace
}  // namespace gcmap::test
