// Verify mode: it notices a broken mark (with the path to the object), and
// freed memory is poisoned so that a use after sweep is caught.
#include <gtest/gtest.h>

#include "gcmap/alloc/pagemap.h"
#include "gcmap/gc/testing.h"
#include "tracked.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace gcmap::test {
namespace {

class Verify : public GcTest {};

TEST(VerifyDeathTest, AnUnmarkedReachableObjectAbortsWithItsPath) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        ThreadScope attach;
        Registry reg(3);
        Root<Tracked> root(make<Tracked>(&reg, 0));
        root->a = make<Tracked>(&reg, 1);
        root->a->b = make<Tracked>(&reg, 2);
        Tracked* victim = root->a->b;
        // Simulate a collector bug: forget the mark of a reachable object.
        testing::set_after_mark_hook([victim] {
          alloc::ObjectRef r;
          ASSERT_TRUE(alloc::find_object(reinterpret_cast<uintptr_t>(victim), &r));
          auto* w = &r.span->mark_bits[r.index / 64];
          *w &= ~(uint64_t{1} << (r.index % 64));
        });
        testing::collect_precise();
      },
      "verify: gcmap::test::Tracked@0x[0-9a-f]+ is reachable but was not marked: Root -> "
      "gcmap::test::Tracked@0x[0-9a-f]+ -> gcmap::test::Tracked@0x[0-9a-f]+ -> "
      "gcmap::test::Tracked@0x[0-9a-f]+");
}

TEST_F(Verify, FreedObjectsArePoisoned) {
  ThreadScope attach;
  Registry& reg = registry(2);
  uintptr_t addr;
  // A live neighbour in the same span keeps the span (an empty span would go
  // back to jemalloc, unpoisoned).
  Root<Tracked> neighbour(make<Tracked>(&reg, 1));
  {
    Tracked* t = make<Tracked>(&reg, 0);
    addr = reinterpret_cast<uintptr_t>(t) ^ 1;  // hidden from the stack scan
  }
  testing::collect_precise();
  ASSERT_EQ(reg.count(0), 1);
  ASSERT_TRUE(alloc::in_heap(reinterpret_cast<void*>(addr ^ 1))) << "its span is still there";
  auto* p = reinterpret_cast<unsigned char*>(addr ^ 1);
#if defined(__SANITIZE_ADDRESS__)
  EXPECT_TRUE(__asan_address_is_poisoned(p));
#else
  EXPECT_EQ(p[0], alloc::kPoisonByte);
  EXPECT_EQ(p[sizeof(Tracked) - 1], alloc::kPoisonByte);
#endif
}

}  // namespace
}  // namespace gcmap::test
