// The map's side of the snapshot-at-the-beginning barrier: while a
// concurrent mark runs, every path of HashMap that drops a GC pointer held
// in a key or a value shades it first — erase by key and by iterator, clear
// (in place and with a fresh table), overwrite (insert_or_assign and
// operator[]), the old copy during the evacuation of a grow and of a
// shrink, and deferred erases applied by flush_deferred — and outside a
// mark none of them shades anything.
//
// How: background marking is paused and assists have nothing to pay (see
// the fixture), so only the barrier can shade an object (testing::shaded:
// black, or in this thread's barrier buffer). The maps live in malloc'd
// memory and their nodes are built in out-of-line helpers, so only the
// map's root provider reaches them, and the root table is scanned by the
// (paused) background job. The start window still scans this thread's
// stack conservatively, and a stale word there can grey a node: each test
// checks a candidate right before the operation and tests only those that
// nothing shaded yet (tests/gc/barrier_test.cc does the same), and requires
// that most candidates were tested.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "map_test_util.h"

namespace gcmap::map_test {
namespace {

using gcmap::testing::shaded;

// A value that holds a GC pointer and has a non-trivial destructor: a large
// map of these is cleared by dropping its table (HashMap::clear).
struct Session {
  Ptr<Node> node;
  std::string name;
  void trace(Visitor& v) const { v.visit(node); }
};

// A value whose assignment skips the Ptr barrier (store_unbarriered), as a
// type may when the container shades the old value before assigning:
// map/README.md says insert_or_assign on a present key runs drop_barrier
// before V's assignment. With it, only the map's own barrier can shade what
// an overwrite drops.
struct Handle {
  Handle(Node* n) : node(n) {}  // NOLINT(google-explicit-constructor)
  Handle(const Handle& o) noexcept : node(o.node) {}
  Handle& operator=(const Handle& o) noexcept {
    node.store_unbarriered(o.node.get());
    return *this;
  }
  void trace(Visitor& v) const { v.visit(node); }
  Ptr<Node> node;
};

using ValMap = HashMap<uint64_t, Ptr<Node>>;    // values traced
using KeyMap = HashMap<Ptr<Node>, uint64_t>;    // keys traced
using SessionMap = HashMap<uint64_t, Session>;  // values traced, non-trivial
using HandleMap = HashMap<uint64_t, Handle>;    // values traced, unbarriered assignment
using ValPeer = map::detail::TestPeer<ValMap>;
using KeyPeer = map::detail::TestPeer<KeyMap>;
using SessionPeer = map::detail::TestPeer<SessionMap>;

// A key no test inserts: erasing it only drives growWork.
constexpr uint64_t kAbsent = uint64_t{1} << 40;

class MapBarrier : public MapTest {
 protected:
  void SetUp() override {
    MapTest::SetUp();
    // A torture run (GCMAP_GC_TORTURE) starts and ends marks on its own.
    if (gcmap::current_config().torture_every != 0) GTEST_SKIP() << "not under GCMAP_GC_TORTURE";
    gcmap::testing::pause_background_marking(true);
    // A mutator that allocates during a mark assists it, and an assist
    // scans the roots and everything they reach: every node would be
    // shaded by the first allocation. A heap goal this far away leaves the
    // assists nothing to pay (their debt is allocation times the remaining
    // scan work over the runway to the goal).
    old_gc_percent_ = gcmap::set_gc_percent(kNoAssists);
    // Deferred erases must be applied by this thread (flush_deferred), not
    // by a window on another thread, whose barrier buffer shaded() cannot
    // see.
    map::detail::pause_deferred_scheduler(true);
  }
  void TearDown() override {
    if (old_gc_percent_ != kUnset) gcmap::set_gc_percent(old_gc_percent_);
    map::detail::pause_deferred_scheduler(false);
    gcmap::testing::pause_background_marking(false);
    gcmap::testing::finish_concurrent_mark();
    MapTest::TearDown();
  }
  // Start a mark with nothing of this test's left on the stack below here.
  static void start_mark() {
    clobber_stack_for_test();
    gcmap::testing::start_concurrent_mark();
    ASSERT_TRUE(gcmap::testing::marking_active());
  }

