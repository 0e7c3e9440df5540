// Test main for the map concurrency suite: concurrent marking on (the
// default), so the maps' barriers and publication order are exercised while
// a marker runs beside the mutators. Verify mode is off here (see main.cc);
// the tests check liveness with their own registries.
#include <gtest/gtest.h>

#include "gcmap/gcmap.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (GTEST_FLAG_GET(list_tests)) return RUN_ALL_TESTS();
  gcmap::Config c = gcmap::Config::from_env();
  c.verify = false;
  c.concurrent = true;
  gcmap::init(c);
  return RUN_ALL_TESTS();
}
