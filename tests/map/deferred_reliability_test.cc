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

using map::detail::TestPeer;

// map_concurrency_tests compiles this file again under another suite name
// (tests/map/CMakeLists.txt), so that CTest sees no test name twice.
#ifndef GCMAP_RELIABILITY_SUITE
#define GCMAP_RELIABILITY_SUITE DeferredReliability
#endif

class GCMAP_RELIABILITY_SUITE : public DeferredMapTest {};

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
    return map::detail::mix64(k, seed);
  }
};
struct ThrowingHashReset {
  ~ThrowingHashReset() {
    g_throw_key = kNone;
    g_throw_all_but = kNone;
  }
};
using ThrowMap = HashMap<uint64_t, uint64_t, ThrowingHash>;

// ---- 1. An exception escaping flush_deferred() --------------------------

TEST_F(GCMAP_RELIABILITY_SUITE, FlushAfterAHashThrewDoesNotSpinForever) {
  ThreadScope attach;
  ThrowingHashReset reset;
  map::detail::pause_deferred_scheduler(true);
  ThrowMap m;
  for (uint64_t i = 0; i < 100; ++i) m.insert_or_assign(i, i);
  m.erase_deferred(12);
  m.erase_deferred(13);
  m.erase_deferred(14);
  g_throw_key = 13;
  EXPECT_THROW(m.flush_deferred(), std::runtime_error);
  // The erase that threw is dropped, the rest stays queued.
  EXPECT_EQ(m.deferred_pending(), 1u);
  {
    Watchdog dog("flush_deferred() after a hash threw in the previous one", 30);
    EXPECT_EQ(m.flush_deferred(), 1u);
  }
  g_throw_key = kNone;
  EXPECT_EQ(m.deferred_pending(), 0u);
  EXPECT_FALSE(m.contains(12));
  EXPECT_TRUE(m.contains(13));
  EXPECT_FALSE(m.contains(14));
  EXPECT_EQ(m.size(), 98u);
}

