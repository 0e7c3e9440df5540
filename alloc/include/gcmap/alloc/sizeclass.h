// Size classes: which slot size a request of n bytes gets, and how many pages
// a span of each class has. Computed at compile time; tests check the bounds.
//
// Classes are multiples of 16 (every object is 16-byte aligned) up to 128
// bytes, then eight classes per power of two up to 32 KiB, so that above
// 128 bytes a request wastes at most 1/8 (12.5%) of its slot, as Go's table
// promises. Below 128 bytes the waste is under 16 bytes (the alignment).
// Requests over kMaxSmallSize get a span of their own (class 0, "large").
//
// A span is a whole number of kPageSize pages, at least kMinSpanPages: jemalloc
// serves an 8 KiB request aligned to 8 KiB from a 16 KiB extent, so a one-page
// span would waste half of its memory. The page count per class is the
// smallest that keeps the tail (span bytes modulo slot size) at most 1/8 of
// the span, as Go's mksizeclasses.go does.
//
// Each class also carries div_magic = ceil(2^32 / size): for any offset inside
// a span, (offset * div_magic) >> 32 == offset / size, which turns "which slot
// holds this interior pointer" into a multiply and a shift.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace gcmap::alloc {

inline constexpr size_t kPageShift = 13;
inline constexpr size_t kPageSize = size_t{1} << kPageShift;  // 8 KiB
inline constexpr size_t kMinSpanPages = 2;
inline constexpr size_t kObjectAlign = 16;
inline constexpr size_t kMaxSmallSize = 32768;
// The largest object the heap allocates: 4 GiB - 16 bytes (a span records
// its object's size in 32 bits). gc's make<T> refuses larger requests with
// gcmap::ObjectTooLarge before allocating anything.
inline constexpr size_t kMaxObjectSize = size_t{UINT32_MAX} & ~(kObjectAlign - 1);

struct SizeClassInfo {
  uint32_t size;       // slot size in bytes (0 for the large class)
  uint32_t npages;     // pages per span
  uint32_t nelems;     // slots per span
  uint32_t div_magic;  // ceil(2^32 / size)
};

namespace detail {

inline constexpr size_t kNumClassesComputed = 1 + 8 + 8 * 8;  // large + 16..128 + 8 per doubling

constexpr std::array<SizeClassInfo, kNumClassesComputed> make_size_classes() {
  std::array<SizeClassInfo, kNumClassesComputed> t{};
  size_t n = 1;  // class 0 is the large class
  for (uint32_t s = 16; s <= 128; s += 16) t[n++].size = s;
  for (uint32_t p = 128; p < kMaxSmallSize; p *= 2) {
    for (uint32_t k = 1; k <= 8; ++k) t[n++].size = p + k * (p / 8);
  }
  for (size_t i = 1; i < n; ++i) {
    uint32_t size = t[i].size;
    uint32_t pages = kMinSpanPages;
    for (;; ++pages) {
      size_t bytes = size_t{pages} * kPageSize;
      if (bytes < size) continue;
      size_t tail = bytes % size;
      if (tail * 8 <= bytes) break;
    }
    t[i].npages = pages;
    t[i].nelems = static_cast<uint32_t>(pages * kPageSize / size);
    t[i].div_magic = static_cast<uint32_t>(((uint64_t{1} << 32) + size - 1) / size);
  }
  return t;
}

}  // namespace detail

inline constexpr auto kSizeClasses = detail::make_size_classes();
inline constexpr size_t kNumSizeClasses = kSizeClasses.size();  // including class 0 (large)

// A span class is a size class plus one bit: "noscan" spans hold objects that
// contain no GC pointers, so the collector marks them without reading them
// (Go's spanClass; golang/go#9477 is why it matters for map buckets).
inline constexpr size_t kNumSpanClasses = kNumSizeClasses * 2;
constexpr uint32_t make_span_class(uint32_t sizeclass, bool noscan) {
  return sizeclass * 2 + (noscan ? 1 : 0);
}
constexpr uint32_t span_class_size(uint32_t spanclass) {
  return spanclass >> 1;
}
constexpr bool span_class_noscan(uint32_t spanclass) {
  return spanclass & 1;
}

namespace detail {
// size_to_class lookup in 16-byte steps up to 1024, then 128-byte steps.
constexpr uint32_t class_by_search(size_t size) {
  for (uint32_t i = 1; i < kNumSizeClasses; ++i) {
    if (kSizeClasses[i].size >= size) return i;
  }
  return 0;
}
inline constexpr size_t kSmallLookupMax = 1024;
constexpr std::array<uint8_t, kSmallLookupMax / 16 + 1> make_small_lookup() {
  std::array<uint8_t, kSmallLookupMax / 16 + 1> t{};
  for (size_t i = 0; i < t.size(); ++i) t[i] = static_cast<uint8_t>(class_by_search(i * 16));
  return t;
}
constexpr std::array<uint8_t, (kMaxSmallSize - kSmallLookupMax) / 128 + 1> make_large_lookup() {
  std::array<uint8_t, (kMaxSmallSize - kSmallLookupMax) / 128 + 1> t{};
  for (size_t i = 0; i < t.size(); ++i) {
    t[i] = static_cast<uint8_t>(class_by_search(kSmallLookupMax + i * 128));
  }
  return t;
}
inline constexpr auto kSmallLookup = make_small_lookup();
inline constexpr auto kLargeLookup = make_large_lookup();
}  // namespace detail

// The size class for a request of `size` bytes; 0 when it needs a large span.
// Every class boundary above 1024 is a multiple of 128, so the coarse table is exact.
constexpr uint32_t size_to_class(size_t size) {
  if (size <= detail::kSmallLookupMax) return detail::kSmallLookup[(size + 15) / 16];
  if (size <= kMaxSmallSize) {
    return detail::kLargeLookup[(size - detail::kSmallLookupMax + 127) / 128];
  }
  return 0;
}

}  // namespace gcmap::alloc
