// The iterator of gcmap::HashMap: Go's hiter, as a C++ forward iterator.
//
// An iteration walks the logical buckets 0 .. 2^B-1 of the bucket array
// that was current when it started (arr_), each bucket's overflow chain in
// order, slots in index order. Keys never move within an array, so walking
// one array returns each of its keys at most once. Three things can happen
// to the map meanwhile, and each is handled where it is met:
//
//  1. The map grows or shrinks after the iteration started, so arr_ is now
//     the old array (or an orphan). The walk still reads arr_. A slot whose
//     entry was evacuated still holds its key (an evacuation keeps keys when
//     an iterator may be walking the old array: the map's kFlagIterator /
//     kFlagOldIterator, set by begin()), so the iterator looks the key up in
//     the map to return the current entry, or skips it if it was erased.
//
//  2. The iteration started while the map was growing (arr_ is the new
//     array) and reaches a logical bucket whose old bucket(s) are not yet
//     evacuated. It then reads each such old bucket directly (returning only
//     the keys that belong to this logical bucket when the grow doubles), and
//     reads the new bucket only for what did not come from an old bucket it
//     read. Which old buckets it reads is decided when it reaches each one
//     and recorded (direct_), so an evacuation in the middle of the logical
//     bucket cannot make it return a key twice. A doubling or same-size grow
//     feeds new bucket i from old bucket i & oldmask only; a shrink feeds new
//     bucket i from old buckets i and i + 2^B.
//
//  3. The map is cleared (epoch_ changes): the iteration ends.
//
// Hence Go's guarantee: every key present for the whole iteration is
// returned exactly once; a key inserted or erased during the iteration may
// or may not be. See hashmap.h for the C++ contract (what a dereference
// stays valid for).
//
// An iterator holds raw pointers into the GC heap; on an attached thread's
// stack they keep what it walks alive (the stack is scanned conservatively).
// An iterator stored in heap memory keeps nothing alive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <type_traits>
#include <utility>

#include "gcmap/map/internal/bucket.h"
#include "gcmap/map/internal/failures.h"
#include "gcmap/map/options.h"
#include "gcmap/sched/safepoint.h"

namespace gcmap::map::detail {

// Map flags (HashMap::flags_), as Go's hmap.flags.
enum : uint8_t {
  kFlagIterator = 1,     // an iterator may be walking buckets_
  kFlagOldIterator = 2,  // an iterator may be walking oldbuckets_: evacuation keeps keys
  kFlagWriting = 4,      // a write is in progress (Go's hashWriting)
  kFlagSameSize = 8,     // the grow in progress keeps the size
  kFlagShrink = 16,      // the grow in progress halves the size
};

enum class GrowMode : uint8_t { kNone, kDouble, kSameSize, kShrink };

// Where a walk is (Go's hiter fields): see Iterator.
template <class Map>
struct Walk {
  typename Map::Array* arr;  // the array this iteration walks
  typename Map::Array* old;  // the old array feeding arr's current bucket while it grows
  typename Map::Bucket* b;   // the bucket being read (null: pick the next one)
  size_t cur;                // logical bucket of arr
  uint32_t epoch;            // the map's clear() count when the walk began
  uint8_t i;                 // next slot of b to look at
  uint8_t phase;             // what to read next for bucket cur (Phase)
  uint8_t src;               // what b belongs to (Source)
  uint8_t direct;            // bit 0: old half A read directly; bit 1: old half B
  uint8_t old_log2;
  GrowMode mode;
};

enum Phase : uint8_t { kPhaseStart, kPhaseOldA, kPhaseOldB, kPhaseNew, kPhaseNext };
enum Source : uint8_t { kSrcOldA, kSrcOldB, kSrcArr };

template <class Map, bool kConst>
class Iterator {
  using K = typename Map::key_type;
  using V = typename Map::mapped_type;
  using Array = typename Map::Array;
  using B = typename Map::Bucket;
  using ValueRef = std::conditional_t<kConst, const V&, V&>;

 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = std::pair<const K, V>;
  using difference_type = std::ptrdiff_t;
  using reference = std::pair<const K&, ValueRef>;
  // What operator-> returns: it->first, it->second.
  struct pointer {
    reference ref;
    const reference* operator->() const { return &ref; }
  };

  Iterator() {}  // NOLINT(modernize-use-equals-default): w_ stays unset
  // iterator -> const_iterator
  template <bool C = kConst, std::enable_if_t<C, int> = 0>
  Iterator(const Iterator<Map, false>& o)  // NOLINT(google-explicit-constructor)
      : map_(o.map_), key_(o.key_), value_(o.value_), lazy_(o.lazy_) {
    std::memcpy(static_cast<void*>(&w_), static_cast<const void*>(&o.w_), sizeof w_);
  }

  reference operator*() const { return reference(*key_, *value_); }
  pointer operator->() const { return pointer{**this}; }
  const K& key() const { return *key_; }
  ValueRef value() const { return *value_; }

  Iterator& operator++() {
    advance();
    return *this;
  }
  Iterator operator++(int) {
    Iterator old = *this;
    advance();
    return old;
  }

  // Iterators are equal when they designate the same entry (or both end).
  friend bool operator==(const Iterator& a, const Iterator& b) { return a.key_ == b.key_; }

