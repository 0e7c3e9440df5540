// Helpers for the map tests: objects that record their destruction (a copy
// of tests/gc/tracked.h's idea), a value type that counts constructions and
// destructions and catches double destruction, a fixture whose TearDown
// collects, a scale factor for sanitizer builds, and a peer into HashMap's
// private state.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/clobber_stack.h"
#include "common/heap_test.h"
#include "common/registry.h"
#include "gcmap/gc/testing.h"
#include "gcmap/gcmap.h"
#include "gcmap/sched/window.h"

namespace gcmap::map::detail {

// Access to HashMap internals, for tests of evacuation boundaries.
template <class Map>
struct TestPeer {
  using K = typename Map::key_type;
  // Whether key currently sits in an old bucket that is not yet evacuated.
  static bool in_old_bucket(const Map& m, const K& key) {
    auto s = m.find_slot(key, m.hash_of(key));
    return s && s.in_old;
  }
  static bool old_bucket_evacuated(const Map& m, size_t i) {
    return evacuated(m.oldbuckets_.get()->bucket(i));
  }
  static size_t old_bucket_of(const Map& m, const K& key) {
    return m.hash_of(key) & ((size_t{1} << m.old_log2_) - 1);
  }
  static const void* old_array(const Map& m) { return m.oldbuckets_.get(); }
  static const void* array(const Map& m) { return m.buckets_.get(); }
  static uint64_t seed(const Map& m) { return m.seed_; }
  // Start a grow to 2^(B + delta) buckets now (delta -1: shrink, 0: same size).
  static void start_grow(Map& m, int delta) {
    typename Map::WriteGuard guard(&m);
    m.hash_grow(static_cast<uint8_t>(m.log2_ + delta));
  }
  static bool iterated(const Map& m) { return (m.flags() & kFlagIterator) != 0; }
  // As if the owner were stopped in the middle of a write (windows must
  // leave the map alone), or no longer.
  static void set_writing(Map& m, bool on) {
    m.set_flags(on ? (m.flags() | kFlagWriting) : (m.flags() & ~kFlagWriting));
  }
};

}  // namespace gcmap::map::detail

namespace gcmap::map_test {

// Fewer operations under sanitizers.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr size_t kScale = 10;
#else
inline constexpr size_t kScale = 1;
#endif

using test_common::kAliveMagic;
using test_common::Registry;

// A GC object that records its destruction.
struct Node : GarbageCollected<Node>, test_common::Recorded {
  using Recorded::Recorded;
  void trace(Visitor& v) const { v.visit(next); }
  Ptr<Node> next;
};

// A value (or key) type that counts constructions and destructions in
// process-wide counters and aborts the test on a double destruction or a use
// of a destroyed object. Destructors may run on the sweeper thread.
struct Counted {
  static inline std::atomic<int64_t> constructed{0};
  static inline std::atomic<int64_t> destroyed{0};
  static inline std::atomic<int64_t> double_destroyed{0};
  static int64_t live() { return constructed.load() - destroyed.load(); }
  static void reset() {
    constructed = 0;
    destroyed = 0;
    double_destroyed = 0;
  }
  static constexpr uint64_t kMagic = 0xC0C0C0C0DEADBEEF;

  Counted() : Counted(0) {}
  explicit Counted(uint64_t v) : value(v) { constructed.fetch_add(1, std::memory_order_relaxed); }
  Counted(const Counted& o) : value(o.get()) {
    constructed.fetch_add(1, std::memory_order_relaxed);
  }
  Counted(Counted&& o) noexcept : value(o.get()) {
    constructed.fetch_add(1, std::memory_order_relaxed);
  }
  Counted& operator=(const Counted& o) {
    value = o.get();
    return *this;
  }
  ~Counted() {
    if (magic != kMagic) double_destroyed.fetch_add(1, std::memory_order_relaxed);
    magic = 0;
    destroyed.fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t get() const {
    EXPECT_EQ(magic, kMagic) << "use of a destroyed Counted";
    return value;
  }
  bool operator==(const Counted& o) const { return get() == o.get(); }

  uint64_t value;
  uint64_t magic = kMagic;
};

struct CountedHash {
  uint64_t operator()(const Counted& c, uint64_t seed) const {
    return map::detail::mix64(c.get(), seed);
  }
};

// The fixture of the map suites (tests/common/heap_test.h), with the
// Counted keys' live count reset before each test.
class MapTest : public test_common::HeapTest {
 protected:
  void SetUp() override { Counted::reset(); }
};

// The fixture of deferred-erase tests: the scheduler runs (a test may pause
// it) and the window clock is the real one again after each test.
class DeferredMapTest : public MapTest {
 protected:
  void SetUp() override {
    MapTest::SetUp();
    map::detail::pause_deferred_scheduler(false);
  }
  void TearDown() override {
    map::detail::pause_deferred_scheduler(false);
    sched::set_clock_for_testing(nullptr);
    MapTest::TearDown();
  }
};

// Overwrite the stack below the caller: frames that returned left copies of
// pointers that a conservative scan of this thread would otherwise find.
inline void clobber_stack_for_test() {
  test_common::clobber_stack();
}

// Bytes the last collection found live.
inline uint64_t live_heap_after_precise_collection() {
  gcmap::testing::collect_precise();
  return gcmap::stats().heap_marked;
}

}  // namespace gcmap::map_test
