// Test main for the collector's suites: the runtime starts in verify mode
// (every mark is checked by a second traversal, freed memory is poisoned).
#include <gtest/gtest.h>

#include "gcmap/gcmap.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  gcmap::Config c = gcmap::Config::from_env();
  c.verify = true;
  gcmap::init(c);
  return RUN_ALL_TESTS();
}
