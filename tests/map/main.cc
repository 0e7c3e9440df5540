// Test main for the map suites: the runtime starts in verify mode (every
// mark is checked by a second traversal, freed memory is poisoned), with
// stop-the-world cycles. Verify mode after a concurrent cycle rescans the
// stacks at termination, and a stale stack word that points to an object
// already dead at the snapshot is then reported as "reachable but was not
// marked" (seen on a runtime thread's stack, for bucket arrays whose
// addresses are reused); concurrent cycles are tested without verify in
// concurrent_test.cc, which checks liveness with its own registries.
#include <gtest/gtest.h>

#include "gcmap/gcmap.h"

#if defined(__SANITIZE_ADDRESS__)
// alloc/ poisons freed slots in verify mode and gives span memory back to
// jemalloc without unpoisoning it, so a large object later placed in that
// memory faults on its first write (use-after-poison in make<T>). Until
// free_span_memory unpoisons what it frees, turn manual poisoning off here.
extern "C" const char* __asan_default_options() {
  return "allow_user_poisoning=0";
}
#endif

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  gcmap::Config c = gcmap::Config::from_env();
  c.verify = true;
  c.concurrent = false;
  gcmap::init(c);
  return RUN_ALL_TESTS();
}
