// Test main for the map suites: the runtime starts in verify mode (every
// mark is checked by a second traversal, freed memory is poisoned), with
// concurrent cycles (the default).
#include <gtest/gtest.h>

#include "gcmap/gcmap.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (GTEST_FLAG_GET(list_tests)) return RUN_ALL_TESTS();
  gcmap::Config c = gcmap::Config::from_env();
  c.verify = true;
  gcmap::init(c);
  return RUN_ALL_TESTS();
}
