// Iteration while the map changes: through doubling, same-size growth and
// shrinking (started before the iteration, or in the middle of it), with
// inserts, updates and erases between steps, erase of the current entry and
// erase through the iterator. Every key present for the whole iteration is
// returned exactly once, with its current value.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <set>
#include <unordered_map>
#include <vector>

#include "map_test_util.h"

namespace gcmap::map_test {
namespace {

using Map = HashMap<uint64_t, uint64_t>;
using Peer = map::detail::TestPeer<Map>;

enum class Start { kQuiet, kDoubling, kShrinking, kSameSize };

struct Coverage {
  int grows_during = 0;  // grows (any kind) that began during an iteration
  int shrinks_during = 0;
  int same_during = 0;
  int started_growing = 0;  // iterations that began while the map was growing
  int started_shrinking = 0;
};

// One iteration over a map of `stable` keys that are never erased, plus
// volatile keys that come and go between steps.
void run_trial(uint64_t seed, Start start, size_t stable, Coverage* cov) {
  std::mt19937_64 rng(seed);
  auto rnd = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
  Map m;
  std::unordered_map<uint64_t, uint64_t> model;
  std::vector<uint64_t> vol;  // volatile keys present
  uint64_t next_vol = uint64_t{1} << 40;
  auto put = [&](uint64_t k, uint64_t v) {
    m.insert_or_assign(k, v);
    model[k] = v;
  };
  auto add_volatile = [&] {
    uint64_t k = next_vol++;
    put(k, rng());
    vol.push_back(k);
  };
  auto erase_volatile = [&](size_t idx) {
    uint64_t k = vol[idx];
    ASSERT_EQ(m.erase(k), 1u);
    model.erase(k);
    vol[idx] = vol.back();
    vol.pop_back();
  };
  for (uint64_t k = 0; k < stable; ++k) put(k, rng());

  // Bring the map to the starting state.
  switch (start) {
    case Start::kQuiet:
      break;
    case Start::kDoubling:
      while (!m.stats().growing) add_volatile();
      ++cov->started_growing;
      break;
    case Start::kShrinking: {
      for (size_t i = 0; i < stable * 6; ++i) add_volatile();
      while (m.stats().growing) add_volatile();
      while (!m.stats().shrinking && !vol.empty()) erase_volatile(rnd(vol.size()));
      if (m.stats().shrinking) ++cov->started_shrinking;
      break;
    }
    case Start::kSameSize:
      while (m.stats().growing) add_volatile();
      Peer::start_grow(m, 0);
      ++cov->started_growing;
      break;
  }

  std::unordered_map<uint64_t, int> seen;
  HashMapStats prev = m.stats();
  // Phases of the map's life during the iteration: grow it for the first
  // part of the walk, then empty it of volatile keys (shrinking it).
  const size_t grow_steps = m.size() / 3;
  size_t steps = 0;
  for (auto it = m.begin(); it != m.end();) {
    const uint64_t k = it->first;
    auto mi = model.find(k);
    ASSERT_NE(mi, model.end()) << "returned a key that is not in the map";
    ASSERT_EQ(it->second, mi->second) << "returned a stale value for " << k;
    ++seen[k];
    // Erase the current entry (volatile keys only) first: a modification
    // invalidates what the iterator designates until it is incremented.
    bool advanced = false;
    if (k >= (uint64_t{1} << 40) && rnd(4) == 0) {
      for (size_t i = 0; i < vol.size(); ++i) {
        if (vol[i] == k) {
          vol[i] = vol.back();
          vol.pop_back();
          break;
        }
      }
      model.erase(k);
      if (rnd(2) == 0) {
        it = m.erase(it);  // designates the next entry: no other change this step
        advanced = true;
      } else {
        ASSERT_EQ(m.erase(it->first), 1u);  // erase by the entry's own key
      }
    }
    if (advanced) continue;
    // The map changes between steps.
    const bool shrinking_phase = ++steps > grow_steps;
    const int n = static_cast<int>(rnd(shrinking_phase ? 10 : 6));
    for (int j = 0; j < n; ++j) {
      int r = static_cast<int>(rnd(100));
      if (r < (shrinking_phase ? 5 : 55)) {
        add_volatile();
      } else if (r < 90) {
        if (!vol.empty()) erase_volatile(rnd(vol.size()));
      } else if (r < 97) {
        put(rnd(stable), rng());  // update a stable key: the iteration must see the new value
      } else if (r == 97 && rnd(4) == 0 && !m.stats().growing && m.size() > 0) {
        Peer::start_grow(m, 0);
      }
      ASSERT_FALSE(::testing::Test::HasFatalFailure());
    }
    HashMapStats now = m.stats();
    if (now.growing && (!prev.growing || now.buckets != prev.buckets)) {
      ++cov->grows_during;
      if (now.shrinking) ++cov->shrinks_during;
      if (now.same_size_grow) ++cov->same_during;
    }
    prev = now;
    ++it;
  }
  for (uint64_t k = 0; k < stable; ++k) {
    ASSERT_EQ(seen[k], 1) << "stable key " << k << " (seed " << seed << ")";
  }
  for (auto& [k, n] : seen) ASSERT_LE(n, 2) << k;
  ASSERT_EQ(m.size(), model.size());
}

class Iteration : public MapTest {};

TEST_F(Iteration, StableKeysExactlyOnceThroughGrowthAndShrink) {
  ThreadScope attach;
  Coverage cov;
  const int trials = static_cast<int>(300 / kScale);
  uint64_t seed = 100;
  for (int t = 0; t < trials; ++t) {
    for (Start s : {Start::kQuiet, Start::kDoubling, Start::kShrinking, Start::kSameSize}) {
      size_t stable = 8 + (seed * 37) % 300;
      run_trial(seed++, s, stable, &cov);
      ASSERT_FALSE(HasFatalFailure()) << "seed " << seed - 1;
    }
    if (t % 50 == 0) gcmap::collect();
  }
  std::printf(
      "  grows during iterations %d (shrinks %d, same size %d); started growing %d, "
      "shrinking %d\n",
      cov.grows_during, cov.shrinks_during, cov.same_during, cov.started_growing,
      cov.started_shrinking);
  EXPECT_GT(cov.grows_during, 0);
  EXPECT_GT(cov.shrinks_during, 0);
  EXPECT_GT(cov.same_during, 0);
  EXPECT_GT(cov.started_growing, 0);
  EXPECT_GT(cov.started_shrinking, 0);
}

TEST_F(Iteration, LargeMapThroughSeveralDoublings) {
  ThreadScope attach;
  Coverage cov;
  run_trial(7, Start::kQuiet, 5000 / kScale, &cov);
  run_trial(8, Start::kDoubling, 5000 / kScale, &cov);
  run_trial(9, Start::kShrinking, 2000 / kScale, &cov);
  EXPECT_GT(cov.grows_during, 2);
}

TEST_F(Iteration, ErasingEveryKeyWhileIterating) {
  ThreadScope attach;
  Map m;
  for (uint64_t i = 0; i < 20000; ++i) m[i] = i;
  std::set<uint64_t> seen;
  // Erase by the entry's own key: shrinks start and progress meanwhile.
  bool shrank = false;
  for (auto&& [k, v] : m) {
    EXPECT_EQ(v, k);
    EXPECT_TRUE(seen.insert(k).second);
    m.erase(k);
    shrank |= m.stats().shrinking;
  }
  EXPECT_TRUE(shrank);
  EXPECT_EQ(seen.size(), 20000u);
  EXPECT_TRUE(m.empty());
  // The same through erase(iterator).
  for (uint64_t i = 0; i < 20000; ++i) m[i] = i;
  seen.clear();
  for (auto it = m.begin(); it != m.end();) {
    EXPECT_TRUE(seen.insert(it->first).second);
    it = m.erase(it);
  }
  EXPECT_EQ(seen.size(), 20000u);
  EXPECT_TRUE(m.empty());
}

TEST_F(Iteration, ClearEndsTheIteration) {
  ThreadScope attach;
  Map m;
  for (uint64_t i = 0; i < 1000; ++i) m[i] = i;
  auto it = m.begin();
  ++it;
  m.clear();
  m[5] = 5;
  ++it;
  EXPECT_TRUE(it == m.end());
}

// An iterator from find() is in the state a walk from begin() has when it
// reaches that entry: the walk up to it and the walk from it partition the
// map, also while it grows or shrinks.
TEST_F(Iteration, FindIteratorsContinueTheWalk) {
  ThreadScope attach;
  std::mt19937_64 rng(5);
  for (Start s : {Start::kQuiet, Start::kDoubling, Start::kShrinking, Start::kSameSize}) {
    Map m;
    for (uint64_t i = 0; i < 3000; ++i) m[i] = i;
    if (s == Start::kDoubling) {
      for (uint64_t i = 3000; !m.stats().growing; ++i) m[i] = i;
    } else if (s == Start::kShrinking) {
      for (uint64_t i = 0; !m.stats().shrinking; ++i) m.erase(i);
    } else if (s == Start::kSameSize) {
      Peer::start_grow(m, 0);
    }
    if (s != Start::kQuiet) {
      // Evacuate some buckets, not all.
      for (uint64_t i = 0; i < 40; ++i) m.erase(1'000'000 + i);
      ASSERT_TRUE(m.stats().growing);
    }
    std::vector<uint64_t> walk;
    for (auto&& [k, v] : m) walk.push_back(k);
    ASSERT_EQ(walk.size(), m.size());
    for (int t = 0; t < 50; ++t) {
      size_t pos = rng() % walk.size();
      std::vector<uint64_t> rest;
      for (auto it = m.find(walk[pos]); it != m.end(); ++it) rest.push_back(it->first);
      ASSERT_EQ(rest, std::vector<uint64_t>(walk.begin() + pos, walk.end()))
          << "start " << static_cast<int>(s) << " pos " << pos;
    }
  }
}

}  // namespace
}  // namespace gcmap::map_test
