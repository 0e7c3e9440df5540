// A span: a run of pages from jemalloc holding objects of one size class (or
// one large object), with its allocation and mark bitmaps.
//
// Invariants (Go's mspan, simplified):
//  * A slot is allocated iff its alloc bit is set or its index is below
//    freeindex. Allocation walks free slots upwards from freeindex, so the
//    slots it hands out are exactly the free ones below freeindex.
//  * alloc_cache holds the inverted alloc bits of the word containing
//    freeindex, shifted so that bit 0 is slot freeindex; bits for slots past
//    the word's end or past nelems are zero. When it is zero the owner must
//    refill it from the next word (refill_alloc_cache).
//  * Mark bits are set atomically by any marking thread; sweeping is the only
//    place they are cleared. Sweep turns the mark bits into the alloc bits
//    (an object survives iff it was marked) and clears the mark bits, so the
//    span is ready for the next cycle in one pass over words.
//  * types[i] is the collector's type index of the object in slot i; it is
//    meaningful only while the slot is allocated.
//  * The allocation state (freeindex, alloc_cache, alloc_count) is owned by the
//    one thread caching the span, or by its central list's lock.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

#include "gcmap/alloc/sizeclass.h"
#include "gcmap/base/assert.h"

namespace gcmap::alloc {

// Freed slots are filled with this byte when the heap poisons them.
inline constexpr unsigned char kPoisonByte = 0xcb;

enum class SpanState : uint8_t {
  kFree,     // metadata not in use
  kCentral,  // in one of its central list's sets (or being swept by whoever popped it)
  kCached,   // owned by a thread cache
  kLarge,    // a large object's span, in the large-object sets
};

struct alignas(64) Span {
  // First cache line: what marking reads for every pointer and object (and
  // nothing allocation writes, so concurrent markers and the allocating
  // thread do not share a written line).
  uintptr_t base = 0;
  uint32_t elemsize = 0;   // slot size; for a large span, the object's size
  uint32_t div_magic = 0;  // ceil(2^32 / elemsize), 0 for a large span
  uint32_t nelems = 0;     // slots; 1 for a large span
  uint32_t spanclass = 0;
  uint64_t* mark_bits = nullptr;
  uint16_t* types = nullptr;
  uint64_t* alloc_bits = nullptr;
  uintptr_t limit = 0;  // base + npages * kPageSize
  uint32_t npages = 0;
  std::atomic<SpanState> state{SpanState::kFree};

  // Second cache line: the allocation state (see the invariants above).
  alignas(64) uint32_t freeindex = 0;
  uint32_t alloc_count = 0;  // allocated slots, counting allocations through the cache
  uint64_t alloc_cache = 0;
  // Set by the layer above when it allocates an object that needs its hook
  // run when it dies (a destructor); lets sweep skip the per-object walk.
  bool needs_finalize = false;
  std::atomic<uint32_t> sweepgen{0};  // == heap sweepgen: swept for this cycle
  Span* next = nullptr;               // link in a central set

  uint32_t bitmap_words() const { return (nelems + 63) / 64; }
  bool noscan() const { return spanclass & 1; }
  bool is_large() const { return (spanclass >> 1) == 0; }
  uintptr_t slot_address(uint32_t i) const { return base + uintptr_t{i} * elemsize; }

  // The slot holding address p (which must lie inside the span's pages).
  uint32_t slot_of(uintptr_t p) const {
    if (div_magic == 0) return 0;  // large span
    return static_cast<uint32_t>(((p - base) * uint64_t{div_magic}) >> 32);
  }

  bool is_allocated(uint32_t i) const {
    return i < freeindex || ((alloc_bits[i / 64] >> (i % 64)) & 1);
  }

  bool is_marked(uint32_t i) const {
    return (std::atomic_ref<uint64_t>(mark_bits[i / 64]).load(std::memory_order_relaxed) >>
            (i % 64)) &
           1;
  }
  // Sets the mark bit of slot i; true if this call set it (the object was white).
  bool try_mark(uint32_t i) {
    std::atomic_ref<uint64_t> w(mark_bits[i / 64]);
    uint64_t bit = uint64_t{1} << (i % 64);
    if (w.load(std::memory_order_relaxed) & bit) return false;
    return !(w.fetch_or(bit, std::memory_order_relaxed) & bit);
  }

  // Allocation from the cache word only (the inline fast path): the slot's
  // address and *index, or 0 when the word is exhausted and
  // advance_to_free() must load the next one.
  uintptr_t alloc_fast(uint32_t* index) {
    uint64_t c = alloc_cache;
    if (c == 0) return 0;
    unsigned b = static_cast<unsigned>(std::countr_zero(c));
    uint32_t i = freeindex + b;
    freeindex = i + 1;
    alloc_cache = (c >> b) >> 1;
    ++alloc_count;
    *index = i;
    return slot_address(i);
  }

  // Load alloc_cache for the word containing freeindex.
  void refill_alloc_cache();

  // Move freeindex to the next free slot, word by word, loading alloc_cache;
  // false (and freeindex == nelems) if the span is full.
  bool advance_to_free();
};

// What sweeping one span found.
struct SweepResult {
  uint32_t freed = 0;  // objects freed
  uint32_t live = 0;   // objects that survived
};

// Sweep span s (owned by the caller, not cached): free every allocated but
// unmarked slot, calling hook(obj, type, ctx) first for each if the span
// needs_finalize; then alloc bits := mark bits, mark bits := 0,
// freeindex := 0. With poison, freed slots are filled with kPoisonByte and,
// in ASan builds, poisoned.
using FreeHookFn = void (*)(void* obj, uint16_t type, void* ctx);
SweepResult sweep_span(Span* s, FreeHookFn hook, void* ctx, bool poison);

// A span with no free slot, so that a thread cache never holds a null span:
// the fast path finds alloc_cache == 0 and takes the slow path.
extern Span g_empty_span;

}  // namespace gcmap::alloc
