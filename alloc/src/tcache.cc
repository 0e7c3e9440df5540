// The thread cache's slow path: the next word of the cached span, then a refill.
#include "gcmap/alloc/tcache.h"

namespace gcmap::alloc {

constinit thread_local TCache t_tcache __attribute__((tls_model("initial-exec"))) =
    detail::make_empty_tcache();

void* alloc_small_slow(TCache& tc, uint32_t sc, Span** span_out, uint32_t* index_out) {
  Span* s = tc.spans[sc];
  if (s == &g_empty_span || !s->advance_to_free()) s = Heap::get().refill(tc, sc);
  uintptr_t p = s->alloc_fast(index_out);
  GCMAP_ASSERT(p != 0, "refilled span of class %u has no free slot", sc);
  *span_out = s;
  return reinterpret_cast<void*>(p);
}

}  // namespace gcmap::alloc
