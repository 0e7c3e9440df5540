// The thread-local allocation cache and the inline fast path.
//
// Each thread has one span per span class. Allocation takes the next free
// slot of that span's cached bitmap word: a thread-local load, a count
// trailing zeros and a few plain stores; no lock, no atomic read-modify-write.
// When the word is exhausted, alloc_small() moves to the next word of the same
// span, and only when the span is full does it go to the central list
// (Heap::refill), which may sweep a span or map a new one.
//
// An unattached thread's cache holds g_empty_span in every class and
// `attached` is false, so its first allocation reaches the slow path, where
// the layer above rejects it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "gcmap/alloc/heap.h"
#include "gcmap/alloc/sizeclass.h"
#include "gcmap/alloc/span.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace gcmap::alloc {

struct TCache {
  Span* spans[kNumSpanClasses];
  bool attached;
  // Bytes of free slots handed to this cache by refills, cumulative: the
  // layer above charges mark assists by the span, as Go does.
  uint64_t bytes_cached;
};

namespace detail {
constexpr TCache make_empty_tcache() {
  TCache t{};
  for (auto& s : t.spans) s = &g_empty_span;
  t.attached = false;
  t.bytes_cached = 0;
  return t;
}
}  // namespace detail

extern constinit thread_local TCache t_tcache __attribute__((tls_model("initial-exec")));

// Unpoison (in ASan builds) and zero the slot's first `bytes` bytes.
GCMAP_ALWAYS_INLINE void prepare_slot(void* p, size_t bytes) {
#if defined(__SANITIZE_ADDRESS__)
  ASAN_UNPOISON_MEMORY_REGION(p, bytes);
#endif
  std::memset(p, 0, bytes);
}

// Fast path: a slot of span class sc from this thread's cache (its span and
// slot index in the out parameters), or null when the cache needs the slow
// path. The slot is not zeroed.
GCMAP_ALWAYS_INLINE void* try_alloc_fast(uint32_t sc, Span** span_out, uint32_t* index_out) {
  Span* s = t_tcache.spans[sc];
  uintptr_t p = s->alloc_fast(index_out);
  *span_out = s;
  return reinterpret_cast<void*>(p);
}

// Slow path of small allocation: the next word of the cached span, then a
// refill from the heap. Never returns null (fails loudly instead).
void* alloc_small_slow(TCache& tc, uint32_t sc, Span** span_out, uint32_t* index_out);

}  // namespace gcmap::alloc
