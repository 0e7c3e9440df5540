// The memory layout of gcmap::HashMap: buckets, bucket arrays and overflow
// blocks, all of them objects in the GC heap, and how the collector traces
// and the sweeper destroys them. See map/README.md for the whole picture.
//
// A bucket is Go's bmap: 8 tophash bytes, then 8 keys and 8 values, then
// the pointer to the next overflow bucket of its chain. Go packs the keys,
// then the values (no padding for a uint64_t -> uint8_t map); we do that
// when pairs would need padding and store key/value pairs otherwise (see
// kInterleaved). Keys and values are always stored inline (Go moves those
// over 128 bytes out of line; we do not: a bucket of big values is big).
//
// A BucketArray holds 2^B buckets and, for B >= 4, 2^(B-4) spare buckets
// that the first overflows use (Go's preallocated overflow buckets). Further
// overflow buckets come from OverflowBlocks, chained from the array's
// header. Bucket-to-bucket overflow links are plain pointers: liveness comes
// from the array's chain of blocks, never from the links, so the collector
// never follows a chain.
//
// Tracing. When neither K nor V can hold a GC pointer the arrays and blocks
// are "noscan" in effect: their trace visits one pointer (the head of the
// block chain) and never reads a bucket, whatever the size of the array
// (Go's golang/go#9477). Otherwise trace visits the keys and values of the
// occupied slots (and the keys that an evacuation kept for an iterator), and
// trace_range lets the collector scan a big array in 128 KiB oblets.
// The marker may run on another thread while the owning mutator writes
// (concurrent marking): it reads every tophash byte with an atomic acquire
// load, and the mutator publishes a slot with a release store, so a slot is
// visited only once its key and value exist (see construct_slot in
// hashmap_impl.h), and a destroyed K or V that may hold GC pointers is
// zeroed with atomic stores (a marker that read the slot just before the
// erase reads null rather than a stale pointer).
//
// Destruction. When K or V has a non-trivial destructor, an array or block
// has one too, run by the sweeper once the object is unreachable: it
// destroys the keys and values still in its slots. It never follows a
// pointer to another GC object (cppgc's rule for destructors).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>

#include "gcmap/alloc/sizeclass.h"
#include "gcmap/base/assert.h"
#include "gcmap/gc/object.h"
#include "gcmap/gc/ptr.h"
#include "gcmap/gc/visitor.h"

