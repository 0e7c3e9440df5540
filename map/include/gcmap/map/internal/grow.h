// Growth, shrinking and incremental evacuation of gcmap::HashMap: Go's
// hashGrow, growWork, evacuate and advanceEvacuationMark (runtime/map.go),
// generalised to any new size so that one path serves doubling, same-size
// growth (overflow compaction), halving (our shrink) and reserve().
//
// hash_grow only allocates the new array and swaps: oldbuckets_ = buckets_,
// buckets_ = new, nevacuate_ = 0. From then on, every insert of a new key
// and every erase runs grow_work(hash): it evacuates the old bucket the key
// belongs to (hash & oldmask), then the one at nevacuate_, so a grow ends
// within noldbuckets writes. Lookups and iterators never evacuate.
//
// evacuate(i) moves every entry of old chain i to new bucket hash & newmask
// (for a doubling: X = i or Y = i + 2^oldB; for a shrink: i & newmask, where
// old buckets i and i + 2^newB meet; same size: i), appending after what the
// new chain already holds (a shrink's destination may have entries). The
// old slots become evacuatedX/Y (the key stays, for iterators, when the map
// was iterated: kFlagOldIterator) or evacuatedEmpty (key and value dropped).
// Values always move; the old copy is shaded (drop barrier) before it is
// moved from and destroyed after.
//
// Exceptions: a hasher that may throw is called for every entry of the
// chain before anything moves, so a throw leaves the chain as it was (and
// the map with it: a grow that had started stays in progress). Nothing else
// in an evacuation may throw but K's copy constructor (keys kept for an
// iterator): that is fatal, with a message naming it.
#pragma once

#include <cstdint>
#include <vector>

#include "gcmap/map/hashmap.h"

// Spelling aids for out-of-class members, local to this file.
#define GCMAP_HASHMAP_TEMPLATE template <class K, class V, class Hash, class Eq>
#define GCMAP_HASHMAP HashMap<K, V, Hash, Eq>