 private:
  static constexpr int kNoAssists = 1'000'000;  // GOGC, percent
  static constexpr int kUnset = -2;
  int old_gc_percent_ = kUnset;
};

// ---- Building maps out of line ----------------------------------------------
// The nodes are reachable only through the map: no pointer to them is left
// in the caller's frame for the start window's stack scan.

GCMAP_NOINLINE std::unique_ptr<ValMap> value_map(Registry* reg, uint64_t n) {
  auto m = std::make_unique<ValMap>();
  for (uint64_t k = 0; k < n; ++k) m->insert_or_assign(k, make<Node>(reg, k));
  return m;
}

// A map in the middle of a doubling: both arrays live.
GCMAP_NOINLINE std::unique_ptr<ValMap> growing_value_map(Registry* reg, uint64_t n) {
  auto m = value_map(reg, n);
  ValPeer::start_grow(*m, +1);
  return m;
}

GCMAP_NOINLINE std::unique_ptr<HandleMap> handle_map(Registry* reg, uint64_t n) {
  auto m = std::make_unique<HandleMap>();
  for (uint64_t k = 0; k < n; ++k) m->try_emplace(k, make<Node>(reg, k));
  return m;
}

GCMAP_NOINLINE std::unique_ptr<SessionMap> session_map(Registry* reg, uint64_t n) {
  auto m = std::make_unique<SessionMap>();
  for (uint64_t k = 0; k < n; ++k) m->try_emplace(k, Session{make<Node>(reg, k), "session"});
  return m;
}

// The keys also go to *nodes, in malloc'd memory that no scan reads, so a
// test can name them without iterating the map (an iteration would make
// evacuations keep the keys).
GCMAP_NOINLINE std::unique_ptr<KeyMap> key_map(Registry* reg, uint64_t n,
                                               std::vector<Node*>* nodes) {
  auto m = std::make_unique<KeyMap>();
  for (uint64_t k = 0; k < n; ++k) {
    Node* node = make<Node>(reg, k);
    m->try_emplace(Ptr<Node>(node), k);
    nodes->push_back(node);
  }
  return m;
}

const Node* value_of(ValMap& m, uint64_t k) {
  Ptr<Node>* v = m.get(k);
  return v != nullptr ? v->get() : nullptr;
}

// For keys 0..n-1: take the object that `drop(k)` will drop (old_of(k)),
// skip it if something shaded it already (a stale stack word at the start),
// drop it, and require it shaded; at least `min_tested` must be tested.
template <class OldOf, class Drop>
void expect_each_drop_shades(const char* what, uint64_t n, size_t min_tested, OldOf old_of,
                             Drop drop) {
  size_t tested = 0;
  for (uint64_t k = 0; k < n; ++k) {
    const Node* old = old_of(k);
    ASSERT_NE(old, nullptr) << what << " " << k;
    if (shaded(old)) continue;
    drop(k);
    EXPECT_TRUE(shaded(old)) << what << " " << k << " dropped its object unshaded";
    ++tested;
  }
  EXPECT_GE(tested, min_tested) << what;
}

// ---- Erase ---------------------------------------------------------------

// Half of the entries, so that no shrink starts (and nothing allocates).
TEST_F(MapBarrier, EraseByKeyShadesTheValue) {
  ThreadScope attach;
  Registry& reg = registry(64);
  auto m = value_map(&reg, 64);
  start_mark();
  expect_each_drop_shades(
      "erase(key), value", 32, 16, [&](uint64_t k) { return value_of(*m, k); },
      [&](uint64_t k) { ASSERT_EQ(m->erase(k), 1u); });
}

TEST_F(MapBarrier, EraseByKeyShadesTheKey) {
  ThreadScope attach;
  Registry& reg = registry(64);
  std::vector<Node*> nodes;
  auto m = key_map(&reg, 64, &nodes);
  start_mark();
  expect_each_drop_shades(
      "erase(key), key", 32, 16, [&](uint64_t i) { return nodes[i]; },
      [&](uint64_t i) { ASSERT_EQ(m->erase(Ptr<Node>(nodes[i])), 1u); });
}

TEST_F(MapBarrier, EraseByIteratorShadesKeyAndValue) {
  ThreadScope attach;
  Registry& reg = registry(64);
  auto vm = value_map(&reg, 64);
  std::vector<Node*> nodes;
  auto km = key_map(&reg, 64, &nodes);
  start_mark();
  // An iterator from find().
  expect_each_drop_shades(
      "erase(find(k)), value", 16, 8, [&](uint64_t k) { return value_of(*vm, k); },
      [&](uint64_t k) {
        auto it = vm->find(k);
        ASSERT_NE(it, vm->end());
        vm->erase(it);
      });
  expect_each_drop_shades(
      "erase(find(k)), key", 16, 8, [&](uint64_t i) { return nodes[i]; },
      [&](uint64_t i) {
        auto it = km->find(Ptr<Node>(nodes[i]));
        ASSERT_NE(it, km->end());
        km->erase(it);
      });
  // Erasing everything while iterating. Below 26 entries a shrink starts,
  // and the evacuations that the later erases drive shade the entries they
  // move before those are erased: those are not tested here.
  size_t tested = 0;
  for (auto it = vm->begin(); it != vm->end();) {
    const Node* old = it->second;
    const bool fresh = !shaded(old);
    it = vm->erase(it);
    if (fresh) {
      EXPECT_TRUE(shaded(old)) << "it = erase(it)";
      ++tested;
    }
  }
  EXPECT_TRUE(vm->empty());
  EXPECT_GE(tested, 16u);
}

// ---- Clear ---------------------------------------------------------------

// A small map (at most 16 buckets) with trivially destructible entries is
// cleared in place: each slot's key and value are dropped.
TEST_F(MapBarrier, ClearInPlaceShadesEveryKeyAndValue) {
  ThreadScope attach;
  Registry& reg = registry(100);
  auto vm = value_map(&reg, 50);
  std::vector<Node*> nodes;
  auto km = key_map(&reg, 50, &nodes);
  start_mark();
  std::vector<const Node*> cands;
  for (auto&& [k, v] : *vm) {
    if (!shaded(v)) cands.push_back(v);
  }
  for (Node* n : nodes) {
    if (!shaded(n)) cands.push_back(n);
  }
  EXPECT_GE(cands.size(), 50u);
  const void* varr = ValPeer::array(*vm);
  const void* karr = KeyPeer::array(*km);
  vm->clear();
  km->clear();
  ASSERT_EQ(ValPeer::array(*vm), varr) << "expected the in-place path";
  ASSERT_EQ(KeyPeer::array(*km), karr) << "expected the in-place path";
  size_t unshaded = 0;
  for (const Node* n : cands) unshaded += !shaded(n);
  EXPECT_EQ(unshaded, 0u) << "of " << cands.size();
}

// A large map whose entries need destruction gets a fresh table: the old
// one is dropped whole. Overwriting buckets_ shades it, so the mark traces
// it and keeps what its entries referenced at the snapshot (floating
// garbage until the next cycle).
TEST_F(MapBarrier, ClearWithAFreshTableShadesTheOldTable) {
  ThreadScope attach;
  constexpr uint64_t kN = 200;  // 32 buckets
  Registry& reg = registry(kN);
  auto m = session_map(&reg, kN);
  ASSERT_GT(m->bucket_count(), 16u);
  start_mark();
  const void* old = SessionPeer::array(*m);
  // A stale stack word may have greyed the table or a node at the start:
  // then this run proves nothing, and says so rather than pass.
  if (shaded(old)) GTEST_SKIP() << "the table was greyed at the start (stale stack word)";
  std::vector<uint64_t> cands;
  for (auto&& [k, v] : *m) {
    if (!shaded(v.node.get())) cands.push_back(v.node->id);
  }
  EXPECT_GE(cands.size(), kN / 2);
  m->clear();
  ASSERT_NE(SessionPeer::array(*m), old) << "expected the fresh-table path";
  EXPECT_TRUE(shaded(old)) << "clear() dropped the old table unshaded";
  // The whole cycle: the nodes were reachable at its start, so it keeps them.
  gcmap::testing::pause_background_marking(false);
  gcmap::testing::finish_concurrent_mark();
  for (uint64_t id : cands) EXPECT_EQ(reg.count(id), 0) << "node " << id << " freed by the mark";
  // And the next cycle frees them: they really were dropped.
  gcmap::testing::collect_precise();
  for (uint64_t id : cands) EXPECT_EQ(reg.count(id), 1) << "node " << id;
}

// A growing map is cleared with a fresh table too (whatever its entries):
// both the old and the current arrays are dropped and shaded.
TEST_F(MapBarrier, ClearWhileGrowingShadesBothTables) {
  ThreadScope attach;
  Registry& reg = registry(64);
  auto m = growing_value_map(&reg, 64);
  start_mark();
  const void* cur = ValPeer::array(*m);
  const void* old = ValPeer::old_array(*m);
  ASSERT_NE(old, nullptr);
  // A stale word on the stack or in a callee-saved register may have greyed
  // a table at the start (an ASan build does, in this test): then this run
  // proves nothing, and says so rather than pass.
  if (shaded(cur) || shaded(old))
    GTEST_SKIP() << "a table was greyed at the start (stale stack word)";
  m->clear();
  EXPECT_EQ(ValPeer::old_array(*m), nullptr);
  EXPECT_TRUE(shaded(cur));
  EXPECT_TRUE(shaded(old));
}

// ---- Overwrite -----------------------------------------------------------

TEST_F(MapBarrier, InsertOrAssignOverAPresentKeyShadesTheOldValue) {
  ThreadScope attach;
  Registry& reg = registry(96);
  auto m = value_map(&reg, 64);
  start_mark();
  expect_each_drop_shades(
      "insert_or_assign", 32, 16, [&](uint64_t k) { return value_of(*m, k); },
      [&](uint64_t k) {
        Node* fresh = make<Node>(&reg, 64 + k);  // black: allocated during the mark
        auto [it, inserted] = m->insert_or_assign(k, fresh);
        ASSERT_FALSE(inserted);
        EXPECT_EQ(it->second.get(), fresh);
      });
}

// The value's own assignment does not shade: only the map's drop_barrier can.
TEST_F(MapBarrier, InsertOrAssignShadesEvenWhenTheValueAssignmentDoesNot) {
  ThreadScope attach;
  Registry& reg = registry(64);
  auto m = handle_map(&reg, 64);
  start_mark();
  expect_each_drop_shades(
      "insert_or_assign, unbarriered assignment", 32, 16,
      [&](uint64_t k) { return m->at(k).node.get(); },
      [&](uint64_t k) {
        auto [it, inserted] = m->insert_or_assign(k, Handle(nullptr));
        ASSERT_FALSE(inserted);
        EXPECT_EQ(it->second.node.get(), nullptr);
      });
}

// operator[] returns a reference; the assignment through it is Ptr's own,
// with its barrier (map/README.md).
TEST_F(MapBarrier, AssignmentThroughSubscriptShadesTheOldValue) {
  ThreadScope attach;
  Registry& reg = registry(96);
  auto m = value_map(&reg, 64);
  start_mark();
  expect_each_drop_shades(
      "m[k] = ...", 32, 16, [&](uint64_t k) { return value_of(*m, k); },
      [&](uint64_t k) {
        Node* fresh = k % 2 == 0 ? make<Node>(&reg, 64 + k) : nullptr;
        (*m)[k] = fresh;
        EXPECT_EQ(value_of(*m, k), fresh);
      });
}

// ---- Evacuation ----------------------------------------------------------

// One entry to watch during an evacuation: its key, and the object that
// must be shaded once its old copy is gone.
template <class K>
struct Watched {
  K key;
  const Node* obj;
};

// Drive a grow that is in progress to its end with `step` (each call runs
// growWork), and check after every step that each watched entry whose old
// bucket was evacuated by it is shaded, and that the ones still in old
// buckets are not: the shading comes from the evacuation and nothing else.
template <class Map, class K, class Step>
void expect_evacuation_shades(Map& m, const std::vector<Watched<K>>& watched, Step step) {
  using Peer = map::detail::TestPeer<Map>;
  ASSERT_TRUE(m.stats().growing);
  const size_t nold = m.stats().old_buckets;
  std::vector<bool> done(watched.size(), false);
  size_t evacuated = 0, steps = 0;
  while (m.stats().growing) {
    std::vector<size_t> pending;
    for (size_t i = 0; i < watched.size(); ++i) {
      if (done[i]) continue;
      ASSERT_TRUE(Peer::in_old_bucket(m, watched[i].key)) << "moved without an evacuation";
      ASSERT_FALSE(shaded(watched[i].obj)) << "shaded before its bucket was evacuated";
      pending.push_back(i);
    }
    step(steps++);
    const bool growing = m.stats().growing;
    for (size_t i : pending) {
      if (growing && Peer::in_old_bucket(m, watched[i].key)) continue;
      done[i] = true;
      ++evacuated;
      EXPECT_TRUE(shaded(watched[i].obj)) << "entry " << i << ": its old copy was dropped unshaded";
    }
    ASSERT_LE(steps, nold + 1) << "growWork does not progress";
  }
  EXPECT_EQ(evacuated, watched.size());
}

std::vector<Watched<uint64_t>> unshaded_values(ValMap& m) {
  std::vector<Watched<uint64_t>> w;
  for (auto&& [k, v] : m) {
    if (!shaded(v)) w.push_back({k, v.get()});
  }
  return w;
}

std::vector<Watched<Ptr<Node>>> unshaded_keys(const std::vector<Node*>& nodes) {
  std::vector<Watched<Ptr<Node>>> w;
  for (Node* n : nodes) {
    if (!shaded(n)) w.push_back({Ptr<Node>(n), n});
  }
  return w;
}

// A doubling (64 entries, 16 -> 32 buckets) started before the mark, driven
// by inserts of new keys and then by erases of an absent key.
TEST_F(MapBarrier, EvacuationOfADoublingShadesTheOldValues) {
  ThreadScope attach;
  Registry& reg = registry(64);
  auto m = value_map(&reg, 64);
  ASSERT_EQ(m->stats().B, 4u);
  ValPeer::start_grow(*m, +1);
  start_mark();
  // Reading the map before the grow ends: begin() marks it iterated, which
  // changes nothing for values (they always move).
  auto watched = unshaded_values(*m);
  EXPECT_GE(watched.size(), 32u);
  expect_evacuation_shades(*m, watched, [&](size_t step) {
    if (step < 4) {
      m->insert_or_assign(kAbsent + step, nullptr);
    } else {
      m->erase(kAbsent);
    }
  });
  for (const auto& w : watched) EXPECT_EQ(value_of(*m, w.key), w.obj);
}

// Keys are dropped from the old copy too (the map was never iterated: no
// key is kept for an iterator).
TEST_F(MapBarrier, EvacuationOfADoublingShadesTheOldKeys) {
  ThreadScope attach;
  Registry& reg = registry(64);
  std::vector<Node*> nodes;
  auto m = key_map(&reg, 64, &nodes);
  KeyPeer::start_grow(*m, +1);
  start_mark();
  auto watched = unshaded_keys(nodes);
  EXPECT_GE(watched.size(), 32u);
  expect_evacuation_shades(*m, watched, [&](size_t) { m->erase(Ptr<Node>()); });
  EXPECT_EQ(m->size(), 64u);
  EXPECT_FALSE(KeyPeer::iterated(*m));
}

// A grow that starts during the mark: its new table is allocated black (no
// marker will scan it), so only the barrier on the old copies keeps what
// moves into it.
TEST_F(MapBarrier, EvacuationIntoATableAllocatedDuringTheMark) {
  ThreadScope attach;
  Registry& reg = registry(64);
  auto m = value_map(&reg, 64);
  start_mark();
  auto watched = unshaded_values(*m);
  EXPECT_GE(watched.size(), 32u);
  ValPeer::start_grow(*m, +1);
  ASSERT_TRUE(shaded(ValPeer::array(*m))) << "a table allocated during the mark is black";
  expect_evacuation_shades(*m, watched, [&](size_t) { m->erase(kAbsent); });
}

// A shrink (B 5 -> 4, two old chains merge into one) started before the
// mark, driven by erases of an absent key. 52 entries: no shrink starts by
// itself.
TEST_F(MapBarrier, EvacuationOfAShrinkShadesTheOldValuesAndKeys) {
  ThreadScope attach;
  Registry& reg = registry(2 * 120);
  auto vm = value_map(&reg, 120);
  std::vector<Node*> nodes;
  auto km = key_map(&reg, 120, &nodes);
  ASSERT_EQ(vm->stats().B, 5u);
  ASSERT_EQ(km->stats().B, 5u);
  for (uint64_t k = 52; k < 120; ++k) {
    ASSERT_EQ(vm->erase(k), 1u);
    ASSERT_EQ(km->erase(Ptr<Node>(nodes[k])), 1u);
  }
  nodes.resize(52);
  ASSERT_FALSE(vm->stats().growing);
  ValPeer::start_grow(*vm, -1);
  KeyPeer::start_grow(*km, -1);
  ASSERT_TRUE(vm->stats().shrinking);
  ASSERT_TRUE(km->stats().shrinking);
  start_mark();
  auto wv = unshaded_values(*vm);
  auto wk = unshaded_keys(nodes);
  EXPECT_GE(wv.size(), 26u);
  EXPECT_GE(wk.size(), 26u);
  expect_evacuation_shades(*vm, wv, [&](size_t) { vm->erase(kAbsent); });
  expect_evacuation_shades(*km, wk, [&](size_t) { km->erase(Ptr<Node>()); });
  EXPECT_EQ(vm->stats().B, 4u);
  EXPECT_EQ(km->stats().B, 4u);
  for (const auto& w : wv) EXPECT_EQ(value_of(*vm, w.key), w.obj);
}

// A shrink that starts by itself, on the erase that leaves the map sparse,
// during the mark.
TEST_F(MapBarrier, EvacuationOfAShrinkStartedByAnErase) {
  ThreadScope attach;
  Registry& reg = registry(120);
  auto m = value_map(&reg, 120);
  ASSERT_EQ(m->stats().B, 5u);
  for (uint64_t k = 52; k < 120; ++k) ASSERT_EQ(m->erase(k), 1u);
  start_mark();
  auto watched = unshaded_values(*m);
  EXPECT_GE(watched.size(), 26u);
  // The erase of the first key starts the shrink; it and the ones after it
  // drop their own values, which must be shaded too.
  ASSERT_EQ(m->erase(watched.front().key), 1u);
  EXPECT_TRUE(shaded(watched.front().obj));
  watched.erase(watched.begin());
  ASSERT_TRUE(m->stats().shrinking);
  expect_evacuation_shades(*m, watched, [&](size_t) { m->erase(kAbsent); });
}

// ---- Deferred erases -----------------------------------------------------

TEST_F(MapBarrier, DeferredErasesAppliedByFlushShadeTheDroppedEntries) {
  ThreadScope attach;
  Registry& reg = registry(128);
  auto vm = value_map(&reg, 64);
  std::vector<Node*> nodes;
  auto km = key_map(&reg, 64, &nodes);
  start_mark();
  // Queued after the start window (which applies what is queued).
  std::vector<const Node*> cands;
  for (uint64_t k = 0; k < 16; ++k) {
    const Node* v = value_of(*vm, k);
    if (!shaded(v)) cands.push_back(v);
    vm->erase_deferred(k);
    if (!shaded(nodes[k])) cands.push_back(nodes[k]);
    km->erase_deferred(Ptr<Node>(nodes[k]));
  }
  // A bulk erase by predicate, applied by the same flush.
  for (uint64_t k = 16; k < 32; ++k) {
    const Node* v = value_of(*vm, k);
    if (!shaded(v)) cands.push_back(v);
  }
  vm->erase_if_deferred([](uint64_t k, const Ptr<Node>&) { return k >= 16 && k < 32; });
  EXPECT_GE(cands.size(), 24u);
  EXPECT_EQ(vm->size(), 64u) << "applied before the flush";
  for (const Node* n : cands) ASSERT_FALSE(shaded(n)) << "queuing an erase shaded it";
  EXPECT_GT(vm->flush_deferred(), 0u);
  EXPECT_GT(km->flush_deferred(), 0u);
  EXPECT_EQ(vm->size(), 32u);
  EXPECT_EQ(km->size(), 48u);
  size_t unshaded = 0;
  for (const Node* n : cands) unshaded += !shaded(n);
  EXPECT_EQ(unshaded, 0u) << "of " << cands.size();
}

// ---- Outside a mark ------------------------------------------------------

// Every path above, with no mark running: nothing is shaded.
TEST_F(MapBarrier, OutsideAMarkNoPathShadesAnything) {
  ThreadScope attach;
  ASSERT_FALSE(gcmap::testing::marking_active());
  Registry& reg = registry(1024);
  std::vector<const void*> dropped;  // every node and table the paths below drop
  auto fresh_values = [&](uint64_t n) {
    auto m = value_map(&reg, n);
    for (auto&& [k, v] : *m) dropped.push_back(v.get());
    return m;
  };
  std::vector<Node*> nodes;
  // erase by key and by iterator, overwrite, subscript assignment, deferred.
  {
    auto m = fresh_values(64);
    for (uint64_t k = 0; k < 8; ++k) m->erase(k);
    for (uint64_t k = 8; k < 16; ++k) m->erase(m->find(k));
    for (uint64_t k = 16; k < 24; ++k) m->insert_or_assign(k, nullptr);
    for (uint64_t k = 24; k < 32; ++k) (*m)[k] = nullptr;
    for (uint64_t k = 32; k < 40; ++k) m->erase_deferred(k);
    m->erase_if_deferred([](uint64_t k, const Ptr<Node>&) { return k >= 40 && k < 48; });
    m->flush_deferred();
    EXPECT_EQ(m->size(), 32u);
    for (auto it = m->begin(); it != m->end();) it = m->erase(it);
  }
  {
    auto m = handle_map(&reg, 64);
    for (auto&& [k, v] : *m) dropped.push_back(v.node.get());
    for (uint64_t k = 0; k < 64; ++k) m->insert_or_assign(k, Handle(nullptr));
  }
  // clear in place, clear with a fresh table, clear while growing.
  {
    auto m = fresh_values(50);
    m->clear();
    auto s = session_map(&reg, 200);
    for (auto&& [k, v] : *s) dropped.push_back(v.node.get());
    const void* old = SessionPeer::array(*s);
    dropped.push_back(old);
    s->clear();
    EXPECT_NE(SessionPeer::array(*s), old);
    auto g = fresh_values(64);
    ValPeer::start_grow(*g, +1);
    dropped.push_back(ValPeer::array(*g));
    dropped.push_back(ValPeer::old_array(*g));
    g->clear();
  }
  // evacuation of a doubling and of a shrink, values and keys.
  {
    auto m = fresh_values(64);
    ValPeer::start_grow(*m, +1);
    while (m->stats().growing) m->erase(kAbsent);
    ValPeer::start_grow(*m, -1);
    while (m->stats().growing) m->erase(kAbsent);
    auto km = key_map(&reg, 64, &nodes);
    KeyPeer::start_grow(*km, +1);
    while (km->stats().growing) km->erase(Ptr<Node>());
    KeyPeer::start_grow(*km, -1);
    while (km->stats().growing) km->erase(Ptr<Node>());
    for (size_t i = 0; i < 32; ++i) km->erase(Ptr<Node>(nodes[i]));
    km->clear();
  }
  dropped.insert(dropped.end(), nodes.begin(), nodes.end());
  ASSERT_FALSE(gcmap::testing::marking_active());
  size_t shaded_count = 0;
  for (const void* p : dropped) shaded_count += shaded(p);
  EXPECT_EQ(shaded_count, 0u) << "of " << dropped.size();
}

}  // namespace
}  // namespace gcmap::map_test