namespace gcmap::map::detail {

static_assert(std::endian::native == std::endian::little,
              "the tophash byte tricks assume a little-endian machine");

inline constexpr unsigned kBucketCnt = 8;

// tophash values. A slot whose tophash is >= kMinTopHash holds a key and a
// value; the smaller values are states:
enum : uint8_t {
  kEmptyRest = 0,       // empty, and so is every later slot of the chain
  kEmptyOne = 1,        // empty
  kEvacuatedX = 2,      // moved to the X (same index) half; the key is kept here
  kEvacuatedY = 3,      // moved to the Y (index + old count) half; the key is kept here
  kEvacuatedEmpty = 4,  // empty, or moved with nothing kept; the bucket is evacuated
  kMinTopHash = 5,      // the smallest tophash of an occupied slot
};

GCMAP_ALWAYS_INLINE bool is_empty(uint8_t top) {
  return top <= kEmptyOne;
}

// The top byte of the hash, moved out of the reserved range.
GCMAP_ALWAYS_INLINE uint8_t tophash_of(uint64_t hash) {
  uint8_t top = static_cast<uint8_t>(hash >> 56);
  return top < kMinTopHash ? static_cast<uint8_t>(top + kMinTopHash) : top;
}

// The 8 tophash bytes of a bucket read as one little-endian word.
inline constexpr uint64_t kLsb = 0x0101010101010101ULL;
inline constexpr uint64_t kMsb = 0x8080808080808080ULL;

// The high bit of every byte equal to `top` (plus, rarely, a byte just
// above a match: callers compare keys anyway).
GCMAP_ALWAYS_INLINE uint64_t match_top(uint64_t word, uint8_t top) {
  uint64_t x = word ^ (kLsb * top);
  return (x - kLsb) & ~x & kMsb;
}

// The high bit of every empty byte (0 or 1), exactly: clearing the low bit
// leaves only even bytes, and a borrow can then only come out of a zero.
GCMAP_ALWAYS_INLINE uint64_t match_empty(uint64_t word) {
  uint64_t x = word & ~kLsb;
  return (x - kLsb) & ~x & kMsb;
}

GCMAP_ALWAYS_INLINE unsigned first_slot(uint64_t mask) {
  return static_cast<unsigned>(std::countr_zero(mask)) >> 3;
}

// Zero n bytes that a concurrent marker may be reading (a destroyed K or V
// that may hold GC pointers), with relaxed atomic stores.
inline void atomic_zero(void* p, size_t n) {
  if (n % 8 == 0 && reinterpret_cast<uintptr_t>(p) % 8 == 0) {
    auto* w = static_cast<uint64_t*>(p);
    for (size_t i = 0; i < n / 8; ++i) __atomic_store_n(&w[i], uint64_t{0}, __ATOMIC_RELAXED);
  } else {
    auto* c = static_cast<unsigned char*>(p);
    for (size_t i = 0; i < n; ++i)
      __atomic_store_n(&c[i], static_cast<unsigned char>(0), __ATOMIC_RELAXED);
  }
}

// How a bucket lays out its keys and values. Go packs 8 keys, then 8
// values, so that a map[int64]int8 wastes no padding. When a key and a
// value sit side by side without padding (both sizes are multiples of the
// other's alignment: uint64_t -> uint64_t, std::string -> Ptr<T>, ...), we
// store them as pairs instead, so that a lookup that hits reads the key and
// its value from one cache line rather than two.
template <class K, class V>
inline constexpr bool kInterleaved = sizeof(K) % alignof(V) == 0 && sizeof(V) % alignof(K) == 0;

template <class K, class V, bool = kInterleaved<K, V>>
struct SlotData;

template <class K, class V>
struct SlotData<K, V, true> {
  static constexpr size_t kStride = sizeof(K) + sizeof(V);
  alignas(alignof(K) > alignof(V) ? alignof(K)
                                  : alignof(V)) unsigned char bytes[kBucketCnt * kStride];
  void* key_storage(unsigned i) { return bytes + i * kStride; }
  void* value_storage(unsigned i) { return bytes + i * kStride + sizeof(K); }
  const void* key_storage(unsigned i) const { return bytes + i * kStride; }
  const void* value_storage(unsigned i) const { return bytes + i * kStride + sizeof(K); }
};

template <class K, class V>
struct SlotData<K, V, false> {
  alignas(K) unsigned char key_bytes[kBucketCnt * sizeof(K)];
  alignas(V) unsigned char value_bytes[kBucketCnt * sizeof(V)];
  void* key_storage(unsigned i) { return key_bytes + i * sizeof(K); }
  void* value_storage(unsigned i) { return value_bytes + i * sizeof(V); }
  const void* key_storage(unsigned i) const { return key_bytes + i * sizeof(K); }
  const void* value_storage(unsigned i) const { return value_bytes + i * sizeof(V); }
};

template <class K, class V>
struct Bucket {
  static constexpr bool kTraceKey = may_hold_gc_pointers<K>;
  static constexpr bool kTraceValue = may_hold_gc_pointers<V>;

  uint8_t tophash[kBucketCnt];
  SlotData<K, V> slots;
  Bucket* overflow;

  K* key(unsigned i) { return std::launder(static_cast<K*>(slots.key_storage(i))); }
  const K* key(unsigned i) const {
    return std::launder(static_cast<const K*>(slots.key_storage(i)));
  }
  V* value(unsigned i) { return std::launder(static_cast<V*>(slots.value_storage(i))); }
  const V* value(unsigned i) const {
    return std::launder(static_cast<const V*>(slots.value_storage(i)));
  }
  void* key_storage(unsigned i) { return slots.key_storage(i); }
  void* value_storage(unsigned i) { return slots.value_storage(i); }

  // Only the owning mutator writes tophash bytes, so its own plain reads are
  // race-free; stores are atomic because a marker may read them.
  uint64_t top_word() const {
    uint64_t w;
    std::memcpy(&w, tophash, sizeof w);
    return w;
  }
  uint8_t top(unsigned i) const { return tophash[i]; }
  void set_top(unsigned i, uint8_t t) { __atomic_store_n(&tophash[i], t, __ATOMIC_RELEASE); }
  // What a marker reads.
  uint8_t top_acquire(unsigned i) const { return __atomic_load_n(&tophash[i], __ATOMIC_ACQUIRE); }

  // Destroy a key / value that the map drops: the drop barrier first (while
  // a concurrent mark runs, everything it references is shaded), then the
  // destructor, then zeroes if a marker might read the bytes.
  void drop_key(unsigned i) {
    gc::drop_barrier(*key(i));
    destroy_key(i);
  }
  void drop_value(unsigned i) {
    gc::drop_barrier(*value(i));
    destroy_value(i);
  }
  // Without the barrier: for a copy that was already shaded (evacuation).
  void destroy_key(unsigned i) {
    std::destroy_at(key(i));
    if constexpr (kTraceKey) atomic_zero(key_storage(i), sizeof(K));
  }
  void destroy_value(unsigned i) {
    std::destroy_at(value(i));
    if constexpr (kTraceValue) atomic_zero(value_storage(i), sizeof(V));
  }

