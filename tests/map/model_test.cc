// Model-based tests: millions of random inserts, lookups, erases and clears
// against std::unordered_map, in phases that make the map double, compact
// (same-size growth) and shrink, with collections forced at random points
// (the runtime runs in verify mode: every mark is checked), for integer
// keys, string keys and Ptr<T> values.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "map_test_util.h"

namespace gcmap::map_test {
namespace {

struct U64Traits {
  using Key = uint64_t;
  using Value = uint64_t;
  using Map = HashMap<Key, Value>;
  static Key key(uint64_t r) { return r; }
  Value make_value(uint64_t id) { return id; }
  static uint64_t model_of(const Value& v) { return v; }
};

struct StringTraits {
  using Key = std::string;
  using Value = uint64_t;
  using Map = HashMap<Key, Value>;
  static Key key(uint64_t r) {
    // Short keys (in the small-string buffer) and long ones.
    std::string k = "sess:" + std::to_string(r);
    if (r % 5 == 0) k += ":with-a-long-suffix-beyond-sso";
    return k;
  }
  Value make_value(uint64_t id) { return id; }
  static uint64_t model_of(const Value& v) { return v; }
};

// SmallString keys: inline up to 30 bytes, the long ones on the malloc heap.
struct SmallStringTraits {
  using Key = SmallString;
  using Value = uint64_t;
  using Map = HashMap<Key, Value>;
  static Key key(uint64_t r) { return SmallString(StringTraits::key(r)); }
  Value make_value(uint64_t id) { return id; }
  static uint64_t model_of(const Value& v) { return v; }
};

struct PtrTraits {
  using Key = uint64_t;
  using Value = Ptr<Node>;
  using Map = HashMap<Key, Value>;
  explicit PtrTraits(Registry* r) : registry(r) {}
  static Key key(uint64_t r) { return r * 0x10001; }
  Node* make_value(uint64_t id) { return make<Node>(registry, id); }
  static uint64_t model_of(const Value& v) {
    Node* n = v.get();
    EXPECT_NE(n, nullptr);
    EXPECT_EQ(n->magic, kAliveMagic) << "a value was freed while in the map";
    return n->id;
  }
  Registry* registry;
};

template <class Traits>
class Model {
 public:
  using Key = typename Traits::Key;
  using Map = typename Traits::Map;
  using Peer = map::detail::TestPeer<Map>;

  Model(Traits traits, uint64_t seed) : traits_(std::move(traits)), rng_(seed) {}

