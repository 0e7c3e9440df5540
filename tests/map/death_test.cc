// Misuse that Go's map catches is caught here too, and is fatal: a write
// concurrent with another write, with a read, or with an iteration. The
// tests make the overlap certain: the first writer is held inside the
// constructor of the value it inserts (the map is then in its writing
// state) until the second thread touches the map.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "map_test_util.h"

namespace gcmap::map_test {
namespace {

std::atomic<bool> g_inside{false};

// Built with true, its constructor announces that the write is in progress
// and waits for the process to die.
struct Stall {
  explicit Stall(bool stall) {
    if (!stall) return;
    g_inside.store(true);
    for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
};

using StallMap = HashMap<uint64_t, Stall>;

StallMap* make_map() {
  auto* m = new StallMap();
  for (uint64_t i = 0; i < 10; ++i) m->try_emplace(i, false);
  return m;
}

void start_stalled_writer(StallMap* m) {
  std::thread([m] {
    ThreadScope attach;
    m->try_emplace(100, true);
  }).detach();
  while (!g_inside.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

TEST(MapDeathTest, ConcurrentWritesAreFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadScope attach;
        StallMap* m = make_map();
        start_stalled_writer(m);
        m->erase(2);
      },
      "gcmap: concurrent map writes");
}

TEST(MapDeathTest, AReadDuringAWriteIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadScope attach;
        StallMap* m = make_map();
        start_stalled_writer(m);
        (void)m->contains(2);
      },
      "gcmap: concurrent map read and map write");
}

TEST(MapDeathTest, AnIterationDuringAWriteIsFatal) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadScope attach;
        StallMap* m = make_map();
        auto it = m->begin();
        start_stalled_writer(m);
        ++it;
      },
      "gcmap: concurrent map iteration and map write");
}

}  // namespace
}  // namespace gcmap::map_test
