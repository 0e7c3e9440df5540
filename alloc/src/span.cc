// Span bitmap operations: walking free slots for allocation, and sweep.
#include "gcmap/alloc/span.h"

#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace gcmap::alloc {

Span g_empty_span;

void Span::refill_alloc_cache() {
  if (freeindex >= nelems) {
    alloc_cache = 0;
    return;
  }
  uint32_t w = freeindex / 64;
  uint64_t free = ~alloc_bits[w];
  uint32_t valid = nelems - w * 64;
  if (valid < 64) free &= (uint64_t{1} << valid) - 1;
  alloc_cache = free >> (freeindex % 64);
}

bool Span::advance_to_free() {
  while (freeindex < nelems) {
    refill_alloc_cache();
    if (alloc_cache != 0) return true;
    freeindex = (freeindex / 64 + 1) * 64;
  }
  freeindex = nelems;
  alloc_cache = 0;
  return false;
}

namespace {

// Bits of word w for slots below freeindex (allocated through a cache since
// the last sweep, whatever their alloc bit says).
uint64_t below_freeindex(uint32_t w, uint32_t freeindex) {
  uint32_t lo = w * 64;
  if (freeindex <= lo) return 0;
  if (freeindex >= lo + 64) return ~uint64_t{0};
  return (uint64_t{1} << (freeindex - lo)) - 1;
}

void poison_slot(void* p, size_t n) {
#if defined(__SANITIZE_ADDRESS__)
  // Allocation unpoisons only the object's bytes (a slot's tail past a
  // smaller object stays poisoned and catches overflows), so open it all.
  ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
  std::memset(p, kPoisonByte, n);
#if defined(__SANITIZE_ADDRESS__)
  ASAN_POISON_MEMORY_REGION(p, n);
#endif
}

}  // namespace

SweepResult sweep_span(Span* s, FreeHookFn hook, void* ctx, bool poison) {
  SweepResult r;
  const uint32_t words = s->bitmap_words();
  const bool finalize = s->needs_finalize && hook != nullptr;
  for (uint32_t w = 0; w < words; ++w) {
    uint64_t allocated = s->alloc_bits[w] | below_freeindex(w, s->freeindex);
    uint64_t marked = s->mark_bits[w];
    uint64_t dead = allocated & ~marked;
    r.live += static_cast<uint32_t>(std::popcount(marked));
    r.freed += static_cast<uint32_t>(std::popcount(dead));
    while (dead != 0) {
      uint32_t i = w * 64 + static_cast<uint32_t>(std::countr_zero(dead));
      dead &= dead - 1;
      void* obj = reinterpret_cast<void*>(s->slot_address(i));
      if (finalize) hook(obj, s->types[i], ctx);
      if (poison) poison_slot(obj, s->elemsize);
    }
  }
  uint64_t* old_alloc = s->alloc_bits;
  s->alloc_bits = s->mark_bits;
  s->mark_bits = old_alloc;
  std::memset(s->mark_bits, 0, words * sizeof(uint64_t));
  s->freeindex = 0;
  s->alloc_cache = 0;
  s->alloc_count = r.live;
  if (r.live == 0) s->needs_finalize = false;
  return r;
}

}  // namespace gcmap::alloc
