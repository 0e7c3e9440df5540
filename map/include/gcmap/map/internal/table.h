// The shape of a table, private to map/: where an entry is (Slot), which key
// type a lookup takes (KeyArg), and when a table grows, shrinks or is too
// big (Go's load-factor rules, the size limit).
#pragma once

#include <cstddef>
#include <cstdint>

#include "gcmap/map/internal/bucket.h"

namespace gcmap {

namespace map::detail {

// Where an entry is: bucket b (of the chain that starts at head), slot i.
template <class B>
struct Slot {
  B* b = nullptr;
  B* head = nullptr;
  unsigned i = 0;
  bool in_old = false;  // b belongs to the old array
  explicit operator bool() const { return b != nullptr; }
};

// Heterogeneous lookup (absl's key_arg): with a transparent Hash and Eq,
// lookups take any Q; otherwise Q is not deducible and is K.
template <bool kTransparent>
struct KeyArg {
  template <class Q, class K>
  using type = K;
};
template <>
struct KeyArg<true> {
  template <class Q, class K>
  using type = Q;
};

// Go's overLoadFactor: more than 8 entries and an average over 6.5 per bucket.
constexpr bool over_load_factor(size_t count, unsigned log2) {
  return count > kBucketCnt && count > 13 * ((size_t{1} << log2) / 2);
}
// Go's tooManyOverflowBuckets: about as many overflow buckets as buckets.
// Go compares an approximate counter with 2^min(B,15): above B = 15 it
// counts one overflow bucket in 2^(B-15), so the threshold is 2^B actual
// overflow buckets at every size. Our count is exact.
constexpr bool too_many_overflow(size_t noverflow, unsigned log2) {
  return noverflow >= (size_t{1} << log2);
}
// Shrink below a quarter of the growth load: under 1.625 per bucket.
constexpr bool under_shrink_load(size_t count, unsigned log2) {
  return count * 8 < (size_t{13} << log2);
}
// The entries a table of 2^log2 buckets holds before it grows.
constexpr size_t capacity_for(unsigned log2) {
  return log2 == 0 ? kBucketCnt : 13 * (size_t{1} << (log2 - 1));
}
// The smallest table that holds n entries without growing. Callers check
// n <= max_size() first (the bound only keeps the shifts defined).
constexpr uint8_t log2_for(size_t n) {
  uint8_t b = 0;
  while (b < 48 && over_load_factor(n, b)) ++b;
  return b;
}
// Tests only: a lower limit on B than the heap's largest object gives, so
// that a test reaches HashMap::max_size() with a small map. Set it before
// building the maps it applies to.
inline unsigned g_max_log2_for_testing = 64;

template <class Map>
struct TestPeer;  // tests only

}  // namespace map::detail

}  // namespace gcmap