  // The collector's view of one bucket.
  void trace(Visitor& v) const {
    for (unsigned i = 0; i < kBucketCnt; ++i) {
      uint8_t t = top_acquire(i);
      if (t >= kMinTopHash) {
        v.visit_if_traceable(*key(i));
        v.visit_if_traceable(*value(i));
      } else if (t == kEvacuatedX || t == kEvacuatedY) {
        v.visit_if_traceable(*key(i));
      }
    }
  }

  // The sweeper's: the object is dead, so no barrier and no zeroing.
  void destroy_all() {
    for (unsigned i = 0; i < kBucketCnt; ++i) {
      uint8_t t = tophash[i];
      if (t >= kMinTopHash) {
        std::destroy_at(key(i));
        std::destroy_at(value(i));
      } else if (t == kEvacuatedX || t == kEvacuatedY) {
        std::destroy_at(key(i));
      }
    }
  }
};

// Ask for the cache lines of a bucket past its first (where the tophash
// bytes are) while the first is being loaded: a lookup that hits then waits
// for one miss instead of two in a row (tophash, then the slot). Buckets of
// up to four lines; a bigger one gets its second line only.
template <class B>
GCMAP_ALWAYS_INLINE void prefetch_bucket(const B* b) {
  const char* p = reinterpret_cast<const char*>(b);
  __builtin_prefetch(p + 64);
  if constexpr (sizeof(B) > 128 && sizeof(B) <= 256) __builtin_prefetch(p + 128);
  if constexpr (sizeof(B) > 192 && sizeof(B) <= 256) __builtin_prefetch(p + 192);
}

// Whether a bucket (the first of an old chain) has been evacuated.
template <class B>
GCMAP_ALWAYS_INLINE bool evacuated(const B* b) {
  uint8_t t = b->top(0);
  return t > kEmptyOne && t < kMinTopHash;
}

template <class K, class V>
inline constexpr bool kBucketsNeedDestroy =
    !std::is_trivially_destructible_v<K> || !std::is_trivially_destructible_v<V>;

constexpr size_t round_up(size_t n, size_t a) {
  return (n + a - 1) / a * a;
}

// Scan the buckets of [first, first + n) whose first byte lies in
// [begin, end) (byte offsets from `base`, which is at offset 0).
template <class B>
void trace_buckets_in(const B* first, size_t n, size_t data_offset, Visitor& v, size_t begin,
                      size_t end) {
  size_t lo = begin <= data_offset ? 0 : (begin - data_offset + sizeof(B) - 1) / sizeof(B);
  size_t hi = end <= data_offset ? 0 : (end - data_offset + sizeof(B) - 1) / sizeof(B);
  if (hi > n) hi = n;
  for (size_t i = lo; i < hi; ++i) first[i].trace(v);
}

// A block of overflow buckets, chained from its bucket array.
template <class K, class V, bool kScan>
class OverflowBlock final : public GarbageCollected<OverflowBlock<K, V, kScan>> {
 public:
  using B = Bucket<K, V>;

  // The largest block: 32 KiB of buckets (at least one), so a block is
  // always a small object and is scanned in one step.
  static size_t max_buckets() {
    size_t n = 32768 / sizeof(B);
    return n == 0 ? 1 : n;
  }

  static OverflowBlock* make(uint32_t cap, OverflowBlock* next) {
    size_t extra = data_offset() - sizeof(OverflowBlock) + size_t{cap} * sizeof(B);
    return gcmap::make<OverflowBlock>(AdditionalBytes{extra}, cap, next);
  }

  OverflowBlock(uint32_t cap, OverflowBlock* next) : next_(next), cap_(cap) {}
  ~OverflowBlock() requires(kBucketsNeedDestroy<K, V>) {
    for (uint32_t i = 0; i < cap_; ++i) bucket(i)->destroy_all();
  }
  ~OverflowBlock() = default;

  void trace(Visitor& v) const {
    v.visit(next_);
    if constexpr (kScan) {
      for (uint32_t i = 0; i < cap_; ++i) bucket(i)->trace(v);
    }
  }

  bool full() const { return used_ == cap_; }
  B* take() { return bucket(used_++); }
  OverflowBlock* next() const { return next_.get(); }
  uint32_t capacity() const { return cap_; }
  size_t bytes() const { return data_offset() + size_t{cap_} * sizeof(B); }

 private:
  static size_t data_offset() { return round_up(sizeof(OverflowBlock), alignof(B)); }
  B* bucket(size_t i) {
    return reinterpret_cast<B*>(reinterpret_cast<char*>(this) + data_offset()) + i;
  }
  const B* bucket(size_t i) const {
    return reinterpret_cast<const B*>(reinterpret_cast<const char*>(this) + data_offset()) + i;
  }

