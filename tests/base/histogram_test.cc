// base::Histogram: bounded relative error, exact small values and maximum.
#include "gcmap/base/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace gcmap::base {
namespace {

TEST(Histogram, BucketsPartitionTheValues) {
  for (size_t i = 0; i + 1 < LocalHistogram::kBuckets; ++i) {
    ASSERT_EQ(LocalHistogram::bucket_low(i) + LocalHistogram::bucket_width(i),
              LocalHistogram::bucket_low(i + 1))
        << i;
    ASSERT_EQ(LocalHistogram::bucket_of(LocalHistogram::bucket_low(i)), i);
  }
  EXPECT_EQ(LocalHistogram::bucket_of(~uint64_t{0}), LocalHistogram::kBuckets - 1);
}

TEST(Histogram, SmallValuesAreExact) {
  LocalHistogram h;
  for (uint64_t v = 1; v <= 50; ++v) h.record(v);
  EXPECT_EQ(h.count(), 50u);
  EXPECT_EQ(h.percentile(0.5), 26u);
  EXPECT_EQ(h.max(), 50u);
  EXPECT_EQ(h.sum(), 50u * 51u / 2u);
}

TEST(Histogram, PercentilesWithinRelativeErrorOfSortedSamples) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(10.0, 2.0);
  std::vector<uint64_t> v;
  Histogram h;
  for (int i = 0; i < 100000; ++i) {
    uint64_t x = static_cast<uint64_t>(dist(rng)) + 1;
    v.push_back(x);
    h.record(x);
  }
  std::sort(v.begin(), v.end());
  for (double p : {0.01, 0.1, 0.5, 0.9, 0.99, 0.999}) {
    double exact = static_cast<double>(v[static_cast<size_t>(p * v.size())]);
    double got = static_cast<double>(h.percentile(p));
    EXPECT_LE(std::abs(got - exact) / exact, 1.0 / 64) << "p=" << p;
  }
  EXPECT_EQ(h.percentile(1.0), v.back());
  EXPECT_EQ(h.max(), v.back());
}

TEST(Histogram, MergeAddsCountsAndKeepsTheMax) {
  LocalHistogram a, b;
  a.record(10);
  b.record(1000000);
  b.record(20);
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.max(), 1000000u);
  EXPECT_EQ(a.percentile(0.0), 10u);
  a.reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.percentile(0.5), 0u);
}

}  // namespace
}  // namespace gcmap::base
