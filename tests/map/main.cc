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

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  gcmap::Config c = gcmap::Config::from_env();
  c.verify = true;
  c.concurrent = false;
  gcmap::init(c);
  return RUN_ALL_TESTS();
}
