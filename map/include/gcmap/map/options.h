// Small public types of gcmap::HashMap: the fixed-capacity option and the
// statistics record. (The failures it raises are internal/failures.h.)
#pragma once

#include <cstddef>
#include <cstdint>

namespace gcmap {

// HashMap(FixedCapacity{n}): a map sized for n entries up front that never
// grows, shrinks or rehashes; inserting a new key into a full map throws
// std::length_error. For services that must never pay for a grow on the
// request path.
struct FixedCapacity {
  size_t entries;
};

// What HashMap::stats() reports: the state one watches under a delete storm.
struct HashMapStats {
  unsigned B = 0;                   // log2 of the bucket count
  size_t count = 0;                 // entries
  size_t buckets = 0;               // 2^B (0 before the first insert)
  size_t overflow_buckets = 0;      // overflow buckets chained in the current array
  size_t tombstones = 0;            // emptyOne slots (erased, not yet reclaimed by emptyRest)
  bool growing = false;             // an evacuation is in progress (any kind)
  bool shrinking = false;           //   ... into a table half the size
  bool same_size_grow = false;      //   ... into a table of the same size (overflow compaction)
  size_t nevacuate = 0;             // old buckets below this index are evacuated
  size_t old_buckets = 0;           // buckets of the old array (0 when not growing)
  size_t old_overflow_buckets = 0;  // overflow buckets of the old array
  double load_factor = 0;           // count / buckets (growth above 6.5)
  size_t bytes = 0;                 // bytes of bucket arrays and overflow blocks held
  size_t fixed_capacity = 0;        // 0: the map grows and shrinks
  unsigned min_B = 0;               // the map does not shrink below this (reserve)
};

}  // namespace gcmap
