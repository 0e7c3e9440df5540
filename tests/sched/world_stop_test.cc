// Stop-the-world: mutators make no progress inside a stop and all resume
// after it; stops repeat without hanging; stoppers serialize; pauses and
// time-to-safepoint are recorded once per stop.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "gcmap/sched/safepoint.h"
#include "gcmap/sched/stw.h"
#include "sched_test_util.h"

namespace gcmap::sched {
namespace {

using testing::busy_wait_ns;
using testing::eventually;
using testing::Spinners;

TEST(SchedWorldStop, EightSpinningMutatorsMakeNoProgressInsideAThousandStops) {
  reset_pause_stats_for_testing();
  Spinners spinners(8);
  constexpr int kStops = 1000;
  int progressed = 0;  // stops inside which some mutator moved
  int not_stopped = 0;
  for (int i = 0; i < kStops; ++i) {
    std::vector<uint64_t> frozen;
    {
      WorldStop stop("test");
      if (!world_stopped()) ++not_stopped;
      frozen = spinners.snapshot();
      busy_wait_ns(20'000);
      if (spinners.snapshot() != frozen) ++progressed;
    }
    EXPECT_FALSE(world_stopped());
    // Every 50th stop, and after the last: everybody runs again (the counters
    // move past the values they had inside the stop).
    if (i % 50 == 49) {
      ASSERT_TRUE(spinners.all_move_after(frozen)) << "stop " << i;
    }
  }
  EXPECT_EQ(progressed, 0);
  EXPECT_EQ(not_stopped, 0);
  // One pause per stop, recorded once its parked mutators all ran again
  // (they did: their counters moved after the last stop).
  EXPECT_EQ(pause_stats().time_to_safepoint.count(), static_cast<uint64_t>(kStops));
  EXPECT_EQ(pause_stats().pauses.count(), static_cast<uint64_t>(kStops));
  EXPECT_GE(pause_stats().pauses.max(), pause_stats().time_to_safepoint.percentile(0.5));
}

TEST(SchedWorldStop, AttachedStopperStopsEveryoneElse) {
  Spinners spinners(3);
  MutatorScope attach;
  for (int i = 0; i < 100; ++i) {
    WorldStop stop("attached stopper");
    EXPECT_TRUE(this_thread_is_stopper());
    safepoint_poll();  // the stopper's own poll must not park
    std::vector<uint64_t> before = spinners.snapshot();
    busy_wait_ns(5'000);
    EXPECT_EQ(spinners.snapshot(), before);
  }
  EXPECT_FALSE(this_thread_is_stopper());
}

TEST(SchedWorldStop, ForEachMutatorVisitsEveryAttachedThreadOnce) {
  Spinners spinners(4);
  MutatorScope attach;
  WorldStop stop("count");
  std::unordered_set<uint64_t> ids;
  int self_seen = 0;
  stop.for_each_mutator([&](Mutator& m) {
    ids.insert(m.id());
    if (&m == current()) ++self_seen;
  });
  EXPECT_EQ(ids.size(), attached_count());
  EXPECT_GE(ids.size(), 5u);  // 4 spinners and us (workers, if any, too)
  EXPECT_EQ(self_seen, 1);
}

TEST(SchedWorldStop, StopsFromTwoThreadsSerialize) {
  Spinners spinners(4);
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  auto stopper = [&](bool attached) {
    std::unique_ptr<MutatorScope> attach;
    if (attached) attach = std::make_unique<MutatorScope>();
    for (int i = 0; i < 200; ++i) {
      WorldStop stop("serialize");
      if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
      busy_wait_ns(2'000);
      inside.fetch_sub(1);
      if (attached) safepoint_poll();
    }
  };
  // One attached stopper (it must count as stopped while it waits for its
  // turn) and one unattached.
  std::thread a(stopper, true);
  std::thread b(stopper, false);
  a.join();
  b.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_TRUE(spinners.all_move_after(spinners.snapshot()));
}

TEST(SchedWorldStop, ReportsTimeToSafepoint) {
  Spinners spinners(2);
  WorldStop stop("timing");
  EXPECT_GT(stop.request_ns(), 0u);
  EXPECT_LE(stop.request_ns() + stop.time_to_safepoint_ns(), base::now_ns());
  EXPECT_STREQ(stop.reason(), "timing");
}

TEST(SchedWorldStop, StopWithNoMutatorsAttachedRecordsAPause) {
  reset_pause_stats_for_testing();
  { WorldStop stop("empty"); }
  EXPECT_EQ(pause_stats().pauses.count(), 1u);
}

TEST(SchedWorldStop, PauseEventsRecordEveryStopWithItsStart) {
  reset_pause_stats_for_testing();
  std::vector<PauseEvent> events;
  uint64_t cursor = pause_events_since(0, &events);
  EXPECT_TRUE(events.empty());
  uint64_t before = base::now_ns();
  for (int i = 0; i < 5; ++i) {
    WorldStop stop("event");
  }
  uint64_t after = base::now_ns();
  cursor = pause_events_since(cursor, &events);
  ASSERT_EQ(events.size(), 5u);
  for (const PauseEvent& e : events) {
    EXPECT_GE(e.start_ns, before);
    EXPECT_LE(e.start_ns + e.length_ns, after);
    EXPECT_GT(e.length_ns, 0u);
  }
  for (size_t i = 1; i < events.size(); ++i) EXPECT_GT(events[i].start_ns, events[i - 1].start_ns);
  // The cursor continues where it was.
  { WorldStop stop("one more"); }
  std::vector<PauseEvent> more;
  pause_events_since(cursor, &more);
  EXPECT_EQ(more.size(), 1u);
}

TEST(SchedWorldStop, WarnsWhenATimeToSafepointExceedsOneSecond) {
  std::atomic<pid_t> tid{0};
  std::atomic<bool> done{false};
  std::thread slow([&] {
    MutatorScope attach;
    tid = gettid();
    // Running, but not polling: the stop has to wait for us.
    while (!stop_requested()) {
    }
    // Withhold the safepoint for longer than the threshold.
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    while (!done.load()) safepoint_poll();
  });
  ASSERT_TRUE(eventually([&] { return tid.load() != 0; }));
  ::testing::internal::CaptureStderr();
  { WorldStop stop("slow"); }
  std::string err = ::testing::internal::GetCapturedStderr();
  done = true;
  slow.join();
  EXPECT_NE(err.find("to reach a safepoint"), std::string::npos) << err;
  EXPECT_NE(err.find("thread " + std::to_string(tid.load())), std::string::npos) << err;
}

}  // namespace
}  // namespace gcmap::sched
