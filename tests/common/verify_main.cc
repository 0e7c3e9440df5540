// Test main for the suites that need the collector (gc/, map/): the runtime
// starts in verify mode (every mark is checked by a second traversal, freed
// memory is poisoned), with the rest of its configuration from the
// environment (concurrent cycles by default; GCMAP_GC_TORTURE and friends).
#include <gtest/gtest.h>

#include "gcmap/gcmap.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Test discovery at build time only lists: no runtime (and no threads
  // for a sanitizer to watch) is needed for that.
  if (GTEST_FLAG_GET(list_tests)) return RUN_ALL_TESTS();
  gcmap::Config c = gcmap::Config::from_env();
  c.verify = true;
  gcmap::init(c);
  return RUN_ALL_TESTS();
}
