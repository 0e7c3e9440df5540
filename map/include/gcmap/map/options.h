// Small public types of gcmap::HashMap: the fixed-capacity option and the
// statistics record, and the out-of-line failures (map.cc).
#pragma once

#include <cstddef>
#include <cstdint>

#include "gcmap/alloc/tcache.h"
#include "gcmap/base/assert.h"

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

namespace map_detail {
[[noreturn]] void fatal_concurrent_writes();
[[noreturn]] void fatal_concurrent_read_write();
[[noreturn]] void fatal_concurrent_iteration_write();
[[noreturn]] void throw_capacity_exceeded(size_t capacity);
[[noreturn]] void throw_over_max_size(size_t entries, size_t max_size);
[[noreturn]] void throw_key_not_found();

// Fatal unless the thread is attached after all (a runtime worker whose
// attach is still pending) or in a fork() child, where nothing is collected.
void unattached_read(const char* op);
// Reads (lookups, iteration) hand out pointers into the heap, which only an
// attached thread's stack keeps alive: from an unattached thread the value
// could be freed and its slot reused while the caller still uses it. So a
// read from such a thread is fatal, in every build. One thread-local load
// (the allocator's, initial-exec).
GCMAP_ALWAYS_INLINE void require_attached(const char* op) {
  if (GCMAP_UNLIKELY(!alloc::t_tcache.attached)) unattached_read(op);
}
// From a catch handler: "gcmap: <what> threw <type> ("<what()>") ...", fatal.
[[noreturn]] void fatal_callback_threw(const char* what);
}  // namespace map_detail

}  // namespace gcmap
