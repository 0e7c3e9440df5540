// The STL-style interface of gcmap::HashMap and its simple semantics:
// lookups, insertion, erase, heterogeneous lookup, iteration, reserve,
// fixed capacity, clear, reseeding, shrinking, copies and moves.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

#include "map_test_util.h"

namespace gcmap::map_test {
namespace {

using U64Map = HashMap<uint64_t, uint64_t>;
using Peer = map::detail::TestPeer<U64Map>;

class Basic : public MapTest {};

TEST_F(Basic, EmptyMap) {
  ThreadScope attach;
  U64Map m;
  EXPECT_EQ(m.size(), 0u);
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.find(1), m.end());
  EXPECT_TRUE(m.begin() == m.end());
  EXPECT_EQ(m.erase(1), 0u);
  EXPECT_FALSE(m.contains(1));
  EXPECT_EQ(m.get(1), nullptr);
  m.clear();
  HashMapStats st = m.stats();
  EXPECT_EQ(st.count, 0u);
  EXPECT_EQ(st.buckets, 0u);
  EXPECT_FALSE(st.growing);
}

TEST_F(Basic, InsertFindErase) {
  ThreadScope attach;
  U64Map m;
  for (uint64_t i = 0; i < 1000; ++i) {
    auto [it, inserted] = m.try_emplace(i, i * 10);
    EXPECT_TRUE(inserted);
    EXPECT_EQ(it->first, i);
    EXPECT_EQ(it->second, i * 10);
  }
  EXPECT_EQ(m.size(), 1000u);
  for (uint64_t i = 0; i < 1000; ++i) {
    auto it = m.find(i);
    ASSERT_NE(it, m.end());
    EXPECT_EQ(it->second, i * 10);
    EXPECT_EQ(m.at(i), i * 10);
    EXPECT_EQ(*m.get(i), i * 10);
    EXPECT_EQ(m.count(i), 1u);
  }
  EXPECT_EQ(m.find(5000), m.end());
  for (uint64_t i = 0; i < 1000; i += 2) EXPECT_EQ(m.erase(i), 1u);
  EXPECT_EQ(m.erase(0), 0u);
  EXPECT_EQ(m.size(), 500u);
  for (uint64_t i = 0; i < 1000; ++i) EXPECT_EQ(m.contains(i), i % 2 == 1) << i;
}

TEST_F(Basic, TryEmplaceKeepsInsertOrAssignOverwrites) {
  ThreadScope attach;
  U64Map m;
  EXPECT_TRUE(m.try_emplace(1, 10).second);
  EXPECT_FALSE(m.try_emplace(1, 20).second);
  EXPECT_EQ(m.at(1), 10u);
  auto [it, inserted] = m.insert_or_assign(1, 30);
  EXPECT_FALSE(inserted);
  EXPECT_EQ(it->second, 30u);
  EXPECT_TRUE(m.insert_or_assign(2, 40).second);
  EXPECT_TRUE(m.insert({3, 50}).second);
  EXPECT_FALSE(m.emplace(3, 60).second);
  EXPECT_EQ(m.at(3), 50u);
  EXPECT_EQ(m.size(), 3u);
}

TEST_F(Basic, OperatorBracketValueInitializes) {
  ThreadScope attach;
  U64Map m;
  EXPECT_EQ(m[7], 0u);
  m[7] += 5;
  m[8] = 1;
  EXPECT_EQ(m.at(7), 5u);
  EXPECT_EQ(m.size(), 2u);
}

TEST_F(Basic, AtThrowsOnAMissingKey) {
  ThreadScope attach;
  U64Map m;
  m[1] = 1;
  EXPECT_THROW(m.at(2), std::out_of_range);
  const U64Map& c = m;
  EXPECT_THROW(c.at(2), std::out_of_range);
  EXPECT_EQ(c.at(1), 1u);
}

TEST_F(Basic, StringKeysAreFoundFromAStringView) {
  ThreadScope attach;
  HashMap<std::string, int> m;
  m["alpha"] = 1;
  m.insert_or_assign(std::string_view("beta"), 2);
  m.try_emplace(std::string("gamma"), 3);
  std::string buffer = "xxbetaxx";
  std::string_view beta(buffer.data() + 2, 4);
  EXPECT_TRUE(m.contains(beta));
  EXPECT_EQ(m.find(beta)->second, 2);
  EXPECT_EQ(m.at("alpha"), 1);
  EXPECT_EQ(*m.get(std::string_view("gamma")), 3);
  EXPECT_EQ(m.erase(beta), 1u);
  EXPECT_FALSE(m.contains("beta"));
  // A long key, beyond the small-string buffer.
  std::string long_key(100, 'k');
  m[long_key] = 4;
  EXPECT_EQ(m.at(std::string_view(long_key)), 4);
}

// A string key that counts how many times it is built: heterogeneous
// lookups must build none.
struct CountedString {
  static inline int built = 0;
  explicit CountedString(std::string_view s) : s(s) { ++built; }
  CountedString(const CountedString& o) : s(o.s) { ++built; }
  CountedString(CountedString&& o) noexcept : s(std::move(o.s)) { ++built; }
  std::string s;
};
struct CountedStringHash {
  using is_transparent = void;
  uint64_t operator()(std::string_view s, uint64_t seed) const { return StringHash{}(s, seed); }
  uint64_t operator()(const CountedString& s, uint64_t seed) const {
    return StringHash{}(s.s, seed);
  }
};
struct CountedStringEq {
  using is_transparent = void;
  static std::string_view view(std::string_view s) { return s; }
  static std::string_view view(const CountedString& s) { return s.s; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return view(a) == view(b);
  }
};

TEST_F(Basic, HeterogeneousLookupBuildsNoKey) {
  ThreadScope attach;
  HashMap<CountedString, int, CountedStringHash, CountedStringEq> m;
  m.try_emplace(std::string_view("session:1"), 1);
  m.try_emplace(std::string_view("session:2"), 2);
  CountedString::built = 0;
  EXPECT_TRUE(m.contains(std::string_view("session:1")));
  EXPECT_EQ(m.find(std::string_view("session:2"))->second, 2);
  EXPECT_EQ(m.find(std::string_view("session:3")), m.end());
  EXPECT_FALSE(m.try_emplace(std::string_view("session:1"), 5).second);
  EXPECT_EQ(m.erase(std::string_view("session:2")), 1u);
  EXPECT_EQ(CountedString::built, 0);
  EXPECT_TRUE(m.try_emplace(std::string_view("session:4"), 4).second);
  EXPECT_EQ(CountedString::built, 1);
}

TEST_F(Basic, IterationVisitsEveryEntryOnce) {
  ThreadScope attach;
  U64Map m;
  for (uint64_t i = 0; i < 5000; ++i) m[i] = i + 1;
  std::set<uint64_t> seen;
  for (auto&& [key, value] : m) {
    EXPECT_EQ(value, key + 1);
    EXPECT_TRUE(seen.insert(key).second) << "key " << key << " twice";
    value += 1;  // values are mutable through the iterator
  }
  EXPECT_EQ(seen.size(), 5000u);
  const U64Map& c = m;
  size_t n = 0;
  for (auto it = c.begin(); it != c.end(); ++it) {
    EXPECT_EQ(it->second, it->first + 2);
    ++n;
  }
  EXPECT_EQ(n, 5000u);
  // begin() is stable while the map is not modified.
  EXPECT_TRUE(m.begin() == m.begin());
  U64Map::const_iterator ci = m.begin();
  EXPECT_TRUE(ci == m.cbegin());
}

TEST_F(Basic, EraseThroughIteratorsEmptiesTheMap) {
  ThreadScope attach;
  U64Map m;
  for (uint64_t i = 0; i < 3000; ++i) m[i] = i;
  size_t erased = 0;
  for (auto it = m.begin(); it != m.end();) {
    if (it->first % 3 == 0) {
      it = m.erase(it);
      ++erased;
    } else {
      ++it;
    }
  }
  EXPECT_EQ(erased, 1000u);
  EXPECT_EQ(m.size(), 2000u);
  for (auto it = m.begin(); it != m.end();) it = m.erase(it);
  EXPECT_TRUE(m.empty());
  // Erase of a find() result returns the next entry (or end).
  for (uint64_t i = 0; i < 100; ++i) m[i] = i;
  auto it = m.find(42);
  auto next = m.erase(it);
  EXPECT_FALSE(m.contains(42));
  if (next != m.end()) {
    EXPECT_NE(next->first, 42u);
  }
  EXPECT_EQ(m.size(), 99u);
}

TEST_F(Basic, ReserveSizesTheTableUpFront) {
  ThreadScope attach;
  U64Map m;
  m.reserve(100000);
  HashMapStats st = m.stats();
  unsigned b = st.B;
  EXPECT_GE(13.0 * (1u << b) / 2, 100000.0);
  for (uint64_t i = 0; i < 100000; ++i) {
    m[i] = i;
    ASSERT_FALSE(m.stats().growing && !m.stats().same_size_grow) << i;
  }
  EXPECT_EQ(m.stats().B, b);
  // Reserve on a full map rehashes at once, and sets a floor for shrinking.
  U64Map n;
  for (uint64_t i = 0; i < 1000; ++i) n[i] = i;
  n.reserve(50000);
  st = n.stats();
  EXPECT_FALSE(st.growing);
  EXPECT_GE(13.0 * (1u << st.B) / 2, 50000.0);
  for (uint64_t i = 0; i < 1000; ++i) ASSERT_EQ(n.at(i), i);
  for (uint64_t i = 0; i < 1000; ++i) n.erase(i);
  EXPECT_EQ(n.stats().B, st.B) << "shrank below the reserved size";
}

TEST_F(Basic, FixedCapacityThrowsInsteadOfGrowing) {
  ThreadScope attach;
  U64Map m(FixedCapacity{100});
  const unsigned b = m.stats().B;
  for (uint64_t i = 0; i < 100; ++i) m[i] = i;
  try {
    m[100] = 1;
    FAIL() << "no exception";
  } catch (const std::length_error& e) {
    EXPECT_NE(std::string(e.what()).find("fixed capacity of 100 entries"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(m.size(), 100u);
  EXPECT_FALSE(m.contains(100));
  m[5] = 55;  // assigning an existing key is fine
  EXPECT_EQ(m.at(5), 55u);
  EXPECT_THROW(m.try_emplace(200, 1), std::length_error);
  EXPECT_THROW(m.reserve(101), std::length_error);
  // The map is still writable after the failures (the writing flag was cleared).
  for (uint64_t i = 0; i < 90; ++i) m.erase(i);
  EXPECT_EQ(m.stats().B, b) << "a fixed map shrank";
  for (uint64_t i = 1000; i < 1090; ++i) m[i] = i;
  EXPECT_EQ(m.size(), 100u);
  EXPECT_EQ(m.stats().B, b);
  EXPECT_EQ(m.stats().fixed_capacity, 100u);
}

TEST_F(Basic, ClearKeepsTheSizeUnlessSparse) {
  ThreadScope attach;
  U64Map m;
  for (uint64_t i = 0; i < 20000; ++i) m[i] = i;
  const unsigned b = m.stats().B;
  m.clear();
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.stats().B, b);
  EXPECT_EQ(m.begin(), m.end());
  // Refill: no growth.
  for (uint64_t i = 0; i < 20000; ++i) {
    m[i] = i;
    ASSERT_FALSE(m.stats().growing) << i;
  }
  // A sparse map gets a table that fits what it holds (golang/go#70617).
  U64Map big;
  for (uint64_t i = 0; i < 100000; ++i) big[i] = i;
  const unsigned big_b = big.stats().B;
  for (uint64_t i = 0; i < 99000; ++i) big.erase(i);
  // (shrinking may have started on the way; clear ends it)
  big.clear();
  HashMapStats st = big.stats();
  EXPECT_FALSE(st.growing);
  EXPECT_LT(st.B, big_b);
  EXPECT_GE(13.0 * (1u << st.B) / 2, 1000.0);
  EXPECT_EQ(big.find(99999), big.end());
  big[1] = 2;
  EXPECT_EQ(big.at(1), 2u);
}

TEST_F(Basic, TheSeedChangesWhenTheMapBecomesEmpty) {
  ThreadScope attach;
  U64Map m;
  for (uint64_t i = 0; i < 10; ++i) m[i] = i;
  uint64_t s0 = Peer::seed(m);
  for (uint64_t i = 0; i < 9; ++i) m.erase(i);
  EXPECT_EQ(Peer::seed(m), s0);
  m.erase(9);
  EXPECT_NE(Peer::seed(m), s0);
  uint64_t s1 = Peer::seed(m);
  m[1] = 1;
  m.clear();
  EXPECT_NE(Peer::seed(m), s1);
  // Two maps hash the same key differently.
  U64Map a, b;
  EXPECT_NE(a.hash_of(12345), b.hash_of(12345));
}

TEST_F(Basic, DeletesShrinkTheTableAndGiveMemoryBack) {
  ThreadScope attach;
  U64Map m;
  const uint64_t n = 200000 / kScale;
  for (uint64_t i = 0; i < n; ++i) m[i] = i;
  HashMapStats full = m.stats();
  bool saw_shrink = false;
  for (uint64_t i = 0; i < n - n / 100; ++i) {
    m.erase(i);
    saw_shrink |= m.stats().shrinking;
  }
  EXPECT_TRUE(saw_shrink);
  // Finish what is in progress with a few more erases of absent keys.
  for (uint64_t i = 0; i < 100000 && m.stats().growing; ++i) m.erase(n + i);
  HashMapStats after = m.stats();
  EXPECT_FALSE(after.growing);
  EXPECT_LE(after.B + 4, full.B) << "from B=" << full.B;
  EXPECT_LT(after.bytes * 8, full.bytes);
  for (uint64_t i = n - n / 100; i < n; ++i) ASSERT_EQ(m.at(i), i);
  EXPECT_EQ(m.size(), n / 100);
}

TEST_F(Basic, CopiesAreIndependentMovesEmptyTheSource) {
  ThreadScope attach;
  HashMap<std::string, int> a;
  for (int i = 0; i < 1000; ++i) a[std::to_string(i)] = i;
  HashMap<std::string, int> b(a);
  EXPECT_EQ(b.size(), 1000u);
  b["0"] = -1;
  EXPECT_EQ(a.at("0"), 0);
  HashMap<std::string, int> c(std::move(a));
  EXPECT_EQ(c.size(), 1000u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
  a["x"] = 1;              // a moved-from map is usable
  EXPECT_EQ(a.size(), 1u);
  c = b;
  EXPECT_EQ(c.at("0"), -1);
  c.swap(a);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(a.size(), 1000u);
  HashMap<std::string, int> d = {{"one", 1}, {"two", 2}};
  EXPECT_EQ(d.at("two"), 2);
  gcmap::collect();
  EXPECT_EQ(a.at("999"), 999);
  EXPECT_EQ(b.at("999"), 999);
}

// Sequential and strided integer keys spread evenly: overflow buckets at
// the maximum load stay near Go's 21% for random keys.
TEST_F(Basic, IntegerHashSpreadsSequentialAndStridedKeys) {
  ThreadScope attach;
  for (uint64_t stride : {uint64_t{1}, uint64_t{4096}, uint64_t{1} << 32}) {
    U64Map m;
    m.reserve(6000);
    const size_t nb = m.stats().buckets;
    const uint64_t n = nb * 13 / 2;  // the most this table holds
    for (uint64_t i = 0; i < n; ++i) m[i * stride] = i;
    HashMapStats st = m.stats();
    ASSERT_EQ(st.buckets, nb);
    EXPECT_LT(static_cast<double>(st.overflow_buckets) / static_cast<double>(nb), 0.3)
        << "stride " << stride;
  }
}

// Random inserts alone never compact a large table: the same-size trigger
// is as many overflow buckets as buckets at every size (Go's counter is
// approximate above B = 15; a literal 2^15 cap would compact every large
// map over and over).
TEST_F(Basic, RandomInsertsIntoALargeMapDoNotCompact) {
  ThreadScope attach;
  U64Map m;
  std::mt19937_64 rng(9);
  size_t same_size = 0;
  while (m.stats().B < 18 || m.size() < 13 * (size_t{1} << 18) / 2 - 1000) {
    m[rng()] = 1;
    same_size += m.stats().same_size_grow;
  }
  EXPECT_GT(m.stats().overflow_buckets, size_t{1} << 15);
  EXPECT_EQ(same_size, 0u);
}

}  // namespace
}  // namespace gcmap::map_test
