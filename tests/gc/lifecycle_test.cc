// A thread that exits with its ThreadScope leaked is detached at exit, so
// collections go on (fork() children: fork_test.cc).
#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <new>
#include <thread>

#include "gcmap/sched/mutator.h"
#include "tracked.h"

namespace gcmap::test {
namespace {

class Lifecycle : public GcTest {};

struct Leaf : GarbageCollected<Leaf> {
  uint64_t value = 7;
};

alignas(ThreadScope) unsigned char g_leaked_scope[sizeof(ThreadScope)];

// Before the fix the exited thread stayed registered as running, and the
// next collection waited for it forever.
TEST_F(Lifecycle, AThreadThatExitsWithItsThreadScopeLeakedIsDetached) {
  const size_t before = sched::attached_count(sched::Role::kMutator);
  ::testing::internal::CaptureStderr();
  std::thread t([] {
    pthread_setname_np(pthread_self(), "leaks-scope");
    new (g_leaked_scope) ThreadScope;  // never destroyed
    for (int i = 0; i < 1000; ++i) make<Leaf>();
  });
  t.join();
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(sched::attached_count(sched::Role::kMutator), before)
      << "the exited thread is still registered";
  collect();
  collect_concurrent();
  EXPECT_NE(err.find("(\"leaks-scope\") exited while attached"), std::string::npos) << err;
}

}  // namespace
}  // namespace gcmap::test
