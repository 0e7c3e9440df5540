// Purging on jemalloc's background thread (HeapOptions::background_purge),
// and the rule that a MALLOC_CONF naming background_thread wins.
#include <gtest/gtest.h>
#include <jemalloc/jemalloc.h>

#include <cstdlib>

#include "gcmap/alloc/heap.h"

namespace gcmap::alloc {
namespace {

TEST(PurgeMallocConf, FindsBackgroundThreadAsAWholeKey) {
  EXPECT_FALSE(malloc_conf_sets_background_thread(nullptr));
  EXPECT_FALSE(malloc_conf_sets_background_thread(""));
  EXPECT_FALSE(malloc_conf_sets_background_thread("narenas:4,dirty_decay_ms:0"));
  EXPECT_FALSE(malloc_conf_sets_background_thread("max_background_threads:2"));
  EXPECT_FALSE(malloc_conf_sets_background_thread("background_threads:true"));
  EXPECT_TRUE(malloc_conf_sets_background_thread("background_thread:false"));
  EXPECT_TRUE(malloc_conf_sets_background_thread("background_thread:true"));
  EXPECT_TRUE(malloc_conf_sets_background_thread("narenas:4,background_thread:false"));
  EXPECT_TRUE(malloc_conf_sets_background_thread("background_thread:false,narenas:4"));
}

bool background_thread_on() {
  bool on = false;
  size_t sz = sizeof on;
  EXPECT_EQ(mallctl("background_thread", &on, &sz, nullptr, 0), 0);
  return on;
}

// Both directions in one test: the process-wide switch is the state under
// test, so nothing else may flip it between the steps.
TEST(Purge, ConfigureTurnsJemallocsBackgroundThreadOnUnlessMallocConfSaysOtherwise) {
  Heap& h = Heap::get();
  const HeapOptions saved = h.options();
  const char* env = getenv("MALLOC_CONF");
  if (malloc_conf_sets_background_thread(env)) GTEST_SKIP() << "MALLOC_CONF=" << env;
  bool off = false;
  ASSERT_EQ(mallctl("background_thread", nullptr, nullptr, &off, sizeof off), 0);
  HeapOptions o = saved;
  o.background_purge = false;
  h.configure(o);
  EXPECT_FALSE(background_thread_on());
  o.background_purge = true;
  h.configure(o);
  EXPECT_TRUE(background_thread_on());
  size_t max = 0;
  size_t sz = sizeof max;
  ASSERT_EQ(mallctl("max_background_threads", &max, &sz, nullptr, 0), 0);
  EXPECT_EQ(max, 1u);
  // The service's MALLOC_CONF wins: configure leaves the switch alone.
  ASSERT_EQ(mallctl("background_thread", nullptr, nullptr, &off, sizeof off), 0);
  ASSERT_EQ(setenv("MALLOC_CONF", "background_thread:false", 1), 0);
  h.configure(o);
  EXPECT_FALSE(background_thread_on());
  if (env != nullptr) {
    setenv("MALLOC_CONF", env, 1);
  } else {
    unsetenv("MALLOC_CONF");
  }
  h.configure(saved);
}

}  // namespace
}  // namespace gcmap::alloc
