// Keys and values with destructors: counting constructions and
// destructions shows that nothing leaks and nothing is destroyed twice,
// through growth, shrinking, erase, assignment, clear (in place and by
// dropping the table), the death of a map inside a GC object, the
// destruction of a map outside the heap, moves, and constructors that throw.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "map_test_util.h"

namespace gcmap::map_test {
namespace {

using CountedMap = HashMap<uint64_t, Counted>;

class Lifecycle : public MapTest {
 protected:
  // After a precise collection every dropped copy has been destroyed: the
  // live count is exactly what the maps hold.
  static void expect_live(int64_t expected) {
    gcmap::testing::collect_precise();
    EXPECT_EQ(Counted::live(), expected);
    EXPECT_EQ(Counted::double_destroyed.load(), 0);
  }
};

TEST_F(Lifecycle, ThroughGrowthShrinkEraseAndAssignment) {
  ThreadScope attach;
  {
    CountedMap m;
    for (uint64_t i = 0; i < 30000; ++i) m.try_emplace(i, i);
    expect_live(30000);
    for (uint64_t i = 0; i < 30000; i += 3) m.insert_or_assign(i, Counted(i + 1));
    expect_live(30000);
    const unsigned full_b = m.stats().B;
    for (uint64_t i = 0; i < 29000; ++i) m.erase(i);
    EXPECT_LT(m.stats().B, full_b);
    expect_live(1000);
    for (uint64_t i = 29000; i < 30000; ++i) ASSERT_EQ(m.at(i).get(), i % 3 == 0 ? i + 1 : i);
    for (uint64_t i = 0; i < 5000; ++i) m[i + 100000].value = i;
    expect_live(6000);
  }
  expect_live(0);
}

TEST_F(Lifecycle, KeysWithDestructorsToo) {
  ThreadScope attach;
  {
    HashMap<Counted, Counted, CountedHash> m;
    for (uint64_t i = 0; i < 5000; ++i) m.try_emplace(Counted(i), i);
    expect_live(10000);
    // Iterate while it grows: old arrays keep key copies for the iterator.
    size_t n = 0;
    uint64_t next = 5000;
    for (auto it = m.begin(); it != m.end(); ++it) {
      ++n;
      if (n % 2 == 0) {
        m.try_emplace(Counted(next), next);
        ++next;
      }
    }
    EXPECT_GE(n, 5000u);
    while (m.stats().growing) m.erase(Counted(1u << 30));
    expect_live(static_cast<int64_t>(2 * m.size()));
    for (uint64_t i = 0; i < next; i += 2) m.erase(Counted(i));
    while (m.stats().growing) m.erase(Counted(1u << 30));
    expect_live(static_cast<int64_t>(2 * m.size()));
  }
  expect_live(0);
}

TEST_F(Lifecycle, ClearInPlaceAndByDroppingTheTable) {
  ThreadScope attach;
  CountedMap small;
  for (uint64_t i = 0; i < 50; ++i) small.try_emplace(i, i);
  small.clear();  // 16 buckets or fewer: destroyed in place, now
  EXPECT_EQ(Counted::live(), 0);
  CountedMap big;
  for (uint64_t i = 0; i < 20000; ++i) big.try_emplace(i, i);
  const unsigned b = big.stats().B;
  big.clear();  // a fresh table; the sweeper destroys the old entries
  EXPECT_EQ(big.stats().B, b);
  expect_live(0);
  for (uint64_t i = 0; i < 100; ++i) big.try_emplace(i, i);
  expect_live(100);
}

struct Owner : GarbageCollected<Owner> {
  void trace(Visitor& v) const { v.visit(map); }
  CountedMap map;
};

TEST_F(Lifecycle, AMapInsideAGCObjectThatDies) {
  ThreadScope attach;
  {
    Root<Owner> owner(make<Owner>());
    for (uint64_t i = 0; i < 10000; ++i) owner->map.try_emplace(i, i);
    expect_live(10000);
    EXPECT_EQ(owner->map.at(77).get(), 77u);
  }
  expect_live(0);
}

TEST_F(Lifecycle, AMapOutsideTheHeapThatIsDestroyed) {
  ThreadScope attach;
  auto m = std::make_unique<CountedMap>();
  for (uint64_t i = 0; i < 10000; ++i) m->try_emplace(i, i);
  expect_live(10000);
  m.reset();  // nothing is destroyed here: the entries go to the sweeper
  expect_live(0);
}

TEST_F(Lifecycle, MovesBetweenTheHeapAndOrdinaryMemory) {
  ThreadScope attach;
  {
    CountedMap local;
    for (uint64_t i = 0; i < 3000; ++i) local.try_emplace(i, i);
    Root<Owner> owner(make<Owner>());
    owner->map = std::move(local);  // now traced by its owner only
    expect_live(3000);
    EXPECT_EQ(owner->map.at(2999).get(), 2999u);
    CountedMap back(std::move(owner->map));  // and back to a root of its own
    owner = nullptr;
    expect_live(3000);
    EXPECT_EQ(back.at(5).get(), 5u);
    CountedMap copy(back);
    expect_live(6000);
  }
  expect_live(0);
}

struct Throws {
  static inline int live = 0;
  explicit Throws(bool fail) {
    if (fail) throw std::runtime_error("no");
    ++live;
  }
  Throws(Throws&& o) noexcept {
    ++live;
    (void)o;
  }
  ~Throws() { --live; }
};

TEST_F(Lifecycle, AConstructorThatThrowsLeavesTheMapAsItWas) {
  ThreadScope attach;
  {
    HashMap<std::string, Throws> m;
    for (int i = 0; i < 100; ++i) m.try_emplace(std::to_string(i), false);
    EXPECT_THROW(m.try_emplace("new", true), std::runtime_error);
    EXPECT_EQ(m.size(), 100u);
    EXPECT_FALSE(m.contains("new"));
    // The map is not left in the writing state.
    EXPECT_TRUE(m.try_emplace("new", false).second);
    EXPECT_EQ(m.size(), 101u);
  }
  gcmap::testing::collect_precise();
  EXPECT_EQ(Throws::live, 0);
}

// A value that may hold GC pointers is built on the inserting thread's
// stack, then moved into its slot: a collection inside its constructor
// keeps what it has built so far.
struct TwoNodes {
  TwoNodes(Registry* r, size_t id, bool fail) : a(make<Node>(r, id)) {
    gcmap::collect();  // a collection in the middle of an insertion
    if (fail) throw std::runtime_error("no");
    b = make<Node>(r, id + 1);
  }
  void trace(Visitor& v) const {
    v.visit(a);
    v.visit(b);
  }
  Ptr<Node> a;
  Ptr<Node> b;
};

TEST_F(Lifecycle, CollectionsInsideAConstructorAndAThrowingTracedValue) {
  ThreadScope attach;
  Registry& reg = registry(100);
  HashMap<uint64_t, TwoNodes> m;
  m.try_emplace(1, &reg, 0, false);
  m.try_emplace(2, &reg, 2, false);
  EXPECT_THROW(m.try_emplace(3, &reg, 4, true), std::runtime_error);
  EXPECT_EQ(m.size(), 2u);
  gcmap::testing::collect_precise();
  for (size_t id : {0, 1, 2, 3}) EXPECT_EQ(reg.count(id), 0) << id;
  EXPECT_EQ(reg.count(4), 1);  // built by the constructor that threw
  EXPECT_EQ(m.at(1).a->id, 0u);
  EXPECT_EQ(m.at(2).b->id, 3u);
  m.erase(1);
  gcmap::testing::collect_precise();
  EXPECT_EQ(reg.count(0), 1);
  EXPECT_EQ(reg.count(1), 1);
  EXPECT_EQ(reg.count(2), 0);
}

}  // namespace
}  // namespace gcmap::map_test