  void run(size_t ops) {
    const size_t phase_len = ops / 8;
    for (size_t op = 0; op < ops; ++op) {
      // grow, churn at a steady size, shrink, mixed; twice.
      const int phase = static_cast<int>((op / phase_len) % 4);
      step(phase, op);
      ASSERT_EQ(map_.size(), model_.size()) << "op " << op;
      observe();
      if (op % 20000 == 0 || op + 1 == ops) check_all(op);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }

  uint64_t ids_used() const { return next_id_; }
  bool saw_double = false, saw_same = false, saw_shrink = false;
  size_t collections = 0, max_size = 0;

 private:
  uint64_t rnd(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }

  void step(int phase, size_t op) {
    // Probabilities in 1/1000: insert, erase (of a present key), erase (any
    // key), lookup; the rest are lookups of absent keys.
    static constexpr int kP[4][4] = {
        {600, 100, 20, 200},  // grow
        {400, 380, 20, 150},  // churn
        {50, 650, 50, 200},   // shrink
        {330, 300, 20, 300},  // mixed
    };
    const uint64_t universe = 400000 / kScale + 1000;
    const int r = static_cast<int>(rnd(1000));
    if (rnd(40000 / kScale) == 0) {
      gcmap::collect();
      ++collections;
    }
    if (phase == 1 && rnd(20000 / kScale) == 0 && !map_.stats().growing && map_.size() > 0) {
      // Compaction also happens by itself under churn; force it sometimes
      // so every run goes through it.
      Peer::start_grow(map_, 0);
    }
    if (rnd(300000 / kScale) == 0) {
      map_.clear();
      model_.clear();
      keys_.clear();
      return;
    }
    if (r < kP[phase][0]) {
      insert(traits_.key(rnd(universe)), op);
    } else if (r < kP[phase][0] + kP[phase][1]) {
      if (!keys_.empty()) erase_present(keys_[rnd(keys_.size())]);
    } else if (r < kP[phase][0] + kP[phase][1] + kP[phase][2]) {
      Key k = traits_.key(rnd(universe));
      auto it = model_.find(k);
      size_t expect = it == model_.end() ? 0 : 1;
      ASSERT_EQ(map_.erase(k), expect);
      if (expect) forget(k);
    } else if (r < kP[phase][0] + kP[phase][1] + kP[phase][2] + kP[phase][3]) {
      if (!keys_.empty()) {
        const Key& k = keys_[rnd(keys_.size())];
        auto it = map_.find(k);
        ASSERT_NE(it, map_.end());
        ASSERT_EQ(Traits::model_of(it->second), model_.at(k).value);
      }
    } else {
      Key k = traits_.key(universe + rnd(universe));
      ASSERT_FALSE(map_.contains(k));
      ASSERT_EQ(map_.get(k), nullptr);
    }
  }

  void insert(const Key& k, size_t op) {
    uint64_t id = next_id_++;
    auto v = traits_.make_value(id);
    auto it = model_.find(k);
    switch (op % 3) {
      case 0: {
        auto [mit, inserted] = map_.insert_or_assign(k, v);
        ASSERT_EQ(inserted, it == model_.end());
        ASSERT_EQ(Traits::model_of(mit->second), id);
        break;
      }
      case 1: {
        auto [mit, inserted] = map_.try_emplace(k, v);
        ASSERT_EQ(inserted, it == model_.end());
        if (!inserted) return;  // try_emplace keeps the old value
        break;
      }
      default:
        map_[k] = v;
        break;
    }
    if (it == model_.end()) {
      model_.emplace(k, Entry{id, keys_.size()});
      keys_.push_back(k);
    } else {
      it->second.value = id;
    }
    if (model_.size() > max_size) max_size = model_.size();
  }

  void erase_present(Key k) {
    if (rnd(4) == 0) {
      auto it = map_.find(k);
      ASSERT_NE(it, map_.end());
      map_.erase(it);
    } else {
      ASSERT_EQ(map_.erase(k), 1u);
    }
    ASSERT_FALSE(map_.contains(k));
    forget(k);
  }

  void forget(const Key& k) {
    auto it = model_.find(k);
    size_t idx = it->second.index;
    model_.erase(it);
    if (idx != keys_.size() - 1) {
      keys_[idx] = std::move(keys_.back());
      model_.at(keys_[idx]).index = idx;
    }
    keys_.pop_back();
  }

  void observe() {
    HashMapStats st = map_.stats();
    ASSERT_EQ(st.count, model_.size());
    if (!st.growing) {
      ASSERT_EQ(st.old_buckets, 0u);
      return;
    }
    ASSERT_LT(st.nevacuate, st.old_buckets);
    if (st.shrinking) {
      saw_shrink = true;
      ASSERT_EQ(st.buckets * 2, st.old_buckets);
    } else if (st.same_size_grow) {
      saw_same = true;
      ASSERT_EQ(st.buckets, st.old_buckets);
    } else {
      saw_double = true;
      ASSERT_EQ(st.buckets, st.old_buckets * 2);
    }
  }

  void check_all(size_t op) {
    size_t n = 0;
    for (auto&& [k, v] : map_) {
      auto it = model_.find(k);
      ASSERT_NE(it, model_.end()) << "op " << op << ": a key the model does not have";
      ASSERT_EQ(Traits::model_of(v), it->second.value);
      ++n;
    }
    ASSERT_EQ(n, model_.size()) << "op " << op;
    for (const Key& k : keys_) ASSERT_TRUE(map_.contains(k));
  }

  struct Entry {
    uint64_t value;
    size_t index;
  };
  Traits traits_;
  std::mt19937_64 rng_;
  Map map_;
  std::unordered_map<Key, Entry> model_;
  std::vector<Key> keys_;
  uint64_t next_id_ = 0;
};

class MapModel : public MapTest {};

template <class Traits>
void expect_coverage(const Model<Traits>& m) {
  EXPECT_TRUE(m.saw_double);
  EXPECT_TRUE(m.saw_same);
  EXPECT_TRUE(m.saw_shrink);
  EXPECT_GT(m.collections, 0u);
  std::printf("  max size %zu, %zu forced collections\n", m.max_size, m.collections);
}

TEST_F(MapModel, Uint64Keys) {
  ThreadScope attach;
  Model<U64Traits> m(U64Traits{}, 1);
  m.run(3'000'000 / kScale);
  expect_coverage(m);
}

TEST_F(MapModel, StringKeys) {
  ThreadScope attach;
  Model<StringTraits> m(StringTraits{}, 2);
  m.run(1'500'000 / kScale);
  expect_coverage(m);
}

TEST_F(MapModel, SmallStringKeys) {
  ThreadScope attach;
  Model<SmallStringTraits> m(SmallStringTraits{}, 4);
  m.run(1'500'000 / kScale);
  expect_coverage(m);
}

TEST_F(MapModel, PtrValues) {
  ThreadScope attach;
  const size_t ops = 1'500'000 / kScale;
  Registry& reg = registry(ops + 1);
  uint64_t ids = 0;
  {
    Model<PtrTraits> m(PtrTraits{&reg}, 3);
    m.run(ops);
    expect_coverage(m);
    ids = m.ids_used();
  }
  // The map is gone: every node dies exactly once.
  gcmap::testing::collect_precise();
  size_t alive = 0, twice = 0;
  for (size_t i = 0; i < ids; ++i) {
    alive += reg.count(i) == 0;
    twice += reg.count(i) > 1;
  }
  EXPECT_EQ(twice, 0u);
  // A few may be held by stale stack words.
  EXPECT_LE(alive, 64u);
}

}  // namespace
}  // namespace gcmap::map_test
