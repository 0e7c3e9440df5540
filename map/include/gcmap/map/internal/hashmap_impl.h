// The out-of-class members of gcmap::HashMap: insertion (Go's mapassign),
// erase (mapdelete), clear, reserve, the iterator factories and stats.
// Included by hashmap.h; not for direct use (it includes hashmap.h itself,
// so it also compiles alone).
#pragma once

#include "gcmap/map/hashmap.h"

// Spelling aids for out-of-class members, local to this file.
#define GCMAP_HASHMAP_TEMPLATE template <class K, class V, class Hash, class Eq>
#define GCMAP_HASHMAP HashMap<K, V, Hash, Eq>

namespace gcmap {

GCMAP_HASHMAP_TEMPLATE
void GCMAP_HASHMAP::init_buckets(uint8_t log2) {
  register_root();
  buckets_ = Array::make(log2);  // may collect; nothing pending
  log2_ = log2;
}

// Go's mapassign, without the final store: the slot of key, inserted with
// ck / cv if it was absent. Lookup first: a key that is present moves only
// with its bucket (track), and a key that is absent cannot be an entry of
// this map, so evacuating before the insertion cannot pull it away.
GCMAP_HASHMAP_TEMPLATE
template <class Q, class CK, class CV>
std::pair<typename GCMAP_HASHMAP::Slot, bool> GCMAP_HASHMAP::insert_slot(const Q& key,
                                                                         uint64_t hash, CK& ck,
                                                                         CV& cv) {
  using namespace map::detail;
  WriteGuard guard(this);
  if (GCMAP_UNLIKELY(buckets_.get() == nullptr)) init_buckets(min_log2_);
  Slot s = find_slot(key, hash);
  if (s) {
    if (growing()) grow_work(hash, &s);
    return {s, false};
  }
  if (fixed_capacity_ != 0) {
    if (GCMAP_UNLIKELY(count_ >= fixed_capacity_)) throw_capacity_exceeded(fixed_capacity_);
  } else if (over_load_factor(count_ + 1, log2_)) {
    // Past the load of the largest table (max_size()): refuse before
    // anything is built or moved.
    if (GCMAP_UNLIKELY(log2_ >= max_log2())) throw_over_max_size(count_ + 1, max_size());
    // Go's trigger: only when adding a key, never while growing.
    if (!growing()) hash_grow(static_cast<uint8_t>(log2_ + 1));
  } else if (!growing() && too_many_overflow(buckets_->noverflow(), log2_)) {
    hash_grow(log2_);
  }
  if (growing()) grow_work(hash, nullptr);
  Array* a = buckets_.get();
  Bucket* head = a->bucket(hash & mask(log2_));
  Bucket* b = head;
  unsigned i;
  for (;;) {
    uint64_t em = match_empty(b->top_word());
    if (em != 0) {
      i = first_slot(em);
      break;
    }
    if (b->overflow == nullptr) {
      b = a->new_overflow(b);  // may collect
      i = 0;
      break;
    }
    b = b->overflow;
  }
  const bool reuses_tombstone = b->top(i) == kEmptyOne;
  construct_slot(b, i, tophash_of(hash), ck, cv);
  if (reuses_tombstone) a->add_tombstones(-1);
  ++count_;
  return {Slot{b, head, i, false}, true};
}

// Build key and value in an empty slot, then publish it (a release store
// of its tophash: a concurrent marker reads the slot only after that).
// When K or V may hold GC pointers they are first built on this thread's
// stack, where the conservative scan sees them, and then moved into the
// slot: a constructor that allocates several GC objects keeps the first ones
// alive across a collection that the later ones trigger. If a constructor
// throws, nothing was published.
GCMAP_HASHMAP_TEMPLATE
template <class CK, class CV>
void GCMAP_HASHMAP::construct_slot(Bucket* b, unsigned i, uint8_t top, CK& ck, CV& cv) {
  if constexpr (kTraced) {
    alignas(K) unsigned char key_tmp[sizeof(K)];
    alignas(V) unsigned char value_tmp[sizeof(V)];
    ck(key_tmp);
    K* k = std::launder(reinterpret_cast<K*>(key_tmp));
    try {
      cv(value_tmp);
    } catch (...) {
      std::destroy_at(k);
      throw;
    }
    V* v = std::launder(reinterpret_cast<V*>(value_tmp));
    ::new (b->key_storage(i)) K(std::move(*k));
    ::new (b->value_storage(i)) V(std::move(*v));
    std::destroy_at(k);
    std::destroy_at(v);
  } else {
    ck(b->key_storage(i));
    try {
      cv(b->value_storage(i));
    } catch (...) {
      b->destroy_key(i);
      throw;
    }
  }
  b->set_top(i, top);
}

// Go's mapdelete: destroy the entry, mark the slot emptyOne, and turn the
// trailing run of emptyOne slots of the chain into emptyRest.
GCMAP_HASHMAP_TEMPLATE
void GCMAP_HASHMAP::erase_slot(const Slot& s) {
  using namespace map::detail;
  Bucket* b = s.b;
  unsigned i = s.i;
  Array* a = s.in_old ? oldbuckets_.get() : buckets_.get();
  b->set_top(i, kEmptyOne);  // unpublish, then destroy
  b->drop_key(i);
  b->drop_value(i);
  --count_;
  ptrdiff_t tombstones = 1;
  bool last = i == kBucketCnt - 1 ? b->overflow == nullptr || b->overflow->top(0) == kEmptyRest
                                  : b->top(i + 1) == kEmptyRest;
  if (last) {
    for (;;) {
      b->set_top(i, kEmptyRest);
      --tombstones;
      if (i == 0) {
        if (b == s.head) break;
        Bucket* c = b;
        for (b = s.head; b->overflow != c; b = b->overflow) {
        }
        i = kBucketCnt - 1;
      } else {
        --i;
      }
      if (b->top(i) != kEmptyOne) break;
    }
  }
  a->add_tombstones(tombstones);
  if (count_ == 0) {
    // A new seed, so that an attacker who learnt collisions from this map's
    // history must start over (golang/go#25237). A grow in progress has
    // nothing left to move: end it.
    seed_ = random_seed();
    if (growing()) finish_growth();
  }
}

GCMAP_HASHMAP_TEMPLATE
template <class Q>
size_t GCMAP_HASHMAP::erase_hashed(const Q& key, uint64_t hash) {
  sched::safepoint_poll();
  WriteGuard guard(this);
  if (count_ == 0) return 0;
  // Lookup first: key may be the entry's own key, which growWork could move
  // (it tracks the slot). growWork before the erase: it hashes other keys,
  // and a hash that throws then leaves the entry in place (strong).
  Slot s = find_slot(key, hash);
  const bool was_growing = growing();
  if (was_growing) grow_work(hash, s ? &s : nullptr);  // last use of key
  if (!s) return 0;
  erase_slot(s);
  if (!was_growing) maybe_shrink();
  return 1;
}

GCMAP_HASHMAP_TEMPLATE
typename GCMAP_HASHMAP::iterator GCMAP_HASHMAP::erase(const_iterator pos) {
  iterator next;
  next.map_ = pos.map_;
  next.key_ = pos.key_;
  next.value_ = const_cast<V*>(pos.value_);
  next.lazy_ = pos.lazy_;
  std::memcpy(static_cast<void*>(&next.w_), static_cast<const void*>(&pos.w_), sizeof next.w_);
  if (next.lazy_) next.materialize();  // while the map is as it was
  // From here on this is an iteration: evacuations keep keys for it.
  note_iterator();
  const K& key = *pos.key_;
  erase_hashed(key, hash_of(key));
  next.advance();
  return next;
}

GCMAP_HASHMAP_TEMPLATE
void GCMAP_HASHMAP::clear() {
  using namespace map::detail;
  sched::safepoint_poll();
  WriteGuard guard(this);
  ++epoch_;
  Array* a = buckets_.get();
  if (a == nullptr || (count_ == 0 && !growing())) {
    seed_ = random_seed();
    return;
  }
  const bool sparse = fixed_capacity_ == 0 && log2_ > min_log2_ && under_shrink_load(count_, log2_);
  if (!growing() && !sparse && (kTrivialEntries || a->nbuckets() <= 16)) {
    // In place, O(buckets): keeps the chains (their overflow buckets are
    // reused by the refill).
    for (size_t bi = 0; bi < a->nbuckets(); ++bi) {
      for (Bucket* b = a->bucket(bi); b != nullptr; b = b->overflow) {
        for (unsigned i = 0; i < kBucketCnt; ++i) {
          uint8_t t = b->top(i);
          if (t == kEmptyRest) break;
          if (t >= kMinTopHash) {
            b->set_top(i, kEmptyRest);
            b->drop_key(i);
            b->drop_value(i);
          } else {
            b->set_top(i, kEmptyRest);
          }
        }
      }
    }
    a->reset_tombstones();
  } else {
    // A fresh table: the old one (and the entries in it) goes to the
    // sweeper. Overwriting the Ptrs shades the old arrays, so a concurrent
    // mark keeps what their entries referenced at its start.
    uint8_t nl = log2_;
    if (sparse) nl = std::max(min_log2_, log2_for(count_));
    Array* fresh = Array::make(nl);  // may collect; the map is consistent
    oldbuckets_ = nullptr;
    buckets_ = fresh;
    log2_ = nl;
    old_log2_ = 0;
    nevacuate_ = 0;
    set_flags(flags() & ~(kFlagSameSize | kFlagShrink));
  }
  count_ = 0;
  seed_ = random_seed();
}

GCMAP_HASHMAP_TEMPLATE
void GCMAP_HASHMAP::reserve(size_t n) {
  sched::safepoint_poll();
  WriteGuard guard(this);
  if (fixed_capacity_ != 0 && n > fixed_capacity_)
    map::detail::throw_capacity_exceeded(fixed_capacity_);
  if (n > max_size()) map::detail::throw_over_max_size(n, max_size());
  const uint8_t nl = map::detail::log2_for(n);
  if (fixed_capacity_ == 0 && nl > min_log2_) min_log2_ = nl;
  if (buckets_.get() == nullptr) {
    init_buckets(std::max(nl, min_log2_));
    return;
  }
  if (nl <= log2_) return;
  evacuate_all();
  hash_grow(nl);
  evacuate_all();
}

GCMAP_HASHMAP_TEMPLATE
template <bool kConst>
map::detail::Iterator<GCMAP_HASHMAP, kConst> GCMAP_HASHMAP::begin_impl() const {
  using namespace map::detail;
  Iterator<HashMap, kConst> it;
  it.map_ = this;
  require_attached("begin");
  sched::safepoint_poll();
  if (count_ == 0) return it;
  note_iterator();
  it.w_ = Walk<HashMap>{buckets_.get(), nullptr, nullptr, 0, epoch_,         0,
                        kPhaseStart,    kSrcArr, 0,       0, GrowMode::kNone};
  it.advance();
  return it;
}

GCMAP_HASHMAP_TEMPLATE
void GCMAP_HASHMAP::position_at(map::detail::Walk<HashMap>& w, const Slot& s, uint64_t hash) const {
  using namespace map::detail;
  w.arr = buckets_.get();
  w.old = nullptr;
  w.b = s.b;
  w.cur = hash & mask(log2_);
  w.epoch = epoch_;
  w.i = static_cast<uint8_t>(s.i + 1);
  w.phase = kPhaseNext;
  w.src = kSrcArr;
  w.direct = 0;
  w.old_log2 = 0;
  w.mode = GrowMode::kNone;
  if (!growing()) return;
  // Which old buckets a walk reads directly when it reaches this one.
  Array* old = oldbuckets_.get();
  w.old = old;
  w.old_log2 = old_log2_;
  w.mode = grow_mode();
  const size_t n = size_t{1} << log2_;
  auto pending = [&](size_t ob) { return !evacuated(old->bucket(ob)) ? 1 : 0; };
  if (w.mode == GrowMode::kShrink) {
    const uint8_t a = static_cast<uint8_t>(pending(w.cur));
    if (s.in_old && (hash & mask(old_log2_)) == w.cur) {
      w.src = kSrcOldA;
      w.direct = 1;
      w.phase = kPhaseOldB;
    } else if (s.in_old) {
      w.src = kSrcOldB;
      w.direct = static_cast<uint8_t>(a | 2);
      w.phase = kPhaseNew;
    } else {
      w.direct = static_cast<uint8_t>(a | (pending(w.cur + n) << 1));
    }
  } else if (s.in_old) {
    w.src = kSrcOldA;
    w.direct = 1;
    w.phase = kPhaseOldB;
  }
}

GCMAP_HASHMAP_TEMPLATE
void GCMAP_HASHMAP::take(HashMap& o) noexcept {
  count_ = o.count_;
  log2_ = o.log2_;
  old_log2_ = o.old_log2_;
  min_log2_ = o.min_log2_;
  seed_ = o.seed_;
  nevacuate_ = o.nevacuate_;
  fixed_capacity_ = o.fixed_capacity_;
  set_flags(o.flags() & ~map::detail::kFlagWriting);
  ++epoch_;
  if (o.buckets_.get() != nullptr) register_root();
  buckets_ = o.buckets_.get();
  oldbuckets_ = o.oldbuckets_.get();
  o.buckets_ = nullptr;
  o.oldbuckets_ = nullptr;
  o.count_ = 0;
  o.log2_ = 0;
  o.old_log2_ = 0;
  o.min_log2_ = 0;
  o.nevacuate_ = 0;
  o.fixed_capacity_ = 0;
  o.seed_ = map::detail::random_seed();
  o.set_flags(0);
  ++o.epoch_;
  o.root_.release();
  // Queued erases follow the entries they name; what this map had queued
  // for its dropped contents goes with them.
  delete deferred_.exchange(o.deferred_.exchange(nullptr, std::memory_order_acq_rel),
                            std::memory_order_acq_rel);
  if (Hub* h = deferred_.load(std::memory_order_acquire)) h->rebind(this);
  write_seq_.store(o.write_seq_.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

GCMAP_HASHMAP_TEMPLATE
HashMapStats GCMAP_HASHMAP::stats() const {
  using namespace map::detail;
  sched::safepoint_poll();
  HashMapStats st;
  st.B = log2_;
  st.count = count_;
  st.fixed_capacity = fixed_capacity_;
  st.min_B = min_log2_;
  if (const Array* a = buckets_.get()) {
    st.buckets = a->nbuckets();
    st.overflow_buckets = a->noverflow();
    st.bytes = a->bytes();
    st.tombstones = a->tombstones();
    st.load_factor = static_cast<double>(count_) / static_cast<double>(a->nbuckets());
  }
  if (const Array* old = oldbuckets_.get()) {
    st.growing = true;
    uint8_t f = flags();
    st.shrinking = (f & kFlagShrink) != 0;
    st.same_size_grow = (f & kFlagSameSize) != 0;
    st.nevacuate = nevacuate_;
    st.old_buckets = old->nbuckets();
    st.old_overflow_buckets = old->noverflow();
    st.bytes += old->bytes();
    st.tombstones += old->tombstones();
  }
  return st;
}

// ---- Deferred erases (deferred.h) ------------------------------------------

GCMAP_HASHMAP_TEMPLATE
typename GCMAP_HASHMAP::Hub& GCMAP_HASHMAP::hub() {
  Hub* h = deferred_.load(std::memory_order_acquire);
  if (GCMAP_LIKELY(h != nullptr)) return *h;
  // The first erase_deferred, perhaps on several threads at once.
  auto* fresh = new Hub(this);
  if (deferred_.compare_exchange_strong(h, fresh, std::memory_order_acq_rel)) {
    map::detail::ensure_deferred_scheduler();
    return *fresh;
  }
  delete fresh;
  return *h;
}

GCMAP_HASHMAP_TEMPLATE
void GCMAP_HASHMAP::apply_some_deferred() {
  Hub* h = deferred_.load(std::memory_order_acquire);
  if (GCMAP_LIKELY(h == nullptr) || !h->owner_has_work() || !h->try_begin_apply()) return;
  typename Hub::Claim held(*h);
  try {
    h->apply(kDeferredPerWrite, ApplyMode::kOwner, [] { return false; });
  } catch (...) {
    // Not this write's failure: recorded for the next flush_deferred().
    h->record_failure("the owner's write");
  }
}

GCMAP_HASHMAP_TEMPLATE
size_t GCMAP_HASHMAP::flush_deferred() {
  sched::safepoint_poll();
  Hub* h = deferred_.load(std::memory_order_acquire);
  if (h == nullptr) return 0;
  size_t done = 0;
  for (;;) {
    // A window on another thread may hold the hub for a moment (this thread
    // was not stopped at a safepoint yet), or the scheduler reading its
    // age: wait our turn at safepoints.
    if (!h->try_begin_apply()) {
      sched::safepoint_poll();
      std::this_thread::yield();
      continue;
    }
    typename Hub::Claim held(*h);  // released however this is left
    if (h->pending() != 0) {
      done += h->apply(~size_t{0}, ApplyMode::kOwner, [] { return false; });
      continue;
    }
    // Everything is applied: report what a window or a write caught.
    if (std::exception_ptr e = h->take_failure()) std::rethrow_exception(e);
    return done;
  }
}

// Apply one queued erase. The owner takes the full erase path (growWork,
// shrink); a window, which must not allocate, erases in place (in the old
// bucket while it is not evacuated, as an owner's erase does before its
// growWork), advances no evacuation and leaves a shrink to the owner's next
// erase. A hash or equality that throws leaves the map as it was.
GCMAP_HASHMAP_TEMPLATE
template <class Q>
void GCMAP_HASHMAP::deferred_erase(const Q& key, ApplyMode mode) {
  uint64_t h = hash_of(key);
  if (mode == ApplyMode::kOwner) {
    erase_hashed(key, h);
    return;
  }
  WriteGuard guard(this);
  if (count_ == 0) return;
  if (Slot s = find_slot(key, h)) erase_slot(s);
}

// One step of an erase_if_deferred: the next few buckets of the current
// table, each with the old buckets that evacuate into it while the map
// grows or shrinks and are not evacuated yet (old bucket j goes to new
// bucket j & newmask, or for a doubling also j + 2^oldB, never below the
// cursor once the cursor passed j & newmask), so every entry present
// throughout is examined at least once without evacuating anything (the
// same in a window and for the owner). A table that changed since the
// sweep's last step (a new grow, a shrink, a clear) is swept again from its
// start; entries examined again are only examined, and erased ones are
// gone. pred or on_erase may throw: the entry in hand is not erased.
GCMAP_HASHMAP_TEMPLATE
template <class Pred, class OnErase>
bool GCMAP_HASHMAP::deferred_sweep(const Pred& pred, const OnErase& on_erase, SweepCursor& c,
                                   size_t* erased) {
  using namespace map::detail;
  Array* a = buckets_.get();
  if (a == nullptr || count_ == 0) return true;
  if (c.table != a || c.epoch != epoch_) c = SweepCursor{a, epoch_, 0};
  WriteGuard guard(this);
  auto sweep_chain = [&](Bucket* head, bool in_old) {
    for (Bucket* b = head; b != nullptr && count_ != 0; b = b->overflow) {
      for (unsigned i = 0; i < kBucketCnt && count_ != 0; ++i) {
        uint8_t t = b->top(i);
        if (t == kEmptyRest) break;
        if (t < kMinTopHash) continue;
        if (!pred(*b->key(i), *b->value(i))) continue;
        on_erase(*b->key(i), *b->value(i));
        erase_slot(Slot{b, head, i, in_old});  // the last one ends a grow
        ++*erased;
      }
    }
  };
  const size_t nb = a->nbuckets();
  const size_t end = std::min(nb, c.bucket + kSweepBucketsPerStep);
  for (size_t bi = c.bucket; bi < end && count_ != 0; ++bi) {
    if (Array* old = oldbuckets_.get()) {
      const size_t nold = size_t{1} << old_log2_;
      for (size_t j = bi; j < nold && count_ != 0; j += nb) {
        Bucket* ob = old->bucket(j);
        if (!evacuated(ob)) sweep_chain(ob, true);
      }
    }
    if (count_ != 0) sweep_chain(a->bucket(bi), false);
  }
  c.bucket = end;
  return end == nb || count_ == 0;
}

#undef GCMAP_HASHMAP_TEMPLATE
#undef GCMAP_HASHMAP

}  // namespace gcmap
