// The size-class table keeps Go's promises: bounded waste, bounded span
// tails, exact slot arithmetic.
#include "gcmap/alloc/sizeclass.h"

#include <gtest/gtest.h>

namespace gcmap::alloc {
namespace {

TEST(SizeClass, ClassesAreSortedAlignedAndCoverEverySmallSize) {
  for (size_t i = 2; i < kNumSizeClasses; ++i) {
    EXPECT_LT(kSizeClasses[i - 1].size, kSizeClasses[i].size);
  }
  for (size_t i = 1; i < kNumSizeClasses; ++i) {
    EXPECT_EQ(kSizeClasses[i].size % kObjectAlign, 0u) << i;
  }
  EXPECT_EQ(kSizeClasses[kNumSizeClasses - 1].size, kMaxSmallSize);
  EXPECT_EQ(size_to_class(kMaxSmallSize + 1), 0u);
  EXPECT_EQ(size_to_class(1u << 20), 0u);
}

TEST(SizeClass, SizeToClassPicksTheSmallestFittingClass) {
  for (size_t n = 0; n <= kMaxSmallSize; ++n) {
    uint32_t c = size_to_class(n);
    ASSERT_GE(c, 1u) << n;
    ASSERT_GE(kSizeClasses[c].size, n) << n;
    if (c > 1) {
      ASSERT_LT(kSizeClasses[c - 1].size, n) << n;
    }
  }
}

TEST(SizeClass, InternalFragmentationIsBounded) {
  for (size_t n = 1; n <= kMaxSmallSize; ++n) {
    uint32_t size = kSizeClasses[size_to_class(n)].size;
    if (n > 128) {
      // At most 1/8 of the slot is waste.
      ASSERT_LE((size - n) * 8, size) << n;
    } else {
      ASSERT_LT(size - n, kObjectAlign) << n;
    }
  }
}

TEST(SizeClass, SpanTailsAreBoundedAndSpansHoldTheirSlots) {
  for (size_t i = 1; i < kNumSizeClasses; ++i) {
    const SizeClassInfo& c = kSizeClasses[i];
    size_t bytes = size_t{c.npages} * kPageSize;
    EXPECT_GE(c.npages, kMinSpanPages) << i;
    EXPECT_EQ(c.nelems, bytes / c.size) << i;
    EXPECT_GE(c.nelems, 1u) << i;
    EXPECT_LE((bytes % c.size) * 8, bytes) << "class " << i << " tail too large";
  }
}

TEST(SizeClass, DivMagicIsExactForEveryOffsetInASpan) {
  for (size_t i = 1; i < kNumSizeClasses; ++i) {
    const SizeClassInfo& c = kSizeClasses[i];
    size_t bytes = size_t{c.npages} * kPageSize;
    for (uint64_t off = 0; off < bytes; ++off) {
      uint64_t q = (off * c.div_magic) >> 32;
      ASSERT_EQ(q, off / c.size) << "class " << i << " offset " << off;
    }
  }
}

TEST(SizeClass, SpanClassEncodesNoscan) {
  for (uint32_t c = 0; c < kNumSizeClasses; ++c) {
    for (bool noscan : {false, true}) {
      uint32_t sc = make_span_class(c, noscan);
      EXPECT_LT(sc, kNumSpanClasses);
      EXPECT_EQ(span_class_size(sc), c);
      EXPECT_EQ(span_class_noscan(sc), noscan);
    }
  }
}

}  // namespace
}  // namespace gcmap::alloc
