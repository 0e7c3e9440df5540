// The Visitor traces Ptrs held in arrays, standard containers, pairs,
// optionals and inline traceable structs; types without trace() are noscan.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gcmap/gc/testing.h"
#include "tracked.h"

namespace gcmap::test {
namespace {

class GcVisitor : public GcTest {};

struct Inline {  // not a GC object: stored by value inside one
  Ptr<Tracked> p;
  void trace(Visitor& v) const { v.visit(p); }
};

struct Holder : GarbageCollected<Holder> {
  Ptr<Tracked> arr[2];
  std::array<Ptr<Tracked>, 2> std_arr;
  std::vector<Ptr<Tracked>> vec;
  std::map<std::string, Ptr<Tracked>> by_name;
  std::pair<int, Ptr<Tracked>> pair;
  std::optional<Ptr<Tracked>> opt;
  Inline inl;
  std::vector<Inline> inl_vec;
  void trace(Visitor& v) const {
    v.visit(arr);
    v.visit(std_arr);
    v.visit(vec);
    v.visit(by_name);
    v.visit(pair);
    v.visit(opt);
    v.visit(inl);
    v.visit(inl_vec);
  }
};

static_assert(may_hold_gc_pointers<Ptr<Tracked>>);
static_assert(may_hold_gc_pointers<std::vector<Ptr<Tracked>>>);
static_assert(may_hold_gc_pointers<std::pair<std::string, Ptr<Tracked>>>);
static_assert(may_hold_gc_pointers<Inline>);
static_assert(!may_hold_gc_pointers<std::string>);
static_assert(!may_hold_gc_pointers<uint64_t>);
static_assert(!may_hold_gc_pointers<std::vector<int>>);

TEST_F(GcVisitor, PtrsInsideContainersKeepTheirTargetsAlive) {
  ThreadScope attach;
  Registry& reg = registry(12);
  Root<Holder> h(make<Holder>());
  size_t id = 0;
  auto t = [&] { return make<Tracked>(&reg, id++); };
  h->arr[0] = t();
  h->arr[1] = t();
  h->std_arr[0] = t();
  h->std_arr[1] = t();
  h->vec.push_back(t());
  h->vec.push_back(t());
  h->by_name["x"] = t();
  h->pair.second = t();
  h->opt = Ptr<Tracked>(t());
  h->inl.p = t();
  h->inl_vec.push_back(Inline{t()});
  h->inl_vec.push_back(Inline{t()});
  ASSERT_EQ(id, 12u);
  testing::collect_precise();
  for (size_t i = 0; i < id; ++i) EXPECT_EQ(reg.count(i), 0) << i;
  h.reset();
  testing::collect_precise();
  for (size_t i = 0; i < id; ++i) EXPECT_EQ(reg.count(i), 1) << i;
}

}  // namespace
}  // namespace gcmap::test
