// fork() while the heap is in use: a child that allocates without exec
// fails with a message instead of hanging; a child that only tears down
// exits cleanly. Not run under TSan: jemalloc's fork handler takes more
// locks at once than ThreadSanitizer's deadlock detector can track (a
// CHECK failure inside TSan, not a race).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/fork_child.h"
#include "tracked.h"

namespace gcmap::test {
namespace {

using test_common::ChildResult;
using test_common::run_in_fork_child;

class Fork : public GcTest {};

struct Leaf : GarbageCollected<Leaf> {
  uint64_t value = 7;
};

// fork() while another attached thread allocates. The child used to hang at
// its first allocation slow path (a lock held by the other thread, or a
// cycle nobody runs); now it fails at its first allocation, saying why.
TEST_F(Fork, AForkChildThatAllocatesWithoutExecFailsWithAClearMessage) {
  std::atomic<bool> done{false};
  std::atomic<uint64_t> allocated{0};
  std::thread allocator([&] {
    ThreadScope attach;
    while (!done.load(std::memory_order_relaxed)) {
      make<Leaf>();
      allocated.fetch_add(1, std::memory_order_relaxed);
    }
  });
  while (allocated.load() < 10000) std::this_thread::yield();
  ChildResult r;
  {
    ThreadScope attach;
    make<Leaf>();  // this thread has a cached span to allocate from
    r = run_in_fork_child([] {
      for (int i = 0; i < 1000000; ++i) make<Leaf>();
      collect();
    });
  }
  done = true;
  allocator.join();
  ASSERT_FALSE(r.hung) << "the fork() child hung: " << r.err;
  EXPECT_TRUE(r.aborted()) << r.err;
  EXPECT_NE(r.err.find("gcmap: the heap was used in a fork() child without exec (allocation)"),
            std::string::npos)
      << r.err;
}

// What may still happen in a child: tearing down (here a Root), then exec or
// _exit (exit() would run the static destructors of libraries such as TBB,
// whose threads did not survive the fork either).
TEST_F(Fork, AForkChildThatOnlyTearsDownExitsCleanly) {
  ThreadScope attach;
  auto* root = new Root<Leaf>(make<Leaf>());
  ChildResult r = run_in_fork_child([root] {
    delete root;
    _exit(0);
  });
  delete root;
  ASSERT_FALSE(r.hung) << "the fork() child hung: " << r.err;
  EXPECT_TRUE(r.exited_with(0)) << r.status << " " << r.err;
}

}  // namespace
}  // namespace gcmap::test
