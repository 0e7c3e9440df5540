// Leaving the process while the collector works: exit() runs static
// destructors while the runtime's threads (background mark workers, the
// sweeper, whoever drives cycles) keep going, so nothing they touch may be an
// object with a destructor. The fuzzer found the root table's shards
// (gc/src/roots.cc) destroyed under a background mark slice scanning them
// (tests/fuzz/crashes/README.md, "map-exit-use-after-free").
//
// Each check is a child process that starts cycles on a thread of its own and
// calls exit(). An atexit hook registered before any library's static
// destructor runs after all of them and lingers, so that cycles keep running
// over whatever exit() destroyed, and a sanitizer's report has time to be
// printed before the process ends. A read of a destroyed object is caught
// under ASan (the asan flavour); elsewhere the child most likely just exits.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include "gcmap/gcmap.h"

namespace gcmap::test {
namespace {

std::atomic<bool> g_linger{false};

void linger_after_static_destructors() {
  if (g_linger.load()) std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

// init_priority: before every ordinary static initializer, so before any
// library registers a destructor; atexit hooks run in reverse, so this runs
// after those destructors.
struct RegisterLingerFirst {
  RegisterLingerFirst() { std::atexit(linger_after_static_destructors); }
};
__attribute__((init_priority(101))) RegisterLingerFirst g_register_linger_first;

struct Node : GarbageCollected<Node> {
  void trace(Visitor& v) const { v.visit(next); }
  Ptr<Node> next;
};

// The child: roots in several shards (a thread's shard comes from its id),
// a thread running concurrent cycles for ever, and exit() once cycles run.
[[noreturn]] void exit_while_collecting() {
  // Reachable from a global, so leak checking does not report them.
  static auto* roots = new std::vector<Root<Node>*>();
  for (int t = 0; t < 8; ++t) {
    std::thread([] {
      ThreadScope attach;
      for (int i = 0; i < 4; ++i) {
        Node* n = make<Node>();
        n->next = make<Node>();
        roots->push_back(new Root<Node>(n));
      }
    }).join();
  }
  static auto* cycles = new std::atomic<unsigned>(0);
  std::thread([] {
    ThreadScope attach;
    for (;;) {
      collect_concurrent();
      cycles->fetch_add(1);
    }
  }).detach();
  while (cycles->load() < 2) std::this_thread::yield();
  g_linger = true;
  std::exit(0);  // this thread is detached: cycles need not wait for it
}

// A background mark scanning the root table while exit() destroyed it: a
// heap-use-after-free of the shards' block lists, reported by ASan on a
// runtime thread.
TEST(ExitWhileCollecting, RootTableSurvivesStaticDestructors) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // The race is the destructor landing while a slice copies a shard's block
  // list; lingering makes it nearly certain per child, a few children make
  // it certain.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EXIT(exit_while_collecting(), ::testing::ExitedWithCode(0), "") << "child " << i;
  }
}

}  // namespace
}  // namespace gcmap::test
