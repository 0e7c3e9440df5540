// The write barrier records the old value on every path that overwrites or
// drops a GC pointer while a concurrent mark runs, allocation is black, and
// outside a mark nothing is recorded. Background marking is paused so that
// only the barrier can have shaded an object.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "gcmap/alloc/pagemap.h"
#include "tracked.h"

namespace gcmap::test {
namespace {

class Barrier : public GcTest {
 protected:
  void SetUp() override { testing::pause_background_marking(true); }
  void TearDown() override {
    testing::pause_background_marking(false);
    testing::finish_concurrent_mark();
    GcTest::TearDown();
  }
};

bool black(const void* p) {
  alloc::ObjectRef r;
  return alloc::find_object(reinterpret_cast<uintptr_t>(p), &r) && r.span->is_marked(r.index);
}

// Objects created here are reachable only through the returned Root: no
// pointer to them is left in this frame for the start window's stack scan.
GCMAP_NOINLINE void build(Registry* reg, Root<Tracked>* root) {
  Tracked* h = make<Tracked>(reg, 0);
  h->a = make<Tracked>(reg, 1);
  h->b = make<Tracked>(reg, 2);
  *root = h;
}

TEST_F(Barrier, PtrAssignmentRecordsTheOldValueOnly) {
  ThreadScope attach;
  Registry& reg = registry(4);
  Root<Tracked> root;
  build(&reg, &root);
  clobber_stack();
  testing::start_concurrent_mark();
  Tracked* h = root;
  const Tracked* old_a = h->a;
  ASSERT_FALSE(testing::shaded(old_a)) << "nothing may have marked it yet";
  Tracked* fresh = make<Tracked>(&reg, 3);
  EXPECT_TRUE(black(fresh)) << "allocation during a mark is black";
  h->a = fresh;
  EXPECT_TRUE(testing::shaded(old_a));
  const Tracked* old_b = h->b;
  ASSERT_FALSE(testing::shaded(old_b));
  h->b = nullptr;
  EXPECT_TRUE(testing::shaded(old_b));
}

TEST_F(Barrier, RootReassignmentAndResetRecordTheOldValue) {
  ThreadScope attach;
  Registry& reg = registry(3);
  // Several candidates: a stale copy of a pointer in some stack slot can
  // grey an object at the start window; the test uses ones nothing greyed.
  constexpr int kN = 16;
  std::vector<Root<Tracked>> roots(kN);
  for (auto& r : roots) build(&reg, &r);
  clobber_stack();
  testing::start_concurrent_mark();
  int reassigned = 0, reset = 0;
  for (auto& r : roots) {
    const Tracked* old = r;
    if (testing::shaded(old)) continue;
    if (reassigned <= reset) {
      r = r->a.get();
      ++reassigned;
    } else {
      r.reset();
      ++reset;
    }
    EXPECT_TRUE(testing::shaded(old));
  }
  EXPECT_GT(reassigned, 0);
  EXPECT_GT(reset, 0);
}

struct Holder {  // a non-GC owner registered as a root provider
  Ptr<Tracked> p;
  static void trace(const void* self, Visitor& v) { v.visit(static_cast<const Holder*>(self)->p); }
};

TEST_F(Barrier, ReleasingARootProviderShadesWhatItReferenced) {
  ThreadScope attach;
  Registry& reg = registry(3);
  // The holder lives in malloc'd memory, which no scan reads: only the
  // provider's trace reaches its object.
  auto holder = std::make_unique<Holder>();
  {
    Root<Tracked> tmp;
    build(&reg, &tmp);
    holder->p = tmp.get();
  }
  RootProvider provider(holder.get(), &Holder::trace);
  clobber_stack();
  testing::start_concurrent_mark();
  const Tracked* held = holder->p;
  ASSERT_FALSE(testing::shaded(held));
  provider.release();
  EXPECT_TRUE(testing::shaded(held));
}

struct Pair {
  Ptr<Tracked> x, y;
  void trace(Visitor& v) const {
    v.visit(x);
    v.visit(y);
  }
};

// Out of line, so no copy of the pointers is left in the test's frame.
GCMAP_NOINLINE std::unique_ptr<Pair> pair_of(const Root<Tracked>& r) {
  return std::make_unique<Pair>(Pair{r->a.get(), r->b.get()});
}

TEST_F(Barrier, DropBarrierShadesEveryPointerOfAValue) {
  ThreadScope attach;
  Registry& reg = registry(3);
  Root<Tracked> root;
  build(&reg, &root);
  std::unique_ptr<Pair> pair = pair_of(root);  // in malloc'd memory, not on the stack
  clobber_stack();
  testing::start_concurrent_mark();
  ASSERT_FALSE(testing::shaded(pair->x));
  ASSERT_FALSE(testing::shaded(pair->y));
  gc::drop_barrier(*pair);
  EXPECT_TRUE(testing::shaded(pair->x));
  EXPECT_TRUE(testing::shaded(pair->y));
}

TEST_F(Barrier, OutsideAMarkNothingIsRecordedAndAllocationIsWhite) {
  ThreadScope attach;
  Registry& reg = registry(4);
  Root<Tracked> root;
  build(&reg, &root);
  const Tracked* old_a = root->a;
  root->a = nullptr;
  EXPECT_FALSE(testing::shaded(old_a));
  Tracked* fresh = make<Tracked>(&reg, 3);
  EXPECT_FALSE(black(fresh));
}

TEST_F(Barrier, AnObjectMovedDuringTheMarkSurvivesIt) {
  ThreadScope attach;
  Registry& reg = registry(3);
  Root<Tracked> root;
  build(&reg, &root);
  clobber_stack();
  testing::start_concurrent_mark();
  // Move a from h.a to h.b through a local: the overwrite of h.a shades it,
  // so the mark keeps it even though h was never rescanned.
  Tracked* h = root;
  Tracked* moved = h->a;
  h->a = nullptr;
  h->b = moved;
  moved = nullptr;
  h = nullptr;
  testing::pause_background_marking(false);
  testing::finish_concurrent_mark();
  EXPECT_EQ(reg.count(0), 0);
  EXPECT_EQ(reg.count(1), 0) << "the moved object was freed";
  EXPECT_EQ(root->b->magic, kAliveMagic);
  // The old b was overwritten during the mark: the barrier kept it for this
  // cycle (floating garbage); the next cycle frees it.
  EXPECT_EQ(reg.count(2), 0);
  testing::collect_precise();
  EXPECT_EQ(reg.count(2), 1);
  EXPECT_EQ(reg.count(1), 0);
}

}  // namespace
}  // namespace gcmap::test