  Ptr<OverflowBlock> next_;
  uint32_t cap_;
  uint32_t used_ = 0;
};

// 2^B buckets, then the spare overflow buckets, then (through blocks_) any
// further overflow buckets. kScan: whether K or V may hold GC pointers.
template <class K, class V, bool kScan>
class BucketArray final : public GarbageCollected<BucketArray<K, V, kScan>> {
 public:
  using B = Bucket<K, V>;
  using Block = OverflowBlock<K, V, kScan>;

  static BucketArray* make(uint8_t log2) {
    GCMAP_ASSERT(log2 <= max_log2(), "bucket array of 2^%u buckets is over the limit", log2);
    size_t extra = bytes_for(log2) - sizeof(BucketArray);
    return gcmap::make<BucketArray>(AdditionalBytes{extra}, log2, spare_for(log2));
  }
  static constexpr size_t spare_for(unsigned log2) {
    return log2 >= 4 ? (size_t{1} << log2) >> 4 : 0;
  }
  // The size of an array of 2^log2 buckets (spare buckets included), for
  // log2 <= max_log2().
  static constexpr size_t bytes_for(unsigned log2) {
    return data_offset() + ((size_t{1} << log2) + spare_for(log2)) * sizeof(B);
  }
  // The largest B whose array is an object the heap allocates
  // (alloc::kMaxObjectSize, 4 GiB - 16): HashMap::max_size() follows.
  static constexpr unsigned max_log2() {
    unsigned b = 0;
    while (b < 48 && bytes_for(b + 1) <= alloc::kMaxObjectSize) ++b;
    return b;
  }

  BucketArray(uint8_t log2, size_t spare)
      : nbuckets_(size_t{1} << log2), nspare_(spare), log2_(log2) {}
  ~BucketArray() requires(kBucketsNeedDestroy<K, V>) {
    for (size_t i = 0; i < nbuckets_ + nspare_; ++i) bucket(i)->destroy_all();
  }
  ~BucketArray() = default;

  B* bucket(size_t i) {
    return reinterpret_cast<B*>(reinterpret_cast<char*>(this) + data_offset()) + i;
  }
  const B* bucket(size_t i) const {
    return reinterpret_cast<const B*>(reinterpret_cast<const char*>(this) + data_offset()) + i;
  }
  size_t nbuckets() const { return nbuckets_; }
  uint8_t log2() const { return log2_; }
  // Overflow buckets handed out so far (Go's noverflow, exact).
  size_t noverflow() const { return noverflow_; }

  // Chain a fresh, empty overflow bucket after b (the last of its chain).
  // May allocate, and so may run a collection.
  B* new_overflow(B* b) {
    GCMAP_ASSERT(b->overflow == nullptr, "new_overflow on a bucket that has one");
    B* ovf;
    if (next_spare_ < nspare_) {
      ovf = bucket(nbuckets_ + next_spare_++);
    } else {
      Block* blk = blocks_.get();
      if (blk == nullptr || blk->full()) {
        size_t cap = nbuckets_ / 16;
        if (cap < 1) cap = 1;
        if (cap > Block::max_buckets()) cap = Block::max_buckets();
        blk = Block::make(static_cast<uint32_t>(cap), blk);
        blocks_ = blk;
        block_bytes_ += blk->bytes();
      }
      ovf = blk->take();
    }
    b->overflow = ovf;
    ++noverflow_;
    return ovf;
  }

  // Bytes of this array and its blocks.
  size_t bytes() const { return data_offset() + (nbuckets_ + nspare_) * sizeof(B) + block_bytes_; }

  // emptyOne slots in this array, kept up to date by the map.
  size_t tombstones() const { return tombstones_; }
  void add_tombstones(ptrdiff_t n) { tombstones_ += static_cast<size_t>(n); }
  void reset_tombstones() { tombstones_ = 0; }

  void trace(Visitor& v) const {
    v.visit(blocks_);
    if constexpr (kScan) {
      for (size_t i = 0; i < nbuckets_ + nspare_; ++i) bucket(i)->trace(v);
    }
  }
  // The collector scans a big array in 128 KiB oblets.
  void trace_range(Visitor& v, size_t begin, size_t end) const requires(kScan) {
    if (begin == 0) v.visit(blocks_);
    trace_buckets_in(bucket(0), nbuckets_ + nspare_, data_offset(), v, begin, end);
  }

 private:
  static constexpr size_t data_offset() { return round_up(sizeof(BucketArray), alignof(B)); }

  Ptr<Block> blocks_;  // newest first
  const size_t nbuckets_;
  const size_t nspare_;
  size_t next_spare_ = 0;
  size_t noverflow_ = 0;
  size_t block_bytes_ = 0;
  size_t tombstones_ = 0;
  const uint8_t log2_;
};

}  // namespace gcmap::map::detail