TEST_F(GCMAP_RELIABILITY_SUITE, FlushAfterAPredThrewDoesNotSpinForeverAndWindowsStillApplyTheMap) {
  ThreadScope attach;
  map::detail::pause_deferred_scheduler(true);
  HashMap<uint64_t, uint64_t> m;
  for (uint64_t i = 0; i < 100; ++i) m.insert_or_assign(i, i);
  m.erase_if_deferred([](const uint64_t& k, const uint64_t&) {
    if (k == 7) throw std::runtime_error("pred");
    return false;
  });
  m.erase_if_deferred([](const uint64_t& k, const uint64_t&) { return k >= 90; });
  EXPECT_THROW(m.flush_deferred(), std::runtime_error);
  EXPECT_EQ(m.deferred_pending(), 1u) << "the sweep that threw is dropped, the other stays";
  // Not left claimed: a window applies it.
  {
    Watchdog dog("a pause window after flush_deferred() threw", 30);
    BlockingRegion b;
    sched::run_pause_window(1'000'000'000);
  }
  EXPECT_EQ(m.deferred_pending(), 0u);
  EXPECT_EQ(m.size(), 90u);
  {
    Watchdog dog("flush_deferred() after a pred threw in the previous one", 30);
    EXPECT_EQ(m.flush_deferred(), 0u);
  }
}

// ---- 2. A callback that throws while a pause window applies an erase ----

TEST_F(GCMAP_RELIABILITY_SUITE, AHashThatThrowsInAPauseWindowIsNotFatalAndTheNextFlushRethrowsIt) {
  ThreadScope attach;
  ThrowingHashReset reset;
  map::detail::pause_deferred_scheduler(true);
  ThrowMap m;
  for (uint64_t i = 0; i < 100; ++i) m.insert_or_assign(i, i);
  m.erase_deferred(12);
  m.erase_deferred(13);
  m.erase_deferred(14);
  const uint64_t before = deferred_stats().callback_failures;
  g_throw_key = 13;
  ::testing::internal::CaptureStderr();
  {
    BlockingRegion b;  // the owner, stopped like everyone else
    sched::run_pause_window(1'000'000'000);
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(deferred_stats().callback_failures - before, 1u);
  EXPECT_EQ(m.deferred_pending(), 0u) << "the erase that threw is dropped, the others applied";
  if (before == 0) {
    // The one warning of the process names what happened.
    EXPECT_NE(err.find("ThrowingHash: 13"), std::string::npos) << err;
    EXPECT_NE(err.find("flush_deferred"), std::string::npos) << err;
  }
  g_throw_key = kNone;
  EXPECT_FALSE(m.contains(12));
  EXPECT_TRUE(m.contains(13));
  EXPECT_FALSE(m.contains(14));
  EXPECT_THROW(m.flush_deferred(), std::runtime_error) << "the owner hears of it";
  EXPECT_NO_THROW(m.flush_deferred()) << "once";
  // And the map is applied by windows as before.
  m.erase_deferred(15);
  {
    BlockingRegion b;
    sched::run_pause_window(1'000'000'000);
  }
  EXPECT_EQ(m.deferred_pending(), 0u);
  EXPECT_FALSE(m.contains(15));
}

TEST_F(GCMAP_RELIABILITY_SUITE, APredThatThrowsInAPauseWindowIsNotFatal) {
  ThreadScope attach;
  map::detail::pause_deferred_scheduler(true);
  HashMap<uint64_t, uint64_t> m;
  for (uint64_t i = 0; i < 1000; ++i) m.insert_or_assign(i, i);
  m.erase_if_deferred([](const uint64_t& k, const uint64_t&) { return k % 2 == 0; },
                      [](const uint64_t& k, uint64_t&) {
                        if (k == 500) throw std::logic_error("on_erase");
                      });
  const uint64_t before = deferred_stats().callback_failures;
  {
    BlockingRegion b;
    sched::run_pause_window(1'000'000'000);
  }
  EXPECT_EQ(deferred_stats().callback_failures - before, 1u);
  EXPECT_EQ(m.deferred_pending(), 0u);
  EXPECT_TRUE(m.contains(500)) << "on_erase threw before the entry was erased";
  EXPECT_THROW(m.flush_deferred(), std::logic_error);
}

TEST_F(GCMAP_RELIABILITY_SUITE, APredThatThrowsInsideTheOwnersWriteDoesNotFailThatWrite) {
  ThreadScope attach;
  map::detail::pause_deferred_scheduler(true);
  HashMap<uint64_t, uint64_t> m;
  for (uint64_t i = 0; i < 100; ++i) m.insert_or_assign(i, i);
  m.erase_if_deferred([](const uint64_t&, const uint64_t&) -> bool { throw 42; });
  // The write applies a few queued erases first: the sweep throws there.
  EXPECT_NO_THROW(m.insert_or_assign(1000, 1));
  EXPECT_TRUE(m.contains(1000));
  EXPECT_EQ(m.deferred_pending(), 0u);
  EXPECT_THROW(m.flush_deferred(), int);
  EXPECT_EQ(m.size(), 101u);
}

// ---- 4. Erases nobody applies on an idle map -----------------------------

TEST_F(GCMAP_RELIABILITY_SUITE, AnEraseIfDeferredOnAnIdleMapIsApplied) {
  ThreadScope attach;
  HashMap<uint64_t, uint64_t> m;
  for (uint64_t i = 0; i < 1000; ++i) m.insert_or_assign(i, i);
  m.erase_if_deferred([](const uint64_t& k, const uint64_t&) { return k < 500; });
  // The staleness target is 100 ms; allow for a slow machine.
  EXPECT_TRUE(idle_until_applied(m, 10)) << "an idle owner's bulk erase was never applied";
  EXPECT_EQ(m.size(), 500u);
}

TEST_F(GCMAP_RELIABILITY_SUITE, AnEraseFromThe65thProducerOfAnIdleMapIsApplied) {
  ThreadScope attach;
  HashMap<uint64_t, uint64_t> m;
  for (uint64_t i = 0; i < 100; ++i) m.insert_or_assign(i, i);
  // 64 producers, alive together (so each keeps its own queue), then a 65th:
  // its erase goes to the shared queue.
  constexpr int kQueues = 64;
  std::mutex mu;
  std::condition_variable cv;
  int queued = 0;
  bool release = false;
  std::vector<std::thread> producers;
  for (int t = 0; t < kQueues; ++t) {
    producers.emplace_back([&, t] {
      ThreadScope a;
      m.erase_deferred(static_cast<uint64_t>(t));
      BlockingRegion b;
      std::unique_lock<std::mutex> l(mu);
      ++queued;
      cv.notify_all();
      cv.wait(l, [&] { return release; });
    });
  }
  {
    BlockingRegion b;
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return queued == kQueues; });
  }
  m.flush_deferred();
  ASSERT_EQ(m.size(), 100u - kQueues);
  std::thread last([&] {
    ThreadScope a;
    m.erase_deferred(uint64_t{99});
  });
  {
    BlockingRegion b;
    last.join();
    {
      std::lock_guard<std::mutex> l(mu);
      release = true;
    }
    cv.notify_all();
    for (auto& p : producers) p.join();
  }
  EXPECT_TRUE(idle_until_applied(m, 10)) << "the shared queue's erase was never applied";
  EXPECT_FALSE(m.contains(99));
}

// ---- 5. Growing maps, and owners stopped in the middle of a write -------

// Insert std::string keys until the map is in the middle of a grow.
void grow_until_evacuating(HashMap<std::string, uint64_t>& m) {
  for (uint64_t i = 0; i < 108 || !m.stats().growing; ++i) {
    m.insert_or_assign("key#" + std::to_string(i), i);
    ASSERT_LT(i, 100000u) << "never caught the map growing";
  }
  ASSERT_TRUE(m.stats().growing);
}

// tests/fuzz/crashes/map-collect-hangs-growing-deferred: a full collection
// ran the window jobs with an unbounded deadline, and the deferred job's
// step claimed the growing map's hub, applied nothing and said "more".
TEST_F(GCMAP_RELIABILITY_SUITE, CollectOnAGrowingMapWithAQueuedEraseReturns) {
  ThreadScope attach;
  map::detail::pause_deferred_scheduler(true);  // the collection meets the erase
  HashMap<std::string, uint64_t> m;
  grow_until_evacuating(m);
  m.erase_deferred(std::string_view("key#3"));
  ASSERT_TRUE(m.stats().growing);
  {
    Watchdog dog("collect_precise() on a growing map with a queued erase", 30);
    gcmap::testing::collect_precise();
  }
  EXPECT_EQ(m.deferred_pending(), 0u) << "the cycle's start applies it";
  EXPECT_FALSE(m.contains("key#3"));
  {
    Watchdog dog("collect() on a growing map with a queued erase", 30);
    m.erase_deferred(std::string_view("key#4"));
    gcmap::collect();
  }
  EXPECT_FALSE(m.contains("key#4"));
}

TEST_F(GCMAP_RELIABILITY_SUITE, CollectWhileTheOwnerIsInTheMiddleOfAWriteReturns) {
  ThreadScope attach;
  map::detail::pause_deferred_scheduler(true);
  using Map = HashMap<uint64_t, uint64_t>;
  Map m;
  for (uint64_t i = 0; i < 100; ++i) m.insert_or_assign(i, i);
  m.erase_deferred(5);
  TestPeer<Map>::set_writing(m, true);  // as if stopped inside insert_slot
  {
    Watchdog dog("collect_precise() while a map's owner is in the middle of a write", 30);
    gcmap::testing::collect_precise();
  }
  EXPECT_EQ(m.deferred_pending(), 1u) << "a window must not touch it";
  TestPeer<Map>::set_writing(m, false);
  m.flush_deferred();
  EXPECT_FALSE(m.contains(5));
}

TEST_F(GCMAP_RELIABILITY_SUITE, AnIdleOwnersGrowingMapGetsItsErasesAppliedWithoutEmptyWindows) {
  ThreadScope attach;
  HashMap<std::string, uint64_t> m;
  grow_until_evacuating(m);
  const size_t n = m.size();
  const uint64_t windows = deferred_stats().windows;
  for (int i = 0; i < 20; ++i) m.erase_deferred(std::string_view("key#" + std::to_string(i)));
  ASSERT_TRUE(m.stats().growing);
  EXPECT_TRUE(idle_until_applied(m, 10)) << "windows never applied erases to a growing map";
  EXPECT_LT(deferred_stats().windows - windows, 100u);
  EXPECT_EQ(m.size(), n - 20);
  EXPECT_TRUE(m.stats().growing) << "a window advances no evacuation";
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(m.contains("key#" + std::to_string(i)));
  for (size_t i = 20; i < n; ++i) ASSERT_TRUE(m.contains("key#" + std::to_string(i))) << i;
}

TEST_F(GCMAP_RELIABILITY_SUITE, WindowsDoNotSpinOnAMapTheyCannotApply) {
  ThreadScope attach;
  using Map = HashMap<uint64_t, uint64_t>;
  Map m;
  for (uint64_t i = 0; i < 100; ++i) m.insert_or_assign(i, i);
  TestPeer<Map>::set_writing(m, true);  // as if stopped inside a write, for a second
  const uint64_t windows = deferred_stats().windows;
  m.erase_deferred(5);
  {
    BlockingRegion idle;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  const uint64_t opened = deferred_stats().windows - windows;
  TestPeer<Map>::set_writing(m, false);
  // Backoff from 1 ms doubling: about a dozen in a second, not thousands.
  EXPECT_LT(opened, 40u);
  EXPECT_EQ(m.deferred_pending(), 1u);
  m.flush_deferred();
  EXPECT_FALSE(m.contains(5));
}

// ---- 6. A hub published before it was built -----------------------------

// tests/fuzz/corpus/map/map-hub-publish-race-*: "pure virtual method
// called", or ASan's use-after-free / UBSan's null DeferredQueue in
// DeferredHub::pushed, or TSan's race on the hub's queue count, on a thread
// walking the registry (the scheduler, a window's claim). Two threads
// creating hubs at once make the half-built window wide enough to be hit in
// every run before the fix (one thread alone rarely hit it outside clang's
// ASan build); the count is not scaled down for sanitizers.
TEST_F(GCMAP_RELIABILITY_SUITE, TheFirstEraseDeferredDoesNotPublishAHalfBuiltHub) {
  constexpr int kMaps = 200000;
  auto loop = [] {
    ThreadScope attach;
    for (int i = 0; i < kMaps; ++i) {
      HashMap<uint64_t, uint64_t> m;
      m.erase_deferred(uint64_t{1});  // creates and publishes the hub
    }
  };
  std::thread other(loop);
  loop();
  BlockingRegion b;
  other.join();
}

// ---- 13. Writes of a key whose erase is queued ---------------------------

TEST_F(GCMAP_RELIABILITY_SUITE, TryEmplaceOfAKeyWhoseEraseIsQueuedReportsWhatStays) {
  ThreadScope attach;
  map::detail::pause_deferred_scheduler(true);
  HashMap<std::string, int> m;
  for (int i = 0; i < 100; ++i) m.insert_or_assign("other" + std::to_string(i), 0);
  for (const char* k : {"a", "b", "c", "d"}) m.insert_or_assign(k, 1);
  // Enough erases ahead of these that the writes below (each applies a few
  // queued erases first) do not reach them.
  for (int i = 0; i < 100; ++i) m.erase_deferred(std::string_view("other" + std::to_string(i)));
  for (const char* k : {"a", "b", "c", "d"}) m.erase_deferred(std::string_view(k));
  auto [ia, a_inserted] = m.try_emplace("a", 2);
  const int a = ia->second;
  auto [ib, b_inserted] = m.emplace("b", 2);
  const int b = ib->second;
  auto [ic, c_inserted] = m.insert({"c", 2});
  const int c = ic->second;
  const int d = m["d"];
  m.flush_deferred();
  ASSERT_TRUE(m.contains("a")) << "try_emplace reported it present (inserted " << a_inserted
                               << "), then the queued erase removed it";
  EXPECT_EQ(m.at("a"), a);
  ASSERT_TRUE(m.contains("b")) << "emplace";
  EXPECT_EQ(m.at("b"), b);
  ASSERT_TRUE(m.contains("c")) << "insert";
  EXPECT_EQ(m.at("c"), c);
  ASSERT_TRUE(m.contains("d")) << "operator[]";
  EXPECT_EQ(m.at("d"), d);
  (void)b_inserted;
  (void)c_inserted;
}

// Not fixed yet (a later issue): lookups still find a key whose erase is
// queued, until it is applied (map/README.md, "Staleness").
TEST_F(GCMAP_RELIABILITY_SUITE, DISABLED_ContainsDoesNotFindAKeyWhoseEraseIsQueued) {
  ThreadScope attach;
  map::detail::pause_deferred_scheduler(true);
  HashMap<uint64_t, uint64_t> m;
  m.insert_or_assign(1, 1);
  m.erase_deferred(uint64_t{1});
  EXPECT_FALSE(m.contains(1));
  EXPECT_EQ(m.find(1), m.end());
}

// ---- A hash that throws during a grow ------------------------------------

TEST_F(GCMAP_RELIABILITY_SUITE, AHashThatThrowsDuringAGrowLeavesTheMapIntact) {
  ThreadScope attach;
  ThrowingHashReset reset;
  ThrowMap m;
  uint64_t n = 0;
  while (m.size() < m.capacity()) m.insert_or_assign(n, n), ++n;
  ASSERT_FALSE(m.stats().growing);
  // The next new key starts a doubling, whose first evacuation hashes the
  // old bucket's keys: they throw.
  const uint64_t fresh = 1'000'000;
  g_throw_all_but = fresh;
  EXPECT_THROW(m.insert_or_assign(fresh, 1), std::runtime_error);
  g_throw_all_but = kNone;
  EXPECT_FALSE(m.contains(fresh));
  ASSERT_EQ(m.size(), n);
  for (uint64_t i = 0; i < n; ++i) ASSERT_EQ(m.at(i), i);
  // An erase whose evacuation step throws leaves its entry (strong).
  if (m.stats().growing) {
    g_throw_all_but = 5;
    EXPECT_THROW(m.erase(uint64_t{5}), std::runtime_error);
    g_throw_all_but = kNone;
    EXPECT_TRUE(m.contains(5));
    ASSERT_EQ(m.size(), n);
  }
  // And the map goes on: the grow completes, every entry is there.
  for (uint64_t i = n; i < 4 * n; ++i) m.insert_or_assign(i, i);
  for (uint64_t i = 0; i < 4 * n; ++i) ASSERT_EQ(m.at(i), i);
  EXPECT_EQ(m.size(), 4 * n);
}

// ---- A copy whose source loses entries to a window meanwhile ------------

std::atomic<bool> g_window_on_next_hash{false};
// Hashes a Counted (which checks it is alive); the first call after the
// flag is set runs a pause window first, as a safepoint poll might.
struct WindowOnHash {
  uint64_t operator()(const Counted& c, uint64_t seed) const {
    if (g_window_on_next_hash.exchange(false)) {
      BlockingRegion b;
      sched::run_pause_window(1'000'000'000);
    }
    return map::detail::mix64(c.get(), seed);
  }
};

TEST_F(GCMAP_RELIABILITY_SUITE, ACopyWhoseSourceAWindowErasesMeanwhileReadsNoDestroyedEntry) {
  ThreadScope attach;
  map::detail::pause_deferred_scheduler(true);
  {
    using Map = HashMap<Counted, uint64_t, WindowOnHash>;
    Map o;
    for (uint64_t i = 0; i < 64; ++i) o.insert_or_assign(Counted(i), i);
    for (uint64_t i = 0; i < 64; ++i) o.erase_deferred(Counted(i));
    g_window_on_next_hash = true;  // the copy's first insertion
    Map copy(o);
    EXPECT_FALSE(g_window_on_next_hash.load());
    EXPECT_EQ(o.size(), 0u) << "the window applied the source's erases";
    EXPECT_EQ(Counted::double_destroyed.load(), 0);
    for (auto it = copy.begin(); it != copy.end(); ++it) {
      EXPECT_LT(it->first.get(), 64u);
      EXPECT_EQ(it->first.get(), it->second);
    }
  }
}

}  // namespace
}  // namespace gcmap::map_test