 private:
  friend Map;
  template <class, bool>
  friend class Iterator;

  void set_end() {
    key_ = nullptr;
    value_ = nullptr;
  }

  // An iterator from find() or an insertion only knows its entry; the walk
  // state is computed when it is first needed, from the entry's key (the
  // map has not changed since, or the iterator may not be used). This keeps
  // a lookup to a few stores.
  void materialize() {
    const Map& h = *map_;
    const uint64_t hash = h.hash_of(*key_);
    auto s = h.find_slot(*key_, hash);
    GCMAP_ASSERT(s && s.b->key(s.i) == key_, "an iterator used after its map changed");
    h.position_at(w_, s, hash);
    lazy_ = false;
  }

  // Move to the next entry (Go's mapiternext).
  void advance() {
    const Map& h = *map_;
    require_attached("iterator increment");
    sched::safepoint_poll();
    if (GCMAP_UNLIKELY(h.flags() & kFlagWriting)) fatal_concurrent_iteration_write();
    if (lazy_) materialize();
    if (w_.epoch != h.epoch_) {
      set_end();
      return;
    }
    for (;;) {
      if (w_.b == nullptr && !next_source()) {
        set_end();
        return;
      }
      for (; w_.i < kBucketCnt; ++w_.i) {
        uint8_t top = w_.b->top(w_.i);
        if (is_empty(top) || top == kEvacuatedEmpty) continue;
        K* k = w_.b->key(w_.i);
        if (filtered(*k)) continue;
        if (top < kMinTopHash) {
          // Evacuated after this walk began; the key was kept for us. The
          // entry now lives elsewhere, or was erased.
          auto s = h.find_slot(*k, h.hash_of(*k));
          if (!s) continue;
          key_ = s.b->key(s.i);
          value_ = s.b->value(s.i);
        } else {
          key_ = k;
          value_ = w_.b->value(w_.i);
        }
        ++w_.i;
        return;
      }
      w_.b = w_.b->overflow;
      w_.i = 0;
    }
  }

  // Whether the entry with key k, met in the current source, is not this
  // logical bucket's to return from here.
  bool filtered(const K& k) const {
    if (w_.src != kSrcArr) {
      // An old bucket read directly: when doubling, half of its keys belong
      // to the other new bucket.
      if (w_.mode != GrowMode::kDouble) return false;
      return (map_->hash_of(k) & (w_.arr->nbuckets() - 1)) != w_.cur;
    }
    if (w_.direct == 0) return false;
    // A shrink: skip what came from an old half that was read directly.
    size_t o = map_->hash_of(k) & ((size_t{1} << w_.old_log2) - 1);
    return o == w_.cur ? (w_.direct & 1) != 0 : (w_.direct & 2) != 0;
  }

  // Pick the next bucket chain to read; false at the end of the iteration.
  bool next_source() {
    const Map& h = *map_;
    for (;;) {
      switch (w_.phase) {
        case kPhaseStart: {
          if (w_.cur >= w_.arr->nbuckets()) return false;
          w_.direct = 0;
          if (w_.arr == h.buckets_.get() && h.growing()) {
            w_.old = h.oldbuckets_.get();
            w_.old_log2 = h.old_log2_;
            w_.mode = h.grow_mode();
          } else {
            w_.old = nullptr;
            w_.mode = GrowMode::kNone;
          }
          w_.phase = kPhaseOldA;
          break;
        }
        case kPhaseOldA: {
          w_.phase = kPhaseOldB;
          if (w_.mode == GrowMode::kNone) break;
          size_t a =
              w_.mode == GrowMode::kShrink ? w_.cur : w_.cur & ((size_t{1} << w_.old_log2) - 1);
          B* ob = w_.old->bucket(a);
          if (evacuated(ob)) break;
          w_.direct |= 1;
          return start_chain(ob, kSrcOldA);
        }
        case kPhaseOldB: {
          w_.phase = kPhaseNew;
          if (w_.mode != GrowMode::kShrink) break;
          B* ob = w_.old->bucket(w_.cur + w_.arr->nbuckets());
          if (evacuated(ob)) break;
          w_.direct |= 2;
          return start_chain(ob, kSrcOldB);
        }
        case kPhaseNew: {
          w_.phase = kPhaseNext;
          // A doubling or same-size grow fills new bucket cur only from the
          // old bucket just read: what it holds now was inserted since.
          if (w_.direct != 0 && (w_.mode != GrowMode::kShrink || w_.direct == 3)) break;
          return start_chain(w_.arr->bucket(w_.cur), kSrcArr);
        }
        default:  // kPhaseNext
          ++w_.cur;
          w_.phase = kPhaseStart;
          break;
      }
    }
  }

  bool start_chain(B* b, uint8_t src) {
    w_.b = b;
    w_.i = 0;
    w_.src = src;
    return true;
  }

  const Map* map_ = nullptr;
  K* key_ = nullptr;  // the current entry; null at the end
  V* value_ = nullptr;
  bool lazy_ = false;  // w_ is not computed yet (see materialize)
  union {
    char unset_;
    Walk<Map> w_;
  };
};

}  // namespace gcmap::map::detail
