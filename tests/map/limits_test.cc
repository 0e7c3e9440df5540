// The size limits of gcmap::HashMap (issue 13, items 10 and 11): max_size(),
// and std::length_error instead of a hang (a shift by 64 and a wrapping
// uint8_t exponent in reserve(n), HashMap(n) and FixedCapacity{n} near
// SIZE_MAX) or an abort (a next bucket array over the heap's largest
// object, 4 GiB, by growth or reserve). A refused insert or reserve leaves
// the map as it was.
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "map_test_util.h"

namespace gcmap::map_test {
namespace {

using U64Map = HashMap<uint64_t, uint64_t>;

class MapLimits : public MapTest {};

// Lowers the largest B of maps built while it lives (a real limit needs
// 109M entries).
class MaxLog2ForTesting {
 public:
  explicit MaxLog2ForTesting(unsigned log2) : saved_(map::detail::g_max_log2_for_testing) {
    map::detail::g_max_log2_for_testing = log2;
  }
  ~MaxLog2ForTesting() { map::detail::g_max_log2_for_testing = saved_; }

 private:
  unsigned saved_;
};

TEST_F(MapLimits, ReserveNearSizeMaxThrowsLengthErrorInsteadOfLoopingForever) {
  ThreadScope attach;
  U64Map m;
  for (size_t n : {SIZE_MAX, SIZE_MAX / 2, SIZE_MAX / 13, size_t{1} << 63, m.max_size() + 1}) {
    EXPECT_THROW(m.reserve(n), std::length_error) << n;
  }
  try {
    m.reserve(SIZE_MAX);
  } catch (const std::length_error& e) {
    EXPECT_NE(std::string(e.what()).find("max_size() = " + std::to_string(m.max_size())),
              std::string::npos)
        << e.what();
  }
  // Nothing happened to the map.
  EXPECT_EQ(m.bucket_count(), 0u);
  EXPECT_EQ(m.stats().min_B, 0u);
  m.try_emplace(1, 10);
  EXPECT_EQ(m.at(1), 10u);
}

TEST_F(MapLimits, ConstructingWithAHugeCountThrowsLengthErrorInsteadOfLoopingForever) {
  ThreadScope attach;
  EXPECT_THROW(U64Map{SIZE_MAX}, std::length_error);
  EXPECT_THROW(U64Map{SIZE_MAX / 2 + 1}, std::length_error);
  EXPECT_THROW((HashMap<std::string, Ptr<Node>>{SIZE_MAX - 1}), std::length_error);
}

TEST_F(MapLimits, FixedCapacityNearSizeMaxThrowsLengthErrorInsteadOfLoopingForever) {
  ThreadScope attach;
  EXPECT_THROW(U64Map(FixedCapacity{SIZE_MAX}), std::length_error);
  EXPECT_THROW(U64Map(FixedCapacity{size_t{1} << 62}), std::length_error);
  EXPECT_THROW(U64Map(FixedCapacity{U64Map().max_size() + 1}), std::length_error);
}

// max_size() is the load limit (6.5 per bucket) of the largest bucket array
// under alloc::kMaxObjectSize: the figures of map/README.md, "Limits".
TEST_F(MapLimits, MaxSizeIsTheLoadOfTheLargestBucketArrayTheHeapAllocates) {
  ThreadScope attach;
  // 2^B buckets and 2^(B-4) spares must fit in 4 GiB - 16 bytes.
  static_assert(sizeof(map::detail::Bucket<uint64_t, uint64_t>) == 144);
  static_assert(sizeof(map::detail::Bucket<std::string, Ptr<Node>>) == 336);
  static_assert(sizeof(map::detail::Bucket<SmallString, Ptr<Node>>) == 336);
  static_assert(sizeof(map::detail::Bucket<uint32_t, uint8_t>) == 56);
  EXPECT_EQ(U64Map().max_size(), size_t{13} << 23);  // B = 24: 109,051,904
  EXPECT_EQ((HashMap<std::string, Ptr<Node>>().max_size()), size_t{13} << 22);  // B = 23
  EXPECT_EQ((HashMap<SmallString, Ptr<Node>>().max_size()), size_t{13} << 22);
  EXPECT_EQ((HashMap<uint32_t, uint8_t>().max_size()), size_t{13} << 25);  // B = 26
}

TEST_F(MapLimits, ReserveForABucketArrayOver4GiBThrowsLengthErrorInsteadOfAborting) {
  ThreadScope attach;
  // 120M u64 -> u64 entries need 2^25 buckets: a 5.1 GB array.
  U64Map m;
  for (uint64_t i = 0; i < 1000; ++i) m.try_emplace(i, i * 3);
  EXPECT_THROW(m.reserve(120'000'000), std::length_error);
  EXPECT_THROW(U64Map(120'000'000), std::length_error);
  HashMap<SmallString, Ptr<Node>> s;
  EXPECT_THROW(s.reserve(60'000'000), std::length_error);
  ASSERT_EQ(m.size(), 1000u);
  for (uint64_t i = 0; i < 1000; ++i) ASSERT_EQ(m.at(i), i * 3);
}

// Growth at the limit, with the largest B lowered to 3 (8 buckets, 52
// entries): the insert that would need 16 buckets throws, and the map keeps
// every entry and stays usable.
TEST_F(MapLimits, InsertPastMaxSizeThrowsLengthErrorAndKeepsEveryEntry) {
  ThreadScope attach;
  MaxLog2ForTesting limit(3);
  Registry& reg = registry(100);
  HashMap<std::string, Ptr<Node>> m;
  const size_t max = m.max_size();
  ASSERT_EQ(max, 52u);
  for (size_t i = 0; i < max; ++i) m.try_emplace(std::to_string(i), make<Node>(&reg, i));
  ASSERT_EQ(m.size(), max);
  EXPECT_THROW(m.try_emplace("new", make<Node>(&reg, 99)), std::length_error);
  EXPECT_THROW(m.insert_or_assign("new", make<Node>(&reg, 98)), std::length_error);
  EXPECT_THROW(m["new"], std::length_error);
  EXPECT_THROW(m.emplace("new", nullptr), std::length_error);
  try {
    m.try_emplace("new", nullptr);
  } catch (const std::length_error& e) {
    EXPECT_NE(std::string(e.what()).find("max_size() = 52"), std::string::npos) << e.what();
  }
  EXPECT_EQ(m.stats().B, 3u);
  EXPECT_FALSE(m.contains("new"));
  // Every entry is there, and survives a collection.
  gcmap::testing::collect_precise();
  ASSERT_EQ(m.size(), max);
  for (size_t i = 0; i < max; ++i) {
    Ptr<Node>* v = m.get(std::to_string(i));
    ASSERT_NE(v, nullptr) << i;
    ASSERT_EQ((*v)->id, i);
    ASSERT_EQ((*v)->magic, kAliveMagic);
    ASSERT_EQ(reg.count(i), 0) << i;
  }
  size_t seen = 0;
  for (auto&& [k, v] : m) seen += v->id == std::stoul(k);
  EXPECT_EQ(seen, max);
  // Still usable: assign to a present key, erase one, insert another.
  m.insert_or_assign("0", make<Node>(&reg, 60));
  EXPECT_EQ(m.at("0")->id, 60u);
  EXPECT_EQ(m.erase("1"), 1u);
  EXPECT_TRUE(m.try_emplace("new", make<Node>(&reg, 61)).second);
  EXPECT_EQ(m.size(), max);
  EXPECT_THROW(m.try_emplace("newer", nullptr), std::length_error);
}

TEST_F(MapLimits, ReserveAndFixedCapacityOverMaxSizeThrowAndKeepTheMap) {
  ThreadScope attach;
  MaxLog2ForTesting limit(3);
  U64Map m;
  for (uint64_t i = 0; i < 20; ++i) m.try_emplace(i, i);
  const size_t b = m.stats().B;
  EXPECT_THROW(m.reserve(53), std::length_error);
  EXPECT_EQ(m.stats().B, b);
  EXPECT_EQ(m.stats().min_B, 0u);
  ASSERT_EQ(m.size(), 20u);
  for (uint64_t i = 0; i < 20; ++i) ASSERT_EQ(m.at(i), i);
  m.reserve(52);
  EXPECT_EQ(m.stats().B, 3u);
  for (uint64_t i = 20; i < 52; ++i) m.try_emplace(i, i);
  EXPECT_THROW(m.try_emplace(52, 52), std::length_error);
  EXPECT_THROW(U64Map(FixedCapacity{53}), std::length_error);
  U64Map f(FixedCapacity{52});
  for (uint64_t i = 0; i < 52; ++i) f.try_emplace(i, i);
  EXPECT_THROW(f.try_emplace(52, 52), std::length_error);
  EXPECT_EQ(f.size(), 52u);
}

}  // namespace
}  // namespace gcmap::map_test
