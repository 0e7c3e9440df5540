// The page map: for any address, in O(1), the span that owns its page, or
// null. Conservative stack scanning asks this for every word of every stack,
// so the common "not in the heap" answer must be cheap: a range check against
// the lowest and highest heap addresses ever mapped, then two dependent loads
// in a two-level radix tree over 8 KiB pages of the 47-bit user address space.
//
// Level 1 is a static array of 2^17 pointers (each covering 1 GiB); a level-2
// node (2^17 span pointers, 1 MiB) is mapped the first time a span lands in
// its gigabyte and is never freed, so a reader never sees a node go away.
// Entries are published with release stores after the span is fully set up
// and cleared before its memory goes back to jemalloc.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "gcmap/alloc/sizeclass.h"
#include "gcmap/alloc/span.h"

namespace gcmap::alloc {

class PageMap {
 public:
  static constexpr unsigned kAddressBits = 47;
  static constexpr unsigned kL2Bits = 17;
  static constexpr unsigned kL1Bits = kAddressBits - kPageShift - kL2Bits;
  static constexpr size_t kL1Size = size_t{1} << kL1Bits;
  static constexpr size_t kL2Size = size_t{1} << kL2Bits;

  struct Node {
    std::atomic<Span*> spans[kL2Size];
  };

  Span* lookup(uintptr_t addr) const {
    if (addr < lo_.load(std::memory_order_relaxed) || addr >= hi_.load(std::memory_order_relaxed)) {
      return nullptr;
    }
    uintptr_t page = addr >> kPageShift;
    Node* n = l1_[(page >> kL2Bits) & (kL1Size - 1)].load(std::memory_order_acquire);
    if (n == nullptr) return nullptr;
    return n->spans[page & (kL2Size - 1)].load(std::memory_order_acquire);
  }

  // Point every page of [base, base + npages * kPageSize) at s (or at null).
  void set(uintptr_t base, size_t npages, Span* s);

  // Bytes of level-2 nodes mapped (metadata overhead).
  size_t node_bytes() const { return nodes_.load(std::memory_order_relaxed) * sizeof(Node); }

 private:
  Node* node_for(uintptr_t page);

  std::atomic<uintptr_t> lo_{~uintptr_t{0}};
  std::atomic<uintptr_t> hi_{0};
  std::atomic<size_t> nodes_{0};
  std::atomic<Node*> l1_[kL1Size] = {};
};

extern PageMap g_pagemap;

// An allocated object found from an address inside it.
struct ObjectRef {
  Span* span;
  uintptr_t start;
  uint32_t index;
};

// Conservative lookup: the allocated object containing address p, if any.
// Safe for any word (stack contents, garbage): false for addresses outside
// the heap, in free slots, or in a span's tail past its last slot.
inline bool find_object(uintptr_t p, ObjectRef* out) {
  Span* s = g_pagemap.lookup(p);
  if (s == nullptr) return false;
  SpanState st = s->state.load(std::memory_order_relaxed);
  if (st == SpanState::kFree) return false;
  uint32_t i = s->slot_of(p);
  if (i >= s->nelems) return false;
  uintptr_t start = s->slot_address(i);
  if (s->is_large() && p >= start + s->elemsize) return false;
  if (!s->is_allocated(i)) return false;
  *out = ObjectRef{s, start, i};
  return true;
}

// Whether p points into a span of the GC heap (allocated or not).
inline bool in_heap(const void* p) {
  return g_pagemap.lookup(reinterpret_cast<uintptr_t>(p)) != nullptr;
}

}  // namespace gcmap::alloc
