// The heap: the jemalloc arena, span creation and release, central lists,
// large objects, sweeping and accounting. See heap.h for the sweep protocol.
#include "gcmap/alloc/heap.h"

#include <jemalloc/jemalloc.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string_view>
#include <thread>

#include "gcmap/alloc/pagemap.h"
#include "gcmap/alloc/sizeclass.h"
#include "gcmap/alloc/tcache.h"
#include "gcmap/base/assert.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#endif

namespace gcmap::alloc {

namespace {

// A LIFO of spans linked through Span::next, guarded by its owner's lock.
struct SpanSet {
  Span* head = nullptr;
  size_t n = 0;
  void push(Span* s) {
    s->next = head;
    head = s;
    ++n;
  }
  Span* pop() {
    Span* s = head;
    if (s != nullptr) {
      head = s->next;
      s->next = nullptr;
      --n;
    }
    return s;
  }
};

// The spans of one span class that no thread cache holds (Go's mcentral).
// Sets are indexed by sweep parity: [(sweepgen / 2) & 1] holds the swept ones.
struct Central {
  std::mutex mu;
  SpanSet partial[2];              // with at least one free slot
  SpanSet full[2];                 // with none (as of their last sweep or uncache)
  std::atomic<size_t> unswept{0};  // spans in the unswept sets, for sweep_one's quick skip
};

}  // namespace

struct Heap::Impl {
  unsigned arena = 0;
  std::once_flag arena_once;
  Central central[kNumSpanClasses];
  Central large;  // large-object spans: uses partial[] only
  std::atomic<uint32_t> sweep_cursor{0};
  std::atomic<int> active_sweeps{0};
  std::atomic<uint64_t> metadata_bytes{0};
};

namespace {

// Large objects up to this size are zeroed with memset (see alloc_large).
constexpr size_t kZeroByMemsetMax = size_t{1} << 20;

inline unsigned swept_index(uint32_t sweepgen) {
  return (sweepgen / 2) & 1;
}
inline unsigned unswept_index(uint32_t sweepgen) {
  return swept_index(sweepgen) ^ 1;
}

size_t metadata_size(uint32_t nelems) {
  size_t words = (nelems + 63) / 64;
  return sizeof(Span) + 2 * words * sizeof(uint64_t) + nelems * sizeof(uint16_t);
}

}  // namespace

Heap& Heap::get() {
  static Heap* heap = new Heap();  // never destroyed: objects may outlive static destructors
  return *heap;
}

// Never destroyed (Heap::get), so it needs no destructor.
// cppcheck-suppress noDestructor
Heap::Heap() : impl_(new Impl) {}

void Heap::configure(const HeapOptions& o) {
  options_ = o;
  unsigned a = arena_index();
  auto set_decay = [a](const char* what, long ms) {
    if (ms < 0) return;
    char name[64];
    snprintf(name, sizeof name, "arena.%u.%s", a, what);
    ssize_t v = ms;
    int err = mallctl(name, nullptr, nullptr, &v, sizeof v);
    GCMAP_CHECK(err == 0, "jemalloc mallctl(\"%s\", %ld) failed: %s", name, ms, strerror(err));
  };
  set_decay("dirty_decay_ms", o.dirty_decay_ms);
  set_decay("muzzy_decay_ms", o.muzzy_decay_ms);
  if (o.background_purge && !malloc_conf_sets_background_thread(getenv("MALLOC_CONF"))) {
    // One thread is enough for one arena's purging and takes the least from
    // the mutators; a jemalloc built without background threads says
    // ENOENT or EFAULT, and then purging stays inline, as before.
    size_t one = 1;
    bool on = true;
    (void)mallctl("max_background_threads", nullptr, nullptr, &one, sizeof one);
    (void)mallctl("background_thread", nullptr, nullptr, &on, sizeof on);
  }
}

bool malloc_conf_sets_background_thread(const char* conf) {
  if (conf == nullptr) return false;
  // Options are "key:value" separated by commas; match a whole key.
  std::string_view rest(conf);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view opt = rest.substr(0, comma);
    if (opt.substr(0, opt.find(':')) == "background_thread") return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

void Heap::set_free_hook(FreeHook hook, void* ctx) {
  free_hook_ = hook;
  free_hook_ctx_ = ctx;
}

unsigned Heap::arena_index() {
  std::call_once(impl_->arena_once, [this] {
    unsigned a = 0;
    size_t sz = sizeof a;
    int err = mallctl("arenas.create", &a, &sz, nullptr, 0);
    GCMAP_CHECK(err == 0,
                "jemalloc could not create the heap's arena (mallctl(\"arenas.create\") = %s); "
                "is the process linked with jemalloc?",
                strerror(err));
    impl_->arena = a;
  });
  return impl_->arena;
}

namespace {

// Span memory and metadata: a fresh span of `npages`, not yet published.
Span* new_span_memory(unsigned arena, uint32_t npages, uint32_t nelems, bool zero,
                      std::atomic<uint64_t>& metadata_bytes) {
  size_t bytes = size_t{npages} * kPageSize;
  int flags = MALLOCX_ALIGN(kPageSize) | MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE;
  if (zero) flags |= MALLOCX_ZERO;
  void* mem = mallocx(bytes, flags);
  GCMAP_CHECK(mem != nullptr, "out of memory: jemalloc could not provide a span of %zu bytes",
              bytes);
  size_t meta = metadata_size(nelems);
  void* m = std::aligned_alloc(alignof(Span), (meta + alignof(Span) - 1) & ~(alignof(Span) - 1));
  GCMAP_CHECK(m != nullptr, "out of memory: no %zu bytes for span metadata", meta);
  std::memset(m, 0, meta);
  metadata_bytes.fetch_add(meta, std::memory_order_relaxed);
  Span* s = new (m) Span();
  size_t words = (nelems + 63) / 64;
  auto* bits = reinterpret_cast<uint64_t*>(static_cast<char*>(m) + sizeof(Span));
  s->alloc_bits = bits;
  s->mark_bits = bits + words;
  s->types = reinterpret_cast<uint16_t*>(bits + 2 * words);
  s->base = reinterpret_cast<uintptr_t>(mem);
  s->limit = s->base + bytes;
#if defined(__SANITIZE_ADDRESS__)
  // LeakSanitizer does not know our spans (they come from jemalloc, not from
  // ASan's malloc): scan them for pointers to malloc'd blocks that only GC
  // objects hold (a map's string keys), or it reports those as leaks.
  __lsan_register_root_region(mem, bytes);
#endif
  s->npages = npages;
  s->nelems = nelems;
  return s;
}

void free_span_memory(Span* s, HeapCounters& c, std::atomic<uint64_t>& metadata_bytes) {
  size_t bytes = size_t{s->npages} * kPageSize;
  g_pagemap.set(s->base, s->npages, nullptr);
  s->state.store(SpanState::kFree, std::memory_order_release);
#if defined(__SANITIZE_ADDRESS__)
  // Freed slots were poisoned; the memory goes back to jemalloc, whose next
  // user must find it addressable.
  ASAN_UNPOISON_MEMORY_REGION(reinterpret_cast<void*>(s->base), bytes);
  __lsan_unregister_root_region(reinterpret_cast<void*>(s->base), bytes);
#endif
  dallocx(reinterpret_cast<void*>(s->base), MALLOCX_TCACHE_NONE);
  c.span_bytes.fetch_sub(bytes, std::memory_order_relaxed);
  c.spans.fetch_sub(1, std::memory_order_relaxed);
  c.released_bytes.fetch_add(bytes, std::memory_order_relaxed);
  metadata_bytes.fetch_sub(metadata_size(s->nelems), std::memory_order_relaxed);
  s->~Span();
  std::free(s);
}

}  // namespace

// Hand span s (swept, with a free slot) to tc.
static void cache_span(Span* s, HeapCounters& c) {
  s->state.store(SpanState::kCached, std::memory_order_relaxed);
  uint64_t free_bytes = uint64_t{s->nelems - s->alloc_count} * s->elemsize;
  c.heap_live.fetch_add(free_bytes, std::memory_order_relaxed);
  c.cached_bytes.fetch_add(free_bytes, std::memory_order_relaxed);
  bool ok = s->advance_to_free();
  GCMAP_ASSERT(ok, "cached span %p has no free slot", static_cast<void*>(s));
  (void)ok;
}

Span* Heap::refill(TCache& tc, uint32_t sc) {
  GCMAP_ASSERT(sc >= 2 && sc < kNumSpanClasses, "bad span class %u", sc);
  Span* old = tc.spans[sc];
  if (old != &g_empty_span) {
    tc.spans[sc] = &g_empty_span;
    // Give it back; it is full (or nearly: the caller found no free slot).
    Central& c = impl_->central[sc];
    counters_.heap_live.fetch_sub(uint64_t{old->nelems - old->alloc_count} * old->elemsize,
                                  std::memory_order_relaxed);
    old->state.store(SpanState::kCentral, std::memory_order_relaxed);
    std::lock_guard<std::mutex> g(c.mu);
    unsigned si = swept_index(sweepgen_.load(std::memory_order_relaxed));
    (old->alloc_count < old->nelems ? c.partial[si] : c.full[si]).push(old);
  }

  Central& c = impl_->central[sc];
  Span* s = nullptr;
  {
    std::unique_lock<std::mutex> g(c.mu);
    uint32_t sg = sweepgen_.load(std::memory_order_relaxed);
    s = c.partial[swept_index(sg)].pop();
    // Sweep a bounded number of unswept spans of this class looking for room
    // before mapping a new span (Go's mcentral.cacheSpan).
    for (int budget = 100; s == nullptr && budget > 0; --budget) {
      Span* u = c.partial[unswept_index(sg)].pop();
      if (u == nullptr) u = c.full[unswept_index(sg)].pop();
      if (u == nullptr) break;
      c.unswept.fetch_sub(1, std::memory_order_relaxed);
      impl_->active_sweeps.fetch_add(1, std::memory_order_acq_rel);
      g.unlock();
      SweepResult r = sweep_span(u, free_hook_, free_hook_ctx_, options_.poison_freed);
      u->sweepgen.store(sg, std::memory_order_relaxed);
      counters_.swept_spans.fetch_add(1, std::memory_order_relaxed);
      counters_.freed_objects.fetch_add(r.freed, std::memory_order_relaxed);
      counters_.freed_bytes.fetch_add(uint64_t{r.freed} * u->elemsize, std::memory_order_relaxed);
      unswept_.fetch_sub(1, std::memory_order_acq_rel);
      impl_->active_sweeps.fetch_sub(1, std::memory_order_acq_rel);
      g.lock();
      if (u->alloc_count < u->nelems) {
        s = u;
      } else {
        c.full[swept_index(sg)].push(u);
      }
    }
  }
  if (s == nullptr) {
    const SizeClassInfo& info = kSizeClasses[span_class_size(sc)];
    s = new_span_memory(arena_index(), info.npages, info.nelems, /*zero=*/false,
                        impl_->metadata_bytes);
    s->spanclass = sc;
    s->elemsize = info.size;
    s->div_magic = info.div_magic;
    s->sweepgen.store(sweepgen_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    s->state.store(SpanState::kCentral, std::memory_order_relaxed);
    counters_.span_bytes.fetch_add(size_t{info.npages} * kPageSize, std::memory_order_relaxed);
    counters_.spans.fetch_add(1, std::memory_order_relaxed);
    g_pagemap.set(s->base, s->npages, s);
  }
  tc.bytes_cached += uint64_t{s->nelems - s->alloc_count} * s->elemsize;
  cache_span(s, counters_);
  tc.spans[sc] = s;
  return s;
}

void Heap::flush_cache(TCache& tc) {
  uint32_t sg = sweepgen_.load(std::memory_order_relaxed);
  for (uint32_t sc = 0; sc < kNumSpanClasses; ++sc) {
    Span* s = tc.spans[sc];
    if (s == &g_empty_span) continue;
    tc.spans[sc] = &g_empty_span;
    counters_.heap_live.fetch_sub(uint64_t{s->nelems - s->alloc_count} * s->elemsize,
                                  std::memory_order_relaxed);
    s->alloc_cache = 0;  // the next owner reloads it from freeindex
    s->state.store(SpanState::kCentral, std::memory_order_relaxed);
    Central& c = impl_->central[sc];
    std::lock_guard<std::mutex> g(c.mu);
    (s->alloc_count < s->nelems ? c.partial[swept_index(sg)] : c.full[swept_index(sg)]).push(s);
  }
}

void* Heap::alloc_large(size_t size, bool noscan, Span** span_out) {
  // The layer above refuses larger requests (gcmap::ObjectTooLarge).
  GCMAP_CHECK(size <= kMaxObjectSize, "allocation of %zu bytes is over kMaxObjectSize (%zu)", size,
              kMaxObjectSize);
  size_t rounded = (size + kObjectAlign - 1) & ~(kObjectAlign - 1);
  uint32_t npages = static_cast<uint32_t>((rounded + kPageSize - 1) / kPageSize);
  // Zeroing: jemalloc serves MALLOCX_ZERO on a recycled extent by purging
  // it, so every page faults again on first touch; a memset of memory that
  // is still mapped is cheaper up to a point. Past it, fresh pages from the
  // OS are zero for free and touching them all would only grow the RSS.
  const bool let_jemalloc_zero = rounded > kZeroByMemsetMax;
  Span* s = new_span_memory(arena_index(), npages, 1, let_jemalloc_zero, impl_->metadata_bytes);
  if (!let_jemalloc_zero) std::memset(reinterpret_cast<void*>(s->base), 0, rounded);
  s->spanclass = make_span_class(0, noscan);
  s->elemsize = static_cast<uint32_t>(rounded);  // <= kMaxObjectSize, checked above
  s->div_magic = 0;
  s->alloc_bits[0] = 1;
  s->alloc_count = 1;
  s->state.store(SpanState::kLarge, std::memory_order_relaxed);
  uint32_t sg = sweepgen_.load(std::memory_order_relaxed);
  s->sweepgen.store(sg, std::memory_order_relaxed);
  counters_.span_bytes.fetch_add(size_t{npages} * kPageSize, std::memory_order_relaxed);
  counters_.spans.fetch_add(1, std::memory_order_relaxed);
  counters_.heap_live.fetch_add(rounded, std::memory_order_relaxed);
  counters_.large_alloc_bytes.fetch_add(rounded, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> g(impl_->large.mu);
    // Re-read under the lock: a flip between the read above and here would
    // otherwise put a swept span into the unswept set.
    impl_->large.partial[swept_index(sweepgen_.load(std::memory_order_relaxed))].push(s);
  }
  g_pagemap.set(s->base, npages, s);
  *span_out = s;
  return reinterpret_cast<void*>(s->base);
}

void Heap::start_sweep_cycle() {
  GCMAP_ASSERT(unswept_.load() == 0, "start_sweep_cycle with %lu spans still unswept",
               static_cast<unsigned long>(unswept_.load()));
  uint32_t sg = sweepgen_.load(std::memory_order_relaxed) + 2;
  uint64_t total = 0;
  auto count_unswept = [&](Central& c) {
    std::lock_guard<std::mutex> g(c.mu);
    // After the flip the sets that were swept become the unswept ones.
    unsigned u = unswept_index(sg);
    size_t n = c.partial[u].n + c.full[u].n;
    c.unswept.store(n, std::memory_order_relaxed);
    total += n;
  };
  for (auto& c : impl_->central) count_unswept(c);
  count_unswept(impl_->large);
  unswept_.store(total, std::memory_order_release);
  sweepgen_.store(sg, std::memory_order_release);
}

bool Heap::sweep_one() {
  if (unswept_.load(std::memory_order_acquire) == 0) return false;
  uint32_t sg = sweepgen_.load(std::memory_order_acquire);
  const uint32_t n = kNumSpanClasses + 1;
  for (uint32_t tries = 0; tries < n; ++tries) {
    uint32_t idx = impl_->sweep_cursor.fetch_add(1, std::memory_order_relaxed) % n;
    bool large = idx == kNumSpanClasses;
    Central& c = large ? impl_->large : impl_->central[idx];
    if (c.unswept.load(std::memory_order_relaxed) == 0) continue;
    Span* s = nullptr;
    {
      std::lock_guard<std::mutex> g(c.mu);
      unsigned u = unswept_index(sg);
      s = c.partial[u].pop();
      if (s == nullptr) s = c.full[u].pop();
      if (s == nullptr) continue;
      c.unswept.fetch_sub(1, std::memory_order_relaxed);
      impl_->active_sweeps.fetch_add(1, std::memory_order_acq_rel);
    }
    SweepResult r = sweep_span(s, free_hook_, free_hook_ctx_, options_.poison_freed && !large);
    counters_.swept_spans.fetch_add(1, std::memory_order_relaxed);
    counters_.freed_objects.fetch_add(r.freed, std::memory_order_relaxed);
    counters_.freed_bytes.fetch_add(uint64_t{r.freed} * s->elemsize, std::memory_order_relaxed);
    if (r.live == 0) {
      free_span_memory(s, counters_, impl_->metadata_bytes);
    } else {
      s->sweepgen.store(sg, std::memory_order_relaxed);
      std::lock_guard<std::mutex> g(c.mu);
      unsigned si = swept_index(sg);
      (large || s->alloc_count < s->nelems ? c.partial[si] : c.full[si]).push(s);
    }
    unswept_.fetch_sub(1, std::memory_order_acq_rel);
    impl_->active_sweeps.fetch_sub(1, std::memory_order_acq_rel);
    return true;
  }
  return false;
}

void Heap::finish_sweep() {
  while (sweep_one()) {
  }
  // Spans other threads popped are being swept now; wait for them.
  while (unswept_.load(std::memory_order_acquire) != 0 ||
         impl_->active_sweeps.load(std::memory_order_acquire) != 0) {
    if (!sweep_one()) std::this_thread::yield();
  }
}

void Heap::set_heap_marked(uint64_t bytes) {
  counters_.heap_marked.store(bytes, std::memory_order_relaxed);
  counters_.heap_live.store(bytes, std::memory_order_relaxed);
}

HeapStats Heap::stats() const {
  HeapStats s{};
  auto ld = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  s.heap_live = ld(counters_.heap_live);
  s.heap_marked = ld(counters_.heap_marked);
  s.span_bytes = ld(counters_.span_bytes);
  s.spans = ld(counters_.spans);
  s.released_bytes = ld(counters_.released_bytes);
  s.swept_spans = ld(counters_.swept_spans);
  s.freed_objects = ld(counters_.freed_objects);
  s.freed_bytes = ld(counters_.freed_bytes);
  s.unswept_spans = unswept_.load(std::memory_order_relaxed);
  s.metadata_bytes = impl_->metadata_bytes.load(std::memory_order_relaxed) + g_pagemap.node_bytes();
  return s;
}

void Heap::purge() {
  char name[64];
  snprintf(name, sizeof name, "arena.%u.purge", arena_index());
  mallctl(name, nullptr, nullptr, nullptr, 0);
}

void Heap::for_each_span_impl(void (*f)(Span*, void*), void* ctx) {
  auto walk = [&](Central& c) {
    std::lock_guard<std::mutex> g(c.mu);
    for (SpanSet* set : {&c.partial[0], &c.partial[1], &c.full[0], &c.full[1]}) {
      for (Span* s = set->head; s != nullptr; s = s->next) f(s, ctx);
    }
  };
  for (auto& c : impl_->central) walk(c);
  walk(impl_->large);
}

}  // namespace gcmap::alloc
