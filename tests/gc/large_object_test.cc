// Large objects: spans of their own, scanned in 128 KiB oblets through
// trace_range, freed whole.
#include <gtest/gtest.h>

#include <atomic>

#include "gcmap/gc/testing.h"
#include "tracked.h"

namespace gcmap::test {
namespace {

class LargeObject : public GcTest {};

std::atomic<int> g_range_calls{0};

// A GC array of Ptr<Tracked> with a trailing element array.
struct PtrArray : GarbageCollected<PtrArray> {
  explicit PtrArray(size_t n) : n(n) {}
  Ptr<Tracked>* elems() { return reinterpret_cast<Ptr<Tracked>*>(this + 1); }
  const Ptr<Tracked>* elems() const { return reinterpret_cast<const Ptr<Tracked>*>(this + 1); }
  void trace(Visitor& v) const {
    for (size_t i = 0; i < n; ++i) v.visit(elems()[i]);
  }
  // Visit the elements whose bytes start in [begin, end) of the object.
  void trace_range(Visitor& v, size_t begin, size_t end) const {
    g_range_calls.fetch_add(1);
    const size_t first = sizeof(PtrArray);
    size_t lo =
        begin <= first ? 0 : (begin - first + sizeof(Ptr<Tracked>) - 1) / sizeof(Ptr<Tracked>);
    size_t hi = end <= first ? 0 : (end - first + sizeof(Ptr<Tracked>) - 1) / sizeof(Ptr<Tracked>);
    for (size_t i = lo; i < hi && i < n; ++i) v.visit(elems()[i]);
  }
  size_t n;
};

TEST_F(LargeObject, ArrayIsScannedInObletsAndEveryElementSurvives) {
  ThreadScope attach;
  constexpr size_t kN = 200000;  // 1.6 MB of Ptrs: 13 oblets
  Registry& reg = registry(kN);
  Root<PtrArray> arr(make<PtrArray>(AdditionalBytes{kN * sizeof(Ptr<Tracked>)}, kN));
  for (size_t i = 0; i < kN; ++i) arr->elems()[i] = make<Tracked>(&reg, i);
  // Count the oblets of exactly one full collection: no automatic cycle may
  // scan the array in between.
  int old_gogc = set_gc_percent(-1);
  testing::collect_precise();
  g_range_calls = 0;
  testing::collect_precise();
  size_t size = sizeof(PtrArray) + kN * sizeof(Ptr<Tracked>);
  EXPECT_EQ(g_range_calls.load(), static_cast<int>((size + 128 * 1024 - 1) / (128 * 1024)));
  for (size_t i = 0; i < kN; ++i) {
    ASSERT_EQ(reg.count(i), 0) << i;
    ASSERT_EQ(arr->elems()[i]->id, i);
  }
  // Drop every other element; the array itself dies last.
  for (size_t i = 0; i < kN; i += 2) arr->elems()[i] = nullptr;
  testing::collect_precise();
  for (size_t i = 0; i < kN; ++i) ASSERT_EQ(reg.count(i), i % 2 == 0 ? 1 : 0) << i;
  uint64_t in_use = stats().heap_in_use;
  arr.reset();
  testing::collect_precise();
  for (size_t i = 0; i < kN; ++i) ASSERT_EQ(reg.count(i), 1) << i;
  EXPECT_LT(stats().heap_in_use, in_use - size) << "the large span went back to jemalloc";
  set_gc_percent(old_gogc);
}

struct Blob : GarbageCollected<Blob> {
  char bytes[300000];
};

TEST_F(LargeObject, NoscanLargeObjectIsMarkedNotScanned) {
  ThreadScope attach;
  Root<Blob> b(make<Blob>());
  // A pointer-looking pattern inside a noscan object must not be followed.
  Registry& reg = registry(1);
  uintptr_t victim = reinterpret_cast<uintptr_t>(make<Tracked>(&reg, 0));
  std::memcpy(b->bytes, &victim, sizeof victim);
  victim = 0;
  testing::collect_precise();
  EXPECT_EQ(reg.count(0), 1);
  EXPECT_EQ(b->bytes[100], 0);
}

}  // namespace
}  // namespace gcmap::test
