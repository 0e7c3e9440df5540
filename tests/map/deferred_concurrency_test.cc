// Deferred erases with several threads (also run under TSan): producers
// queue erases for one map while its owner reads and writes it, and the
// scheduler's windows and the owner's writes apply them, with concurrent
// marking on.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "gcmap/map/deferred.h"
#include "map_test_util.h"

namespace gcmap::map_test {
namespace {

class DeferredConcurrency : public MapTest {};

TEST_F(DeferredConcurrency, SeveralThreadsQueueForOneOwnerWhileWindowsAndCyclesRun) {
  ThreadScope attach;
  HashMap<std::string, uint64_t> m;
  constexpr int kThreads = 3;
  const int kPer = static_cast<int>(30000 / kScale);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPer; ++i)
      m.insert_or_assign(std::to_string(t) + ":" + std::to_string(i), 1);
  }
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&m, t, kPer] {
      ThreadScope a;
      for (int i = 0; i < kPer; i += 2) {
        m.erase_deferred(std::string_view(std::to_string(t) + ":" + std::to_string(i)));
      }
    });
  }
  // The owner keeps reading and writing meanwhile (its writes apply a few).
  for (int i = 0; i < 2000; ++i) m.insert_or_assign("owner:" + std::to_string(i), 2);
  {
    BlockingRegion b;
    for (auto& p : producers) p.join();
  }
  m.flush_deferred();
  EXPECT_EQ(m.size(), static_cast<size_t>(kThreads * kPer / 2 + 2000));
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPer; ++i) {
      ASSERT_EQ(m.contains(std::to_string(t) + ":" + std::to_string(i)), i % 2 == 1);
    }
  }
}

}  // namespace
}  // namespace gcmap::map_test
