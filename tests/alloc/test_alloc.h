// Allocation straight from the alloc module, for its own tests (the
// collector's make<T> is the real client).
#pragma once

#include <cstring>
#include <initializer_list>

#include "gcmap/alloc/heap.h"
#include "gcmap/alloc/pagemap.h"
#include "gcmap/alloc/sizeclass.h"
#include "gcmap/alloc/tcache.h"

namespace gcmap::alloc::testing {

inline void* test_alloc(size_t size, Span** span = nullptr, bool finalize = true) {
  Span* s = nullptr;
  void* p;
  uint32_t cls = size_to_class(size);
  if (cls == 0) {
    p = Heap::get().alloc_large(size, false, &s);
  } else {
    uint32_t sc = make_span_class(cls, false);
    uint32_t idx;
    p = try_alloc_fast(sc, &s, &idx);
    if (p == nullptr) p = alloc_small_slow(t_tcache, sc, &s, &idx);
    prepare_slot(p, kSizeClasses[cls].size);
  }
  if (finalize) s->needs_finalize = true;
  if (span) *span = s;
  return p;
}

inline void mark(void* p) {
  ObjectRef r;
  if (find_object(reinterpret_cast<uintptr_t>(p), &r)) r.span->try_mark(r.index);
}

// One collection cycle as the collector will run it, with `live` deciding
// which objects are marked: flush this thread's cache, mark, flip, sweep all.
template <class Objects, class Live>
void sweep_cycle(const Objects& objects, Live&& live) {
  Heap& h = Heap::get();
  h.flush_cache(t_tcache);
  h.finish_sweep();
  for (void* p : objects) {
    if (live(p)) mark(p);
  }
  h.start_sweep_cycle();
  h.finish_sweep();
}

// A cycle in which nothing survives: every span is swept and given back.
inline void clean_heap() {
  sweep_cycle(std::initializer_list<void*>{}, [](void*) { return false; });
}

}  // namespace gcmap::alloc::testing
