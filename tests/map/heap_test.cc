// A map's life in the GC heap: inside a GC object it is traced by its
// owner; outside the heap it is a root of its own and keeps its Ptr keys and
// values alive; maps move between the two; bucket arrays of keys and values
// without GC pointers are never read by the collector.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "map_test_util.h"

namespace gcmap::map_test {
namespace {

using NodeMap = HashMap<uint64_t, Ptr<Node>>;

class Heap : public MapTest {};

struct Owner : GarbageCollected<Owner> {
  void trace(Visitor& v) const { v.visit(sessions); }
  NodeMap sessions;
};

TEST_F(Heap, AMapInsideAGCObjectIsTracedByItsOwner) {
  ThreadScope attach;
  Registry& reg = registry(2000);
  Root<Owner> owner(make<Owner>());
  for (size_t i = 0; i < 2000; ++i) owner->sessions.insert_or_assign(i, make<Node>(&reg, i));
  gcmap::testing::collect_precise();
  for (size_t i = 0; i < 2000; ++i) ASSERT_EQ(reg.count(i), 0) << i;
  for (size_t i = 0; i < 1000; ++i) owner->sessions.erase(i);
  gcmap::testing::collect_precise();
  for (size_t i = 0; i < 2000; ++i) ASSERT_EQ(reg.count(i), i < 1000 ? 1 : 0) << i;
  owner = nullptr;  // the owner dies, and with it the map and its values
  gcmap::testing::collect_precise();
  for (size_t i = 0; i < 2000; ++i) ASSERT_EQ(reg.count(i), 1) << i;
}

TEST_F(Heap, OnlyMapsOutsideTheHeapRegisterAsRoots) {
  ThreadScope attach;
  const uint64_t before = gcmap::stats().roots;
  Root<Owner> owner(make<Owner>());  // one root: the Root itself
  owner->sessions.insert_or_assign(1, nullptr);
  EXPECT_EQ(gcmap::stats().roots, before + 1);
  NodeMap outside;
  EXPECT_EQ(gcmap::stats().roots, before + 1);  // registered with its first buckets
  outside.insert_or_assign(1, nullptr);
  EXPECT_EQ(gcmap::stats().roots, before + 2);
}

TEST_F(Heap, AMapOutsideTheHeapKeepsItsValuesAlive) {
  ThreadScope attach;
  Registry& reg = registry(3000);
  {
    NodeMap m;
    for (size_t i = 0; i < 3000; ++i) m[i] = make<Node>(&reg, i);
    // Only the map references the nodes; collect_precise ignores this stack.
    gcmap::testing::collect_precise();
    for (size_t i = 0; i < 3000; ++i) ASSERT_EQ(reg.count(i), 0) << i;
    for (size_t i = 0; i < 3000; i += 2) m.erase(i);
    gcmap::testing::collect_precise();
    for (size_t i = 0; i < 3000; ++i) ASSERT_EQ(reg.count(i), i % 2 == 0 ? 1 : 0) << i;
    for (auto&& [k, v] : m) ASSERT_EQ(v->id, k);
  }
  gcmap::testing::collect_precise();
  for (size_t i = 0; i < 3000; ++i) ASSERT_EQ(reg.count(i), 1) << i;
}

TEST_F(Heap, PtrKeysAreTracedToo) {
  ThreadScope attach;
  Registry& reg = registry(500);
  HashMap<Ptr<Node>, uint64_t> m;
  std::vector<uintptr_t> hidden;  // addresses, disguised from the stack scan
  for (size_t i = 0; i < 500; ++i) {
    Node* n = make<Node>(&reg, i);
    m[n] = i;
    hidden.push_back(reinterpret_cast<uintptr_t>(n) ^ 1);
  }
  gcmap::testing::collect_precise();
  for (size_t i = 0; i < 500; ++i) ASSERT_EQ(reg.count(i), 0);
  for (size_t i = 0; i < 500; ++i) {
    Node* n = reinterpret_cast<Node*>(hidden[i] ^ 1);
    ASSERT_EQ(m.at(n), i);
  }
  m.clear();
  gcmap::testing::collect_precise();
  for (size_t i = 0; i < 500; ++i) ASSERT_EQ(reg.count(i), 1);
}

TEST_F(Heap, MapsInAGrowingVectorStayRoots) {
  ThreadScope attach;
  Registry& reg = registry(64 * 20);
  {
    std::vector<NodeMap> maps;
    for (size_t j = 0; j < 64; ++j) {
      maps.emplace_back();  // reallocations move the maps
      for (size_t i = 0; i < 20; ++i) maps.back()[i] = make<Node>(&reg, j * 20 + i);
    }
    gcmap::testing::collect_precise();
    for (size_t i = 0; i < 64 * 20; ++i) ASSERT_EQ(reg.count(i), 0) << i;
    for (size_t j = 0; j < 64; ++j) ASSERT_EQ(maps[j].at(7)->id, j * 20 + 7);
  }
  gcmap::testing::collect_precise();
  for (size_t i = 0; i < 64 * 20; ++i) ASSERT_EQ(reg.count(i), 1) << i;
}

// Traces a map the way the collector would, following the map's own
// objects (bucket arrays, overflow blocks) and counting the other pointers
// their traces visit: the keys and values.
class CountingVisitor final : public Visitor {
 public:
  size_t values = 0;
  size_t map_objects = 0;

 protected:
  void visit_pointer(const void* p) override {
    alloc::ObjectRef r;
    ASSERT_TRUE(alloc::find_object(reinterpret_cast<uintptr_t>(p), &r));
    const gc::TypeInfo& t = gc::type_info(r.span->types[r.index]);
    std::string name = t.name;
    if (name.find("map::detail::") == std::string::npos) {
      ++values;
      return;
    }
    ++map_objects;
    if (t.trace != nullptr) t.trace(reinterpret_cast<const void*>(r.start), *this);
  }
};

// golang/go#9477: the collector never reads the buckets of a map whose keys
// and values hold no GC pointers; it reads every occupied slot otherwise.
TEST_F(Heap, BucketsWithoutGcPointersAreNotScanned) {
  ThreadScope attach;
  HashMap<uint64_t, uint64_t> plain;
  NodeMap traced;
  Registry& reg = registry(1);
  Node* n = make<Node>(&reg, 0);
  for (uint64_t i = 0; i < 100000; ++i) {
    plain[i] = i;
    traced[i] = n;
  }
  while (plain.stats().growing) plain.erase(1u << 30);
  while (traced.stats().growing) traced.erase(1u << 30);
  CountingVisitor pv, tv;
  plain.trace(pv);
  traced.trace(tv);
  EXPECT_EQ(pv.values, 0u);
  EXPECT_EQ(tv.values, 100000u);
  EXPECT_GE(pv.map_objects, 2u);  // the array and its overflow blocks
}

}  // namespace
}  // namespace gcmap::map_test
