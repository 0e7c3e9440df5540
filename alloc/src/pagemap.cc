// The page map's writer side: mapping level-2 nodes and publishing spans.
#include "gcmap/alloc/pagemap.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "gcmap/base/assert.h"

namespace gcmap::alloc {

constinit PageMap g_pagemap;

PageMap::Node* PageMap::node_for(uintptr_t page) {
  std::atomic<Node*>& slot = l1_[page >> kL2Bits];
  Node* n = slot.load(std::memory_order_acquire);
  if (n != nullptr) return n;
  void* mem =
      mmap(nullptr, sizeof(Node), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  GCMAP_CHECK(mem != MAP_FAILED, "cannot map %zu bytes for the page map: %s", sizeof(Node),
              strerror(errno));
  Node* fresh = static_cast<Node*>(mem);  // zero pages: every entry null
  if (slot.compare_exchange_strong(n, fresh, std::memory_order_acq_rel)) {
    nodes_.fetch_add(1, std::memory_order_relaxed);
    return fresh;
  }
  munmap(mem, sizeof(Node));  // another thread won the race
  return n;
}

void PageMap::set(uintptr_t base, size_t npages, Span* s) {
  GCMAP_CHECK((base >> kAddressBits) == 0 && ((base + npages * kPageSize - 1) >> kAddressBits) == 0,
              "address %#lx is outside the %u-bit range the page map covers",
              static_cast<unsigned long>(base), kAddressBits);
  GCMAP_ASSERT(base % kPageSize == 0, "span base %#lx is not page aligned",
               static_cast<unsigned long>(base));
  if (s != nullptr) {
    // Widen [lo, hi) to cover this span before publishing it; it only grows.
    uintptr_t end = base + npages * kPageSize;
    uintptr_t lo = lo_.load(std::memory_order_relaxed);
    while (base < lo && !lo_.compare_exchange_weak(lo, base, std::memory_order_relaxed)) {
    }
    uintptr_t hi = hi_.load(std::memory_order_relaxed);
    while (end > hi && !hi_.compare_exchange_weak(hi, end, std::memory_order_relaxed)) {
    }
  }
  uintptr_t first = base >> kPageShift;
  for (uintptr_t page = first; page < first + npages; ++page) {
    node_for(page)->spans[page & (kL2Size - 1)].store(s, std::memory_order_release);
  }
}

}  // namespace gcmap::alloc
