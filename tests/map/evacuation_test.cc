// Boundary conditions of incremental evacuation: a grow ends exactly when
// nevacuate reaches the old bucket count, and the old array is then
// unreachable; an erase (or an update) of a key still in a not-yet-evacuated
// old bucket; a growing or shrinking map that then only receives erases
// finishes; reads never evacuate; overflow churn starts a same-size grow by
// itself; a map that becomes empty while growing ends the grow.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "map_test_util.h"

namespace gcmap::map_test {
namespace {

using Map = HashMap<uint64_t, uint64_t>;
using Peer = map::detail::TestPeer<Map>;

class Evacuation : public MapTest {};

// Fill m with keys 0.. (at least `min`) until an insertion starts a doubling.
uint64_t fill_until_growing(Map& m, uint64_t min = 1000) {
  uint64_t k = 0;
  while (k < min || !m.stats().growing) {
    m[k] = k;
    ++k;
  }
  return k;
}

// Erases of absent keys evacuate (growWork) without changing the contents:
// step one at a time and check the bookkeeping after each step.
TEST_F(Evacuation, EndsExactlyWhenNevacuateReachesTheOldCount) {
  ThreadScope attach;
  Map m;
  const uint64_t n = fill_until_growing(m);
  HashMapStats st = m.stats();
  const size_t nold = st.old_buckets;
  ASSERT_GT(nold, 0u);
  ASSERT_LE(nold, 1024u) << "the check below assumes no skip limit";
  size_t steps = 0;
  uint64_t absent = 1u << 30;
  for (;;) {
    st = m.stats();
    ASSERT_TRUE(st.growing);
    ASSERT_LT(st.nevacuate, nold);
    ASSERT_EQ(st.old_buckets, nold);
    for (size_t i = 0; i < st.nevacuate; ++i) ASSERT_TRUE(Peer::old_bucket_evacuated(m, i)) << i;
    ASSERT_FALSE(Peer::old_bucket_evacuated(m, st.nevacuate));
    // The step that evacuates the last one ends the grow. Near the end,
    // measure the live heap before each step.
    size_t pending = 0;
    for (size_t i = st.nevacuate; i < nold; ++i) pending += !Peer::old_bucket_evacuated(m, i);
    const uint64_t live_both = pending <= 2 ? live_heap_after_precise_collection() : 0;
    const size_t both_bytes = st.bytes;  // both arrays
    m.erase(absent++);
    ++steps;
    if (!m.stats().growing) {
      HashMapStats done = m.stats();
      EXPECT_EQ(done.old_buckets, 0u);
      EXPECT_EQ(Peer::old_array(m), nullptr);
      // The old array is garbage now: the live heap loses it.
      const uint64_t live_one = live_heap_after_precise_collection();
      ASSERT_GT(live_both, 0u);
      EXPECT_GE(live_both - live_one, (both_bytes - done.bytes) * 9 / 10)
          << "live " << live_both << " -> " << live_one;
      break;
    }
    ASSERT_LE(steps, nold);
  }
  EXPECT_LE(steps, nold);
  for (uint64_t k = 0; k < n; ++k) ASSERT_EQ(m.at(k), k);
}

// With keys kept for an iterator, the old array holds copies of the keys
// until it dies: counting keys shows when it does.
TEST_F(Evacuation, KeysKeptForIteratorsDieWithTheOldArray) {
  ThreadScope attach;
  {
    HashMap<Counted, uint64_t, CountedHash> m;
    uint64_t k = 0;
    for (; k < 100; ++k) m.try_emplace(Counted(k), k);
    {
      auto it = m.begin();  // the map has been iterated: evacuations keep keys
      (void)it;
    }
    while (!m.stats().growing) {
      m.try_emplace(Counted(k), k);
      ++k;
    }
    while (m.stats().growing) m.erase(Counted(1u << 30));
    gcmap::testing::collect_precise();
    EXPECT_EQ(Counted::live(), static_cast<int64_t>(m.size()));
    EXPECT_EQ(Counted::double_destroyed.load(), 0);
  }
  gcmap::testing::collect_precise();
  EXPECT_EQ(Counted::live(), 0);
}

TEST_F(Evacuation, EraseOfAKeyInAnUnevacuatedOldBucket) {
  ThreadScope attach;
  for (int round = 0; round < 20; ++round) {
    Map m;
    const uint64_t n = fill_until_growing(m);
    std::vector<uint64_t> in_old;
    for (uint64_t k = 0; k < n; ++k) {
      if (Peer::in_old_bucket(m, k)) in_old.push_back(k);
    }
    ASSERT_FALSE(in_old.empty());
    const uint64_t victim = in_old[static_cast<size_t>(round) % in_old.size()];
    const size_t ob = Peer::old_bucket_of(m, victim);
    ASSERT_FALSE(Peer::old_bucket_evacuated(m, ob));
    ASSERT_EQ(m.erase(victim), 1u);
    EXPECT_FALSE(m.contains(victim));
    EXPECT_TRUE(Peer::old_bucket_evacuated(m, ob)) << "growWork skipped the key's bucket";
    EXPECT_EQ(m.size(), n - 1);
    for (uint64_t k = 0; k < n; ++k) {
      if (k != victim) {
        ASSERT_EQ(m.at(k), k);
      }
    }
  }
}

TEST_F(Evacuation, UpdateOfAKeyInAnUnevacuatedOldBucketFollowsTheMove) {
  ThreadScope attach;
  Map m;
  const uint64_t n = fill_until_growing(m);
  uint64_t victim = n;
  for (uint64_t k = 0; k < n; ++k) {
    if (Peer::in_old_bucket(m, k)) {
      victim = k;
      break;
    }
  }
  ASSERT_LT(victim, n);
  auto [pos, inserted] = m.insert_or_assign(victim, 777);
  auto it = pos;
  EXPECT_FALSE(inserted);
  EXPECT_FALSE(Peer::in_old_bucket(m, victim));  // evacuated by this write
  EXPECT_EQ(it->first, victim);
  EXPECT_EQ(it->second, 777u);
  it->second = 778;  // the iterator designates the entry's new home
  EXPECT_EQ(m.at(victim), 778u);
}

TEST_F(Evacuation, AGrowingMapThatOnlyErasesFinishes) {
  ThreadScope attach;
  std::mt19937_64 rng(3);
  Map m;
  const uint64_t n = fill_until_growing(m);
  const size_t nold = m.stats().old_buckets;
  std::vector<uint64_t> keys(n);
  for (uint64_t k = 0; k < n; ++k) keys[k] = k;
  std::shuffle(keys.begin(), keys.end(), rng);
  size_t erased = 0;
  while (m.stats().growing) {
    ASSERT_EQ(m.erase(keys[erased]), 1u);
    ++erased;
  }
  EXPECT_LE(erased, nold);
  for (size_t i = erased; i < keys.size(); ++i) ASSERT_EQ(m.at(keys[i]), keys[i]);
  EXPECT_EQ(m.size(), n - erased);
}

TEST_F(Evacuation, AShrinkingMapThatOnlyErasesFinishes) {
  ThreadScope attach;
  Map m;
  for (uint64_t k = 0; k < 50000; ++k) m[k] = k;
  while (m.stats().growing) m.erase(1u << 30);
  const unsigned b = m.stats().B;
  uint64_t k = 0;
  while (!m.stats().shrinking) m.erase(k++);
  const size_t nold = m.stats().old_buckets;
  EXPECT_EQ(m.stats().buckets * 2, nold);
  size_t erases = 0;
  while (m.stats().growing) {
    m.erase(k++);
    ++erases;
  }
  EXPECT_LE(erases, nold);
  EXPECT_EQ(m.stats().B, b - 1);
  for (uint64_t i = k; i < 50000; ++i) ASSERT_EQ(m.at(i), i);
}

TEST_F(Evacuation, ReadsNeverEvacuate) {
  ThreadScope attach;
  Map m;
  const uint64_t n = fill_until_growing(m);
  const size_t nev = m.stats().nevacuate;
  for (int r = 0; r < 3; ++r) {
    for (uint64_t k = 0; k < n; ++k) ASSERT_EQ(m.at(k), k);
    for (auto&& [key, value] : m) ASSERT_EQ(key, value);
  }
  EXPECT_TRUE(m.stats().growing);
  EXPECT_EQ(m.stats().nevacuate, nev);
}

TEST_F(Evacuation, BecomingEmptyWhileGrowingEndsTheGrow) {
  ThreadScope attach;
  Map m;
  m.reserve(10000);  // 2048 buckets, few entries: erases end long before evacuation
  for (uint64_t k = 0; k < 10; ++k) m[k] = k;
  Peer::start_grow(m, 1);
  for (uint64_t k = 1; k < 10; ++k) m.erase(k);
  ASSERT_TRUE(m.stats().growing);
  m.erase(0);
  EXPECT_TRUE(m.empty());
  EXPECT_FALSE(m.stats().growing);
  m[5] = 6;
  EXPECT_EQ(m.at(5), 6u);
}

// Overflow buckets left by churn start a same-size grow by themselves
// (golang/go#16070): fill each bucket of a small table past 8 entries in
// turn, and empty it again, so that every bucket gets an overflow bucket
// while the count stays low.
TEST_F(Evacuation, OverflowChurnStartsASameSizeGrow) {
  ThreadScope attach;
  Map m;
  m.reserve(20);  // B = 2, and no shrinking below it
  ASSERT_EQ(m.stats().B, 2u);
  m[0] = 0;  // keeps the map from becoming empty (which would reseed it)
  const size_t nb = m.stats().buckets;
  const size_t bucket_of_0 = m.hash_of(0) & (nb - 1);
  uint64_t candidate = 1;
  for (size_t bucket = 0; bucket < nb; ++bucket) {
    // 9 entries overflow a bucket (key 0 counts in its own bucket).
    const size_t want = bucket == bucket_of_0 ? 8 : 9;
    std::vector<uint64_t> keys;
    while (keys.size() < want) {
      if ((m.hash_of(candidate) & (nb - 1)) == bucket) keys.push_back(candidate);
      ++candidate;
    }
    for (uint64_t k : keys) m[k] = k;
    ASSERT_FALSE(m.stats().growing);
    for (uint64_t k : keys) m.erase(k);
  }
  HashMapStats st = m.stats();
  EXPECT_EQ(st.overflow_buckets, nb);
  EXPECT_EQ(st.count, 1u);
  m[candidate] = 1;  // a new key: the trigger is checked
  st = m.stats();
  EXPECT_TRUE(st.growing);
  EXPECT_TRUE(st.same_size_grow);
  EXPECT_EQ(st.buckets, nb);
  while (m.stats().growing) m.erase(1u << 30);
  st = m.stats();
  EXPECT_EQ(st.overflow_buckets, 0u);
  EXPECT_EQ(st.tombstones, 0u);
  EXPECT_EQ(m.at(0), 0u);
  EXPECT_EQ(m.at(candidate), 1u);
}

}  // namespace
}  // namespace gcmap::map_test
