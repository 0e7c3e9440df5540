// Every size class: objects are aligned, do not overlap, and the page map
// finds each object's start and size from any byte inside it; addresses
// outside the heap are reported as such.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include "test_alloc.h"

namespace gcmap::alloc {
namespace {

using testing::test_alloc;

int g_global_word;

// Fill an object with a pattern derived from its address and index.
void fill(void* p, size_t n, uint32_t seed) {
  auto* b = static_cast<unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(seed * 131 + i);
}
bool check(const void* p, size_t n, uint32_t seed) {
  auto* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != static_cast<unsigned char>(seed * 131 + i)) return false;
  }
  return true;
}

TEST(PageMap, EveryClassAlignedDisjointAndFoundFromEveryInteriorByte) {
  struct Obj {
    void* p;
    size_t size;
    uint32_t seed;
  };
  std::vector<Obj> objs;
  uint32_t seed = 1;
  for (uint32_t c = 1; c < kNumSizeClasses; ++c) {
    const SizeClassInfo& info = kSizeClasses[c];
    // More than a span's worth, so each class crosses into a second span.
    uint32_t n = info.nelems + 2;
    for (uint32_t k = 0; k < n; ++k) {
      Span* s = nullptr;
      void* p = test_alloc(info.size, &s);
      ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % kObjectAlign, 0u) << "class " << c;
      ASSERT_EQ(s->elemsize, info.size);
      fill(p, info.size, seed);
      objs.push_back({p, info.size, seed++});
    }
  }
  for (size_t size : {kMaxSmallSize + 1, size_t{100000}, size_t{1} << 20}) {
    void* p = test_alloc(size);
    ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % kPageSize, 0u);
    fill(p, size, seed);
    objs.push_back({p, size, seed++});
  }

  // No overlap: sorted by address, each object ends before the next starts,
  // and every pattern is intact after all the writes.
  std::map<uintptr_t, size_t> by_addr;
  for (auto& o : objs) by_addr[reinterpret_cast<uintptr_t>(o.p)] = o.size;
  ASSERT_EQ(by_addr.size(), objs.size()) << "an address was handed out twice";
  uintptr_t prev_end = 0;
  for (auto& [a, n] : by_addr) {
    ASSERT_GE(a, prev_end);
    prev_end = a + n;
  }
  for (auto& o : objs) ASSERT_TRUE(check(o.p, o.size, o.seed));

  // Interior lookups: every byte of objects at both ends of their span and in
  // the middle (every byte of every object would take minutes under ASan).
  size_t checked = 0;
  for (size_t i = 0; i < objs.size(); ++i) {
    const Obj& o = objs[i];
    ObjectRef r;
    ASSERT_TRUE(find_object(reinterpret_cast<uintptr_t>(o.p), &r));
    bool edge = r.index == 0 || r.index + 1 == r.span->nelems || i % 7 == 0;
    if (!edge) continue;
    auto base = reinterpret_cast<uintptr_t>(o.p);
    for (uintptr_t a = base; a < base + o.size; ++a) {
      ASSERT_TRUE(find_object(a, &r)) << std::hex << a;
      ASSERT_EQ(r.start, base);
      ASSERT_GE(r.span->elemsize, o.size);
    }
    ++checked;
  }
  EXPECT_GT(checked, kNumSizeClasses);
}

TEST(PageMap, AddressesOutsideTheHeapAreNotObjects) {
  test_alloc(64);  // make sure the heap exists
  int local = 0;
  auto malloced = std::make_unique<char[]>(64);
  ObjectRef r;
  EXPECT_FALSE(find_object(reinterpret_cast<uintptr_t>(&local), &r));
  EXPECT_FALSE(find_object(reinterpret_cast<uintptr_t>(&g_global_word), &r));
  EXPECT_FALSE(find_object(reinterpret_cast<uintptr_t>(malloced.get()), &r));
  EXPECT_FALSE(find_object(0, &r));
  EXPECT_FALSE(find_object(~uintptr_t{0}, &r));
  EXPECT_FALSE(find_object(uintptr_t{1} << 47, &r));
  EXPECT_FALSE(in_heap(&local));
  EXPECT_FALSE(in_heap(malloced.get()));
}

TEST(PageMap, FreeSlotsAndSpanTailsAreNotObjects) {
  // A fresh span of the 48-byte class: 341 slots and a 16-byte tail.
  Heap::get().flush_cache(t_tcache);
  Span* s = nullptr;
  void* p = test_alloc(48, &s);
  ObjectRef r;
  ASSERT_TRUE(find_object(reinterpret_cast<uintptr_t>(p), &r));
  // Slots at or above freeindex whose alloc bit is clear are free.
  uint32_t free_slot = s->freeindex;
  while (free_slot < s->nelems && ((s->alloc_bits[free_slot / 64] >> (free_slot % 64)) & 1)) {
    ++free_slot;
  }
  ASSERT_LT(free_slot, s->nelems);
  EXPECT_FALSE(find_object(s->slot_address(free_slot), &r));
  EXPECT_FALSE(find_object(s->slot_address(s->nelems), &r)) << "span tail";
  EXPECT_TRUE(in_heap(reinterpret_cast<void*>(s->slot_address(free_slot))));
}

TEST(PageMap, ReleasedSpansLeaveTheHeap) {
  Heap& h = Heap::get();
  std::vector<void*> objs;
  for (int i = 0; i < 3000; ++i) objs.push_back(test_alloc(256));
  void* big = test_alloc(200000);
  objs.push_back(big);
  uint64_t released_before = h.stats().released_bytes;
  testing::sweep_cycle(objs, [](void*) { return false; });
  EXPECT_GT(h.stats().released_bytes, released_before);
  ObjectRef r;
  size_t still_found = 0;
  for (void* p : objs) still_found += find_object(reinterpret_cast<uintptr_t>(p), &r);
  EXPECT_EQ(still_found, 0u);
  EXPECT_FALSE(in_heap(big));
}

}  // namespace
}  // namespace gcmap::alloc
