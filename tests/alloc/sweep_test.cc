// Sweep frees exactly the unmarked objects, calls the hook once for each,
// lets the next allocations reuse exactly those slots, and gives empty spans
// back to jemalloc.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "test_alloc.h"

namespace gcmap::alloc {
namespace {

using testing::test_alloc;

struct HookLog {
  std::map<void*, int> calls;
  std::map<void*, uint16_t> types;
};
HookLog* g_log = nullptr;

void record_free(void* obj, uint16_t type, void* ctx) {
  EXPECT_EQ(ctx, g_log);
  g_log->calls[obj]++;
  g_log->types[obj] = type;
}

class Sweep : public ::testing::Test {
 protected:
  void SetUp() override {
    g_log = &log_;
    Heap::get().set_free_hook(record_free, &log_);
  }
  void TearDown() override {
    Heap::get().set_free_hook(nullptr, nullptr);
    g_log = nullptr;
  }
  HookLog log_;
};

TEST_F(Sweep, ExactlyTheUnmarkedSlotsAreFreedAndReused) {
  std::mt19937 rng(7);
  for (uint32_t size : {16u, 64u, 208u, 1024u, 4096u}) {
    testing::clean_heap();
    log_.calls.clear();
    std::vector<void*> objs;
    std::set<void*> live, dead;
    // Whole spans, so that the only free slots after the sweep are the dead ones.
    const uint32_t n = kSizeClasses[size_to_class(size)].nelems * 5;
    for (uint32_t i = 0; i < n; ++i) {
      Span* s = nullptr;
      void* p = test_alloc(size, &s);
      ObjectRef r;
      ASSERT_TRUE(find_object(reinterpret_cast<uintptr_t>(p), &r));
      r.span->types[r.index] = static_cast<uint16_t>(i & 0xffff);
      objs.push_back(p);
      (rng() % 3 == 0 ? dead : live).insert(p);
    }
    testing::sweep_cycle(objs, [&](void* p) { return live.count(p) != 0; });

    for (void* p : dead) {
      ASSERT_EQ(log_.calls[p], 1) << "hook must run exactly once per dead object";
    }
    for (void* p : live) ASSERT_EQ(log_.calls.count(p), 0u) << "a live object was freed";
    for (size_t i = 0; i < objs.size(); ++i) {
      if (dead.count(objs[i])) {
        ASSERT_EQ(log_.types[objs[i]], static_cast<uint16_t>(i & 0xffff));
      }
    }
    ObjectRef r;
    for (void* p : live) ASSERT_TRUE(find_object(reinterpret_cast<uintptr_t>(p), &r));
    for (void* p : dead) ASSERT_FALSE(find_object(reinterpret_cast<uintptr_t>(p), &r));

    // The dead slots in spans that still hold live objects are reused first,
    // before any new span: allocate exactly that many and get exactly them.
    std::set<void*> reusable;
    for (void* p : dead) {
      if (in_heap(p)) reusable.insert(p);
    }
    std::set<void*> got;
    for (size_t i = 0; i < reusable.size(); ++i) got.insert(test_alloc(size));
    EXPECT_EQ(got, reusable) << "size " << size;
    // Reused memory comes back zeroed.
    for (void* p : got) {
      auto* b = static_cast<unsigned char*>(p);
      for (uint32_t k = 0; k < size; ++k) ASSERT_EQ(b[k], 0);
    }
  }
}

TEST_F(Sweep, HookIsNotCalledForSpansWithoutFinalizers) {
  std::vector<void*> objs;
  for (int i = 0; i < 500; ++i) objs.push_back(test_alloc(96, nullptr, /*finalize=*/false));
  log_.calls.clear();
  testing::sweep_cycle(objs, [](void*) { return false; });
  for (void* p : objs) EXPECT_EQ(log_.calls.count(p), 0u);
}

TEST_F(Sweep, EmptySpansGoBackToJemalloc) {
  Heap& h = Heap::get();
  testing::clean_heap();
  HeapStats before = h.stats();
  std::vector<void*> objs;
  for (int i = 0; i < 4000; ++i) objs.push_back(test_alloc(128));
  for (int i = 0; i < 3; ++i) objs.push_back(test_alloc(300000));
  HeapStats mid = h.stats();
  ASSERT_GT(mid.span_bytes, before.span_bytes);
  testing::sweep_cycle(objs, [](void*) { return false; });
  HeapStats after = h.stats();
  EXPECT_EQ(after.span_bytes, before.span_bytes);
  EXPECT_EQ(after.spans, before.spans);
  EXPECT_EQ(after.released_bytes - before.released_bytes, mid.span_bytes - before.span_bytes);
  EXPECT_EQ(after.freed_objects - before.freed_objects, objs.size());
  EXPECT_TRUE(h.sweep_done());
}

TEST_F(Sweep, LargeObjectsSurviveWhileMarked) {
  std::vector<void*> objs{test_alloc(100000), test_alloc(50000)};
  static_cast<char*>(objs[0])[99999] = 'x';
  for (int round = 0; round < 3; ++round) {
    testing::sweep_cycle(objs, [&](void* p) { return p == objs[0]; });
    ObjectRef r;
    ASSERT_TRUE(find_object(reinterpret_cast<uintptr_t>(objs[0]) + 99999, &r));
    EXPECT_EQ(r.start, reinterpret_cast<uintptr_t>(objs[0]));
    EXPECT_EQ(static_cast<char*>(objs[0])[99999], 'x');
    EXPECT_FALSE(in_heap(objs[1]));
  }
  EXPECT_EQ(log_.calls[objs[1]], 1);
  EXPECT_EQ(log_.calls.count(objs[0]), 0u);
}

TEST_F(Sweep, PoisonedSlotsHoldThePoisonByte) {
  Heap& h = Heap::get();
  HeapOptions o = h.options();
  o.poison_freed = true;
  h.configure(o);
  testing::clean_heap();
  std::vector<void*> objs;
  for (int i = 0; i < 200; ++i) objs.push_back(test_alloc(64));
  testing::sweep_cycle(objs, [&](void* p) { return p != objs[10]; });
  // In ASan builds the slot is poisoned: ask the sanitizer instead of reading.
  ObjectRef r;
  EXPECT_FALSE(find_object(reinterpret_cast<uintptr_t>(objs[10]), &r));
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_EQ(static_cast<unsigned char*>(objs[10])[0], kPoisonByte);
  EXPECT_EQ(static_cast<unsigned char*>(objs[10])[63], kPoisonByte);
#else
  EXPECT_TRUE(__asan_address_is_poisoned(objs[10]));
#endif
  o.poison_freed = false;
  h.configure(o);
  // Reallocation unpoisons and zeroes.
  // The lowest free slot of the span is the freed one.
  ASSERT_EQ(test_alloc(64), objs[10]);
  EXPECT_EQ(static_cast<unsigned char*>(objs[10])[0], 0);
}

}  // namespace
}  // namespace gcmap::alloc
