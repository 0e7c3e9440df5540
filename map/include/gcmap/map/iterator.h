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
#include <iterator>
#include <type_traits>
#include <utility>

#include "gcmap/map/bucket.h"
#include "gcmap/map/options.h"
#include "gcmap/sched/safepoint.h"

namespace gcmap::map_detail {

// Map flags (HashMap::flags_), as Go's hmap.flags.
enum : uint8_t {
  kFlagIterator = 1,     // an iterator may be walking buckets_
  kFlagOldIterator = 2,  // an iterator may be walking oldbuckets_: evacuation keeps keys
  kFlagWriting = 4,      // a write is in progress (Go's hashWriting)
  kFlagSameSize = 8,     // the grow in progress keeps the size
  kFlagShrink = 16,      // the grow in progress halves the size
};

enum class GrowMode : uint8_t { kNone, kDouble, kSameSize, kShrink };

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

  Iterator() = default;
  // iterator -> const_iterator
  template <bool C = kConst, std::enable_if_t<C, int> = 0>
  Iterator(const Iterator<Map, false>& o)  // NOLINT(google-explicit-constructor)
      : map_(o.map_),
        arr_(o.arr_),
        old_(o.old_),
        b_(o.b_),
        key_(o.key_),
        value_(o.value_),
        cur_(o.cur_),
        epoch_(o.epoch_),
        i_(o.i_),
        phase_(o.phase_),
        src_(o.src_),
        direct_(o.direct_),
        mode_(o.mode_),
        old_log2_(o.old_log2_) {}

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

  enum : uint8_t { kPhaseStart, kPhaseOldA, kPhaseOldB, kPhaseNew, kPhaseNext };
  enum : uint8_t { kSrcOldA, kSrcOldB, kSrcArr };

  Map* map() const { return const_cast<Map*>(map_); }
  void set_end() {
    key_ = nullptr;
    value_ = nullptr;
  }

  // Move to the next entry (Go's mapiternext).
  void advance() {
    const Map& h = *map_;
    sched::safepoint_poll();
    if (GCMAP_UNLIKELY(h.flags() & kFlagWriting)) fatal_concurrent_iteration_write();
    if (epoch_ != h.epoch_) {
      set_end();
      return;
    }
    for (;;) {
      if (b_ == nullptr && !next_source()) {
        set_end();
        return;
      }
      for (; i_ < kBucketCnt; ++i_) {
        uint8_t top = b_->top(i_);
        if (is_empty(top) || top == kEvacuatedEmpty) continue;
        K* k = b_->key(i_);
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
          value_ = b_->value(i_);
        }
        ++i_;
        return;
      }
      b_ = b_->overflow;
      i_ = 0;
    }
  }

  // Whether the entry with key k, met in the current source, is not this
  // logical bucket's to return from here.
  bool filtered(const K& k) const {
    if (src_ != kSrcArr) {
      // An old bucket read directly: when doubling, half of its keys belong
      // to the other new bucket.
      if (mode_ != GrowMode::kDouble) return false;
      return (map_->hash_of(k) & (arr_->nbuckets() - 1)) != cur_;
    }
    if (direct_ == 0) return false;
    // A shrink: skip what came from an old half that was read directly.
    size_t o = map_->hash_of(k) & ((size_t{1} << old_log2_) - 1);
    return o == cur_ ? (direct_ & 1) != 0 : (direct_ & 2) != 0;
  }

  // Pick the next bucket chain to read; false at the end of the iteration.
  bool next_source() {
    const Map& h = *map_;
    for (;;) {
      switch (phase_) {
        case kPhaseStart: {
          if (cur_ >= arr_->nbuckets()) return false;
          direct_ = 0;
          if (arr_ == h.buckets_.get() && h.growing()) {
            old_ = h.oldbuckets_.get();
            old_log2_ = h.old_log2_;
            mode_ = h.grow_mode();
          } else {
            old_ = nullptr;
            mode_ = GrowMode::kNone;
          }
          phase_ = kPhaseOldA;
          break;
        }
        case kPhaseOldA: {
          phase_ = kPhaseOldB;
          if (mode_ == GrowMode::kNone) break;
          size_t a = mode_ == GrowMode::kShrink ? cur_ : cur_ & ((size_t{1} << old_log2_) - 1);
          B* ob = old_->bucket(a);
          if (evacuated(ob)) break;
          direct_ |= 1;
          return start_chain(ob, kSrcOldA);
        }
        case kPhaseOldB: {
          phase_ = kPhaseNew;
          if (mode_ != GrowMode::kShrink) break;
          B* ob = old_->bucket(cur_ + arr_->nbuckets());
          if (evacuated(ob)) break;
          direct_ |= 2;
          return start_chain(ob, kSrcOldB);
        }
        case kPhaseNew: {
          phase_ = kPhaseNext;
          // A doubling or same-size grow fills new bucket cur_ only from the
          // old bucket just read: what it holds now was inserted since.
          if (direct_ != 0 && (mode_ != GrowMode::kShrink || direct_ == 3)) break;
          return start_chain(arr_->bucket(cur_), kSrcArr);
        }
        default:  // kPhaseNext
          ++cur_;
          phase_ = kPhaseStart;
          break;
      }
    }
  }

  bool start_chain(B* b, uint8_t src) {
    b_ = b;
    i_ = 0;
    src_ = src;
    return true;
  }

  const Map* map_ = nullptr;
  Array* arr_ = nullptr;  // the array this iteration walks
  Array* old_ = nullptr;  // the old array feeding arr_ while it grows
  B* b_ = nullptr;        // the bucket being read (null: pick the next one)
  K* key_ = nullptr;      // the current entry; null at the end
  V* value_ = nullptr;
  size_t cur_ = 0;  // logical bucket of arr_
  uint32_t epoch_ = 0;
  uint8_t i_ = 0;  // next slot of b_ to look at
  uint8_t phase_ = kPhaseStart;
  uint8_t src_ = kSrcArr;
  uint8_t direct_ = 0;  // bit 0: old half A read directly; bit 1: old half B
  GrowMode mode_ = GrowMode::kNone;
  uint8_t old_log2_ = 0;
};

}  // namespace gcmap::map_detail
