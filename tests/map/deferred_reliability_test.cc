// Deferred erases when things go wrong (issue 13): callbacks that throw
// (in flush_deferred, in a pause window, in the owner's writes, during an
// evacuation), erases nobody else would apply (an idle owner, bulk erases,
// the 65th producer, a growing map), full collections that met a growing
// map or an owner stopped in the middle of a write, a hub published before
// it was built, writes of keys whose erase is queued, and a copy whose
// source loses entries to a window meanwhile. Each test is named after the
// failure it guards against. Built into map_tests (verify mode, also under
// ASan+UBSan) and map_concurrency_tests (also under TSan).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gcmap/map/deferred.h"
#include "gcmap/sched/window.h"
#include "map_test_util.h"

namespace gcmap::map_test {
namespace {

using map_detail::TestPeer;

class DeferredReliability : public MapTest {
 protected:
  void SetUp() override {
    MapTest::SetUp();
    map_detail::pause_deferred_scheduler(false);
  }
  void TearDown() override {
    map_detail::pause_deferred_scheduler(false);
    MapTest::TearDown();
  }
};

// Aborts the process, naming what hung, unless disarmed (destroyed) within
// `seconds`: a test of a hang must fail rather than hang itself (a hang in
// a stop-the-world pause would leave every attached thread stuck).
class Watchdog {
 public:
  Watchdog(const char* what, int seconds) : what_(what) {
    thread_ = std::thread([this, seconds] {
      std::unique_lock<std::mutex> l(mu_);
      if (!cv_.wait_for(l, std::chrono::seconds(seconds), [this] { return done_; })) {
        std::fprintf(stderr, "FAILED: %s did not return within %d s (a hang)\n", what_, seconds);
        std::abort();
      }
    });
  }
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> l(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  const char* what_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// Waits (as a stopped thread: windows may apply this thread's maps) until
// nothing is pending for m, at most `seconds`.
template <class Map>
bool idle_until_applied(const Map& m, double seconds) {
  BlockingRegion idle;
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (m.deferred_pending() != 0) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A hasher that throws for one key (g_throw_key), or for every key but one
// (g_throw_all_but), when set.
constexpr uint64_t kNone = ~uint64_t{0};
std::atomic<uint64_t> g_throw_key{kNone};
std::atomic<uint64_t> g_throw_all_but{kNone};
struct ThrowingHash {
  uint64_t operator()(uint64_t k, uint64_t seed) const {
    if (k == g_throw_key.load() ||
        (g_throw_all_but.load() != kNone && k != g_throw_all_but.load())) {
      throw std::runtime_error("ThrowingHash: " + std::to_string(k));
    }
    return map_detail::mix64(k, seed);
  }
};
struct ThrowingHashReset {
  ~ThrowingHashReset() {
    g_throw_key = kNone;
    g_throw_all_but = kNone;
  }
};
using ThrowMap = HashMap<uint64_t, uint64_t, ThrowingHash>;

// ---- 6. A hub published before it was built -----------------------------

// tests/fuzz/corpus/map/map-hub-publish-race-*: "pure virtual method
// called", or ASan's use-after-free / UBSan's null DeferredQueue in
// DeferredHub::pushed, or TSan's race on the hub's queue count, on the
// scheduler thread. In Release the half-built hub is mostly read as stale
// memory without a crash: the sanitizer builds are the ones that catch it,
// so the count is not scaled down for them.
TEST_F(DeferredReliability, TheFirstEraseDeferredDoesNotPublishAHalfBuiltHub) {
  ThreadScope attach;
  constexpr int kMaps = 200000;
  for (int i = 0; i < kMaps; ++i) {
    HashMap<uint64_t, uint64_t> m;
    m.erase_deferred(uint64_t{1});  // creates and publishes the hub
  }
}

}  // namespace
}  // namespace gcmap::map_test