namespace gcmap {

GCMAP_HASHMAP_TEMPLATE
void GCMAP_HASHMAP::hash_grow(uint8_t new_log2) {
  GCMAP_ASSERT(!growing(), "hash_grow while growing");
  Array* old = buckets_.get();
  Array* fresh = Array::make(new_log2);  // may collect; the map is consistent
  uint8_t f = flags();
  uint8_t nf = f & ~(map::detail::kFlagIterator | map::detail::kFlagOldIterator |
                     map::detail::kFlagSameSize | map::detail::kFlagShrink);
  // An iterator of the current array now walks the old one.
  if (f & map::detail::kFlagIterator) nf |= map::detail::kFlagOldIterator;
  if (new_log2 == log2_) nf |= map::detail::kFlagSameSize;
  if (new_log2 < log2_) nf |= map::detail::kFlagShrink;
  old_log2_ = log2_;
  log2_ = new_log2;
  nevacuate_ = 0;
  oldbuckets_ = old;
  buckets_ = fresh;
  set_flags(nf);
}

GCMAP_HASHMAP_TEMPLATE
void GCMAP_HASHMAP::grow_work(uint64_t hash, Slot* track) {
  // The old bucket that the entry for `hash` lives in (or would).
  evacuate(hash & mask(old_log2_), track);
  // One more, to make progress.
  if (growing()) evacuate(nevacuate_, track);
}

GCMAP_HASHMAP_TEMPLATE
void GCMAP_HASHMAP::evacuate(size_t oldbucket, Slot* track) {
  using namespace map::detail;
  Array* old = oldbuckets_.get();
  Array* fresh = buckets_.get();
  Bucket* ob = old->bucket(oldbucket);
  if (!evacuated(ob)) {
    const bool keep_keys = (flags() & kFlagOldIterator) != 0;
    const size_t newmask = mask(log2_);
    // Destinations, in chain order. A hasher that may throw runs for the
    // whole chain first (nothing has moved if it throws); one that cannot
    // is called as each entry moves.
    constexpr size_t kInlineDst = 4 * kBucketCnt;
    size_t inline_dst[kHashNoexcept ? 1 : kInlineDst];
    std::vector<size_t> more_dst;
    if constexpr (!kHashNoexcept) {
      size_t n = 0;
      for (Bucket* b = ob; b != nullptr; b = b->overflow) {
        for (unsigned i = 0; i < kBucketCnt; ++i) {
          if (is_empty(b->top(i))) continue;
          const size_t d = hash_of(*b->key(i)) & newmask;
          if (n < kInlineDst) {
            inline_dst[n] = d;
          } else {
            more_dst.push_back(d);
          }
          ++n;
        }
      }
    }
    size_t entry = 0;
    auto dest_of = [&](const K& k) -> size_t {
      const size_t j = entry++;
      if constexpr (kHashNoexcept) {
        return hash_of(k) & newmask;
      } else {
        return j < kInlineDst ? inline_dst[j] : more_dst[j - kInlineDst];
      }
    };
    const size_t x = oldbucket & newmask;
    // Destination cursors for X and Y (a doubling, same size or halving);
    // reserve() may grow by more than one step and scans from the head.
    const bool two_way = log2_ <= old_log2_ + 1;
    // A doubling or same-size grow fills each new bucket from one old chain
    // only, and nothing is inserted there before that chain is evacuated:
    // the destinations are empty and fill in order (Go's evacDst).
    const bool fill_in_order = two_way && log2_ >= old_log2_;
    struct Dst {
      Bucket* b = nullptr;
      Bucket* head = nullptr;
      unsigned i = 0;
    } dst[2];
    if (two_way) {
      dst[0].b = dst[0].head = fresh->bucket(x);
      if (log2_ > old_log2_) dst[1].b = dst[1].head = fresh->bucket(x + (size_t{1} << old_log2_));
    }
    ptrdiff_t old_tombstones = 0, new_tombstones = 0;
    // From here on entries move: nothing may throw but a key's copy.
    try {
      for (Bucket* b = ob; b != nullptr; b = b->overflow) {
        for (unsigned i = 0; i < kBucketCnt; ++i) {
          const uint8_t top = b->top(i);
          if (is_empty(top)) {
            old_tombstones -= top == kEmptyOne;
            b->set_top(i, kEvacuatedEmpty);
            continue;
          }
          GCMAP_ASSERT(top >= kMinTopHash, "evacuate: bad tophash %u", top);
          K* k = b->key(i);
          V* v = b->value(i);
          const size_t d = dest_of(*k);
          Dst tmp;
          Dst* to = &tmp;
          if (two_way) {
            to = &dst[d == x ? 0 : 1];
          } else {
            tmp.b = tmp.head = fresh->bucket(d);
          }
          if (fill_in_order) {
            if (to->i == kBucketCnt) {
              to->b = fresh->new_overflow(to->b);  // may collect
              to->i = 0;
            }
            GCMAP_ASSERT(to->b->top(to->i) == kEmptyRest, "evacuate: destination not empty");
          } else {
            // The first empty slot at or after the cursor (a chain may already
            // hold entries: a shrink merges two old chains).
            for (;;) {
              if (to->i < kBucketCnt) {
                uint64_t em = match_empty(to->b->top_word()) & (~uint64_t{0} << (8 * to->i));
                if (em != 0) {
                  to->i = first_slot(em);
                  break;
                }
              }
              if (to->b->overflow == nullptr) {
                to->b = fresh->new_overflow(to->b);  // may collect
              } else {
                to->b = to->b->overflow;
              }
              to->i = 0;
            }
            new_tombstones -= to->b->top(to->i) == kEmptyOne;
          }
          Bucket* nb = to->b;
          const unsigned ni = to->i;
          // Shade the old copy before it is moved from: a concurrent mark must
          // see what it references even if the new slot was scanned already.
          gc::drop_barrier(*v);
          if (!keep_keys) gc::drop_barrier(*k);
          if (keep_keys) {
            ::new (nb->key_storage(ni)) K(*k);
          } else {
            ::new (nb->key_storage(ni)) K(std::move(*k));
          }
          ::new (nb->value_storage(ni)) V(std::move(*v));
          nb->set_top(ni, top);  // publish once built
          if (track != nullptr && track->b == b && track->i == i) {
            *track = Slot{nb, to->head, ni, false};
          }
          to->i = ni + 1;
          if (keep_keys) {
            b->set_top(i, d == x ? kEvacuatedX : kEvacuatedY);
          } else {
            b->set_top(i, kEvacuatedEmpty);
            b->destroy_key(i);
          }
          b->destroy_value(i);
        }
      }
    } catch (...) {
      map::detail::fatal_callback_threw(
          "the key's copy constructor, copying a key during an evacuation (kept for an "
          "iterator), with entries half moved");
    }
    old->add_tombstones(old_tombstones);
    fresh->add_tombstones(new_tombstones);
  }
  if (oldbucket == nevacuate_) advance_evacuation_mark();
}

GCMAP_HASHMAP_TEMPLATE
void GCMAP_HASHMAP::advance_evacuation_mark() {
  Array* old = oldbuckets_.get();
  const size_t nold = old->nbuckets();
  ++nevacuate_;
  // Skip buckets evacuated out of order, but bound the work of one call.
  size_t stop = std::min(nevacuate_ + 1024, nold);
  while (nevacuate_ < stop && map::detail::evacuated(old->bucket(nevacuate_))) ++nevacuate_;
  if (nevacuate_ == nold) finish_growth();
}

// Every old bucket is evacuated (or, when the map just became empty, holds
// nothing): drop the old array. What it still holds (keys kept for
// iterators) goes to the sweeper once no iterator holds the array.
GCMAP_HASHMAP_TEMPLATE
void GCMAP_HASHMAP::finish_growth() {
  oldbuckets_ = nullptr;
  old_log2_ = 0;
  nevacuate_ = 0;
  set_flags(flags() & ~(map::detail::kFlagSameSize | map::detail::kFlagShrink));
}

GCMAP_HASHMAP_TEMPLATE
void GCMAP_HASHMAP::evacuate_all() {
  while (growing()) evacuate(nevacuate_, nullptr);
}

// After an erase: start halving the table when it has become sparse (under
// a quarter of the growth load). It then lands at half the growth load, so
// it takes a doubling of the count to grow again and a halving to shrink
// again (hysteresis), and at least 1.6 x 2^B erases since the last growth
// (amortisation: golang/go#20135 asks that clear-and-refill not pay).
GCMAP_HASHMAP_TEMPLATE
void GCMAP_HASHMAP::maybe_shrink() {
  if (fixed_capacity_ != 0 || log2_ <= min_log2_) return;
  if (!map::detail::under_shrink_load(count_, log2_)) return;
  const uint8_t smaller = static_cast<uint8_t>(log2_ - 1);
  if (count_ == 0) {
    // Nothing to move: the smaller table replaces the empty one at once.
    Array* fresh = Array::make(smaller);  // may collect; the map is consistent
    buckets_ = fresh;
    log2_ = smaller;
    return;
  }
  hash_grow(smaller);
}

}  // namespace gcmap

#undef GCMAP_HASHMAP_TEMPLATE
#undef GCMAP_HASHMAP
