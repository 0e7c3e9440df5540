// gcmap::HashMap<K, V, Hash, Eq>: Go's classic hash map (the hmap of
// src/runtime/map.go before Go 1.24) in the gcmap heap, with an STL-style
// interface, and one step beyond Go: it shrinks. The design and its
// invariants follow the API contract below ("THE DESIGN"); the code is this
// file (the class: API, fields, lookup) and internal/ (bucket.h the layout,
// grow.h the evacuation, iterator.h the iteration, hashmap_impl.h insert and
// erase, deferred_hub.h the deferred erases).
//
//   gcmap::ThreadScope attach;                     // every thread using a map
//   gcmap::HashMap<std::string, gcmap::Ptr<Session>> sessions;
//   sessions.insert_or_assign("s1", s);
//   if (auto it = sessions.find(std::string_view("s1")); it != sessions.end())
//     use(it->second);
//   sessions.erase("s1");
//   sessions.erase_deferred("s2");                 // queued; see deferred.h
//   for (auto&& [key, value] : sessions) { ... }
//
// Where it lives. A HashMap in ordinary memory (a global, the stack, a
// malloc'd object) registers itself as a root (a RootProvider) once it has
// buckets, for its lifetime. A HashMap that is a member of a GC object is
// traced by its owner, whose trace must call v.visit(map). Its buckets are
// GC objects either way; a map that dies (or is moved from, or cleared while
// large) leaves its entries to the sweeper, which destroys them later on a
// background thread: no destructor cascade on the thread that drops a map.
//
// Requirements. K is copy-constructible (an evacuation keeps a copy of the
// key for an iterator that may still walk the old array) and nothrow
// move-constructible; V is nothrow move-constructible. Copying a key during
// an evacuation must not throw (fatal, naming it, otherwise). Which user
// callbacks may throw where, and what is guaranteed then: map/README.md,
// "Exception safety". Eq must be
// reflexive (a key that is not equal to itself, like a NaN, can be inserted
// but never found). K and V that may hold GC pointers (gcmap::Ptr, or
// structs with a trace) are traced; with the concurrent collector they must
// be made of Ptrs (or structs of Ptrs), not of standard containers that
// hold Ptrs (see map/README.md). Keys and values are stored inline.
//
// Iterators and references: the contract.
//   - Lookups (find, contains, count, at, begin, iteration) never move
//     anything.
//   - Any insertion of a new key and any erase may move entries (incremental
//     evacuation, as Go), and may start a grow or a shrink. clear(), reserve()
//     and assignment also move or drop them. After any of these, references
//     and pointers to keys and values obtained earlier are invalid, and so
//     is dereferencing an iterator obtained earlier.
//     In particular `m[a] = m[b];` is wrong when it may insert `a`: copy the
//     value first. Assigning to an existing key (operator[] or
//     insert_or_assign on a present key) moves nothing of its own.
//   - An iterator from begin() survives all of that (Go's rule): ++it
//     continues the same iteration, and every key present for the whole
//     iteration is visited exactly once; keys inserted or erased meanwhile
//     may or may not be. Erasing during iteration is allowed, by key
//     (m.erase(it->first), which must be the last use of that entry) or by
//     iterator (it = m.erase(it)). After clear() the iteration ends.
//   - An iterator from find(), try_emplace(), insert_or_assign(), ... can be
//     dereferenced, compared, passed to erase(), and incremented until the
//     next modification of the map; erase(it) returns an iterator with the
//     begin() guarantees from there on.
//   - Iteration order is unspecified and differs between maps and runs (each
//     map has its own random hash seed, renewed when it becomes empty).
//   - erase(iterator) marks the map as iterated (Go's iterator flag), so the
//     next evacuation keeps copies of keys for it; erase(key) does not.
//
// Threads. Any number of threads may read a map (find, iteration) while
// none writes. A write concurrent with any other access is a bug that is
// detected on a best-effort basis and is fatal: "gcmap: concurrent map
// writes" (also "... read and map write", "... iteration and map write").
// Every operation polls a safepoint at entry, so the thread must be
// attached (gcmap::ThreadScope). Lookups and iteration (find, contains,
// count, get, at, begin, ++it) from an unattached thread are fatal in every
// build: its stack is not scanned, so what they return could be freed while
// it is used. size(), empty() and the other figures return numbers only.
//
// THE DESIGN (Go keeps it at the top of map.go; map/README.md has the
// overview, the deferred erases and the figures).
//
// A map is a hash table: an array of 2^B buckets. The low B bits of a key's
// 64-bit hash select a bucket; the top byte of the hash (its *tophash*) is
// kept per slot so that a lookup compares keys only where the byte matches.
// Each bucket holds up to 8 entries; more entries that hash to a bucket chain
// into overflow buckets.
//
//     bucket: tophash[8] | 8 keys, 8 values | overflow*
//
// Go packs the 8 keys, then the 8 values, so that a `map[int64]int8` wastes
// no padding. We do that when a key/value pair would need padding, and store
// pairs otherwise (`kInterleaved`: each size is a multiple of the other's
// alignment — `uint64_t -> uint64_t`, `std::string -> Ptr<T>`), so that a
// lookup that hits reads its key and its value from one cache line instead of
// two. Keys and values are always inline (Go stores those over 128 bytes
// indirectly; a bucket of big values is simply big here). A lookup also
// prefetches the bucket's further cache lines while it waits for the first
// (buckets up to 256 bytes), so a hit costs about one miss.
//
// A bucket array holds 2^B buckets, plus 2^(B-4) spare buckets when B >= 4
// (Go's preallocated overflow buckets); overflow beyond those comes from
// *overflow blocks* of up to 32 KiB, chained from the array's header. The
// bucket-to-bucket `overflow` link is a plain pointer: liveness of overflow
// buckets comes from the array's chain of blocks, so the collector never
// walks a bucket chain (and a map of keys and values without GC pointers has
// none of its buckets read by the collector, below).
//
// tophash values.
//
// | value | name | meaning |
// | --- | --- | --- |
// | 0 | emptyRest | this slot is empty, and so is every later slot of the chain (a lookup stops) |
// | 1 | emptyOne | this slot is empty |
// | 2 | evacuatedX | moved to the X half (same index) of the new array; the key was kept here |
// | 3 | evacuatedY | moved to the Y half (index + old count); the key was kept here |
// | 4 | evacuatedEmpty | empty, or moved with nothing kept; the bucket is evacuated |
// | >= 5 | minTopHash.. | an entry: `tophash = hash >> 56`, plus 5 when below 5 |
//
// `isEmpty(x)` is `x <= 1`. A bucket chain is either all in evacuated states
// or none (only `evacuate` is ever in between, and nothing else runs during
// it); `evacuated(b)` looks at `b.tophash[0]`. Since an emptyRest slot is
// followed only by emptyRest slots, "the chain ends here" is `tophash[7] ==
// emptyRest`. Lookups compare the 8 tophash bytes at once as one word (the
// "has a zero byte" trick), then compare keys only at matching bytes.
//
// Hashing.
//
// Every map has a random 64-bit seed (Go's `hash0`), drawn at construction
// and again whenever the map becomes empty (golang/go#25237), so collision
// patterns and iteration order differ between maps and runs. Integers,
// enums, pointers and `Ptr<T>`: a 64x64->128-bit multiply of `key ^ seed`,
// folded (absl's mixer). Strings: `XXH3_64bits_withSeed` from libxxhash.
// `Hash<std::string>` is transparent, so with the default `std::equal_to<>`
// a `HashMap<std::string, V>` is looked up with a `std::string_view` or a
// literal without building a `std::string`. A custom hasher may take the
// seed or be an `std::hash`-style functor (then mixed with the seed).
//
// Short string keys: `gcmap::SmallString`.
//
// A lookup in a large map keyed by `std::string` takes a miss on the bucket
// and then a dependent one on the key's bytes, which libstdc++ keeps on the
// malloc heap beyond 15 characters (Go's `string` and absl with `std::string`
// pay the same). `gcmap::SmallString` (`small_string.h`) is a 32-byte key,
// like `std::string`, that keeps up to 30 bytes inside itself, so a session
// id is compared in the bucket the lookup already fetched, and inserting or
// erasing one touches no malloc. Longer strings go to the malloc heap. It
// hashes as its bytes (`Hash<SmallString>` is transparent), compares equal
// to a `std::string_view`, and has a `std::hash`, so `HashMap<SmallString,
// V>` is looked up, erased and deferred-erased with a `string_view`. In the
// storm harness (`gcmap_storm --system=gcmap_erase`, three runs each,
// alternated) it took the storm of 500,000 erases from 0.24–0.28 s to
// 0.14–0.15 s and steady lookups up by 1–10%.
//
// Growth (Go's triggers, unchanged).
//
// Only an insertion of a new key into a map that is not already growing can
// start a grow:
//
// * **doubling** when `count+1 > 8 && count+1 > 6.5 * 2^B`. Go's table for
//   6.5: the average load before growth, overflow buckets ~21% at that load,
//   ~10.8 bytes of overhead per 8+8-byte entry, 4.25 slots probed per hit,
//   6.5 per miss. Lower wastes space, higher makes chains long.
// * **same-size growth** when the array has handed out as many overflow
//   buckets as it has buckets (`>= 2^B`): insert/delete churn leaves chains
//   long and sparse, and a same-size evacuation compacts them
//   (golang/go#16070). Go writes the threshold as `2^min(B,15)` on a counter
//   that, above B = 15, counts one overflow bucket in 2^(B-15); ours is an
//   exact count against 2^B, the same threshold.
//
// `hashGrow` only allocates the new array and swaps: `oldbuckets = buckets;
// buckets = new; nevacuate = 0`. It copies nothing.
//
// Incremental evacuation.
//
// Every insert of a new key and every erase on a growing map runs
// `growWork(hash)`: evacuate the old bucket that the key belongs to (`hash &
// oldmask`), then the one at `nevacuate`. So a grow ends within `noldbuckets`
// writes, and no single operation moves more than two old chains. Lookups,
// iterators and the collector never evacuate: a map that is only read keeps
// both arrays.
//
// `evacuate(i)` moves every entry of old chain i to new bucket `hash &
// newmask` — for a doubling that is X (= i) or Y (= i + 2^oldB), for a
// same-size grow it is i, for a shrink it is `i & newmask`, where old buckets
// i and i + 2^newB meet — appending at the first empty slot of the
// destination chain (a shrink's destination may already hold entries). The
// old slot becomes evacuatedX/Y when an iterator may still walk the old array
// (the key stays there, a copy, for the iterator to look up), evacuatedEmpty
// otherwise (key and value destroyed). Values always move.
// `advanceEvacuationMark` moves `nevacuate` past evacuated buckets, at most
// 1024 per call; when it reaches the old count the old array is dropped
// (`oldbuckets = nullptr`) and becomes garbage.
//
// Erase, tombstones, reseeding.
//
// Erase destroys the key and the value on the spot and marks the slot
// emptyOne; if the next slot (or the next bucket's first, a missing overflow
// counting as empty) is emptyRest, it walks back turning the trailing run of
// emptyOne into emptyRest, so lookups of absent keys stop early. When the
// count reaches zero the map takes a new seed, and a grow in progress ends
// (nothing is left to move). Erase and insert look the key up *before* any
// evacuation, so `m.erase(it->first)` works even though growWork may move
// that very entry.
//
// Shrinking (beyond Go: golang/go#20135).
//
// After an erase that leaves `count < 6.5 * 2^B / 4` (a quarter of the growth
// load), a map that is not growing, not fixed-capacity and above its minimum
// size starts a shrink: `hashGrow` to 2^(B-1) buckets, evacuated through the
// same growWork path (two old chains meet in each new bucket). After it, the
// load is under half the growth load, so it takes a doubling of the count to
// grow again and a halving to shrink again (hysteresis), and a shrink of a
// table with 2^B buckets needs at least ~1.6 x 2^B erases since the grow that
// made it (the amortisation the Go maintainers asked for, so that
// clear-and-refill patterns are not penalised by more than a constant). The
// minimum size is the one `reserve(n)` asked for (a map reserved for n never
// shrinks below n: rsc's suggestion in golang/go#45328). An empty map that
// qualifies simply gets the smaller table at once.
//
// clear, reserve, fixed capacity.
//
// * `clear()` keeps the table size (a refill to the same count does not
//   grow), unless the map is sparse (the shrink condition): then it gets the
//   size its current count needs, which makes clearing a big, mostly empty
//   map O(count) instead of O(capacity) (golang/go#70617). A small table, or
//   one whose entries have no destructors, is cleared in place (its overflow
//   chains are kept for the refill); otherwise the map takes a fresh table
//   and the old one, entries included, goes to the sweeper: no destructor
//   cascade on the calling thread. Iterations end at a clear.
// * `reserve(n)` finishes any evacuation, rehashes at once into a table for
//   n entries if it must grow, and sets the shrink floor. `n > max_size()`
//   throws `std::length_error` (see "Limits").
// * `HashMap(FixedCapacity{n})` sizes the table for n entries and never
//   grows (not even same-size), shrinks or rehashes; inserting a new key into
//   a full map throws `std::length_error("gcmap::HashMap: fixed capacity of n
//   entries exceeded ...")`. Overflow buckets are still allocated on demand.
//
// Iteration.
//
// The iterator walks the logical buckets of the array that was current when
// it started, each chain in order, slots in order; keys never move within an
// array, so each is returned at most once. While it walks:
//
// 1. If the map grew or shrank since it started, the array it walks is now
//    old (or an orphan). An entry evacuated since is evacuatedX/Y with its key
//    kept (begin() sets Go's `iterator` flag; `hashGrow` turns it into
//    `oldIterator` for the array that becomes old; evacuation copies keys
//    while it is set), so the iterator looks the key up in the map and
//    returns the current entry, or skips it if it was erased.
// 2. If it started during a grow (its array is the new one) and reaches a
//    logical bucket whose old bucket(s) are not evacuated, it reads those old
//    buckets directly (when doubling, only the keys that belong to this
//    bucket), and reads the new bucket only for what did not come from an
//    old bucket it read. Which old buckets it read is decided when it reaches
//    each and recorded, so an evacuation in the middle cannot make it return
//    a key twice.
// 3. After `clear()` the iteration ends.
//
// Every key present for the whole iteration is returned exactly once; keys
// inserted or erased during it may or may not be. Unlike Go we do not
// randomise the starting bucket: `begin() == begin()` holds for an unchanged
// map, as C++ code expects; the order still differs between maps and runs.
// NaN-like keys (not equal to themselves) get no special care: they can be
// inserted but never found.
//
// **The C++ contract** (also at the top of hashmap.h): lookups and iteration
// never move entries. Any insertion of a new key, any erase, clear, reserve
// and assignment may move entries; afterwards references and pointers to keys
// and values obtained before are invalid, and so is dereferencing an iterator
// obtained before — `++it` stays valid for an iterator from `begin()`, which
// continues the same iteration with the guarantee above. `it = m.erase(it)`
// returns the next entry of the same iteration. Iterators from `find()` and
// the insertions designate one entry and may be incremented until the next
// change of the map (they compute their walk state lazily from the entry's
// key, so a lookup costs a few stores). `m[a] = m[b]` is wrong when it may
// insert `a` (copy the value first), as with absl's flat maps. An iterator
// keeps what it walks alive only while it is on an attached thread's stack.
//
// Invariants (tests/map checks them through stats() and TestPeer: the
// evacuation, model and iteration tests):
//
// * `count` = number of slots with tophash >= 5 in the current array plus the
//   old array's unevacuated buckets.
// * While growing: old buckets below `nevacuate` are evacuated, the grow ends
//   exactly when `nevacuate` reaches the old count, and the old array is then
//   unreachable from the map.
// * emptyRest at slot i: every later slot of the chain is empty.
// * A key is in the old bucket `hash & oldmask` iff that bucket is not
//   evacuated; otherwise in new bucket `hash & newmask`.
// * `stats().tombstones` = emptyOne slots (kept per array, O(1)).
//
// Limits (max_size(), by key and value size): map/README.md, "Limits".
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <new>
#include <thread>
#include <type_traits>
#include <utility>

#include "gcmap/alloc/pagemap.h"
#include "gcmap/base/assert.h"
#include "gcmap/gc/barrier.h"
#include "gcmap/gc/object.h"
#include "gcmap/gc/ptr.h"
#include "gcmap/gc/root.h"
#include "gcmap/gc/visitor.h"
#include "gcmap/map/deferred.h"
#include "gcmap/map/hash.h"
#include "gcmap/map/internal/bucket.h"
#include "gcmap/map/internal/deferred_hub.h"
#include "gcmap/map/internal/failures.h"
#include "gcmap/map/internal/iterator.h"
#include "gcmap/map/internal/table.h"
#include "gcmap/map/options.h"
#include "gcmap/sched/safepoint.h"

namespace gcmap {

template <class K, class V, class Hash = gcmap::Hash<K>, class Eq = std::equal_to<>>
class HashMap {
  static_assert(std::is_copy_constructible_v<K>,
                "gcmap::HashMap: keys must be copyable (an evacuation keeps a copy for iterators)");
  static_assert(std::is_nothrow_move_constructible_v<K> && std::is_nothrow_move_constructible_v<V>,
                "gcmap::HashMap: keys and values must be nothrow move-constructible");
  static_assert(alignof(K) <= alloc::kObjectAlign && alignof(V) <= alloc::kObjectAlign,
                "gcmap::HashMap: over-aligned keys or values are not supported");

  static constexpr bool kScan = may_hold_gc_pointers<K> || may_hold_gc_pointers<V>;
  static constexpr bool kTransparent = requires {
    typename Hash::is_transparent;
    typename Eq::is_transparent;
  };
  template <class Q>
  using key_arg = typename map::detail::KeyArg<kTransparent>::template type<Q, K>;

 public:
  using key_type = K;
  using mapped_type = V;
  using value_type = std::pair<const K, V>;
  using size_type = size_t;
  using difference_type = std::ptrdiff_t;
  using hasher = Hash;
  using key_equal = Eq;
  using reference = std::pair<const K&, V&>;
  using const_reference = std::pair<const K&, const V&>;
  using iterator = map::detail::Iterator<HashMap, false>;
  using const_iterator = map::detail::Iterator<HashMap, true>;

  HashMap() : off_heap_(!alloc::in_heap(this)), seed_(map::detail::random_seed()) {}
  // Sized for n entries (see reserve).
  explicit HashMap(size_t n) : HashMap() { reserve(n); }
  // Sized for cap.entries, and never resized: see FixedCapacity.
  explicit HashMap(FixedCapacity cap) : HashMap() {
    if (cap.entries > max_size()) map::detail::throw_over_max_size(cap.entries, max_size());
    fixed_capacity_ = cap.entries == 0 ? 1 : cap.entries;
    min_log2_ = map::detail::log2_for(fixed_capacity_);
    sched::safepoint_poll();
    init_buckets(min_log2_);
  }
  HashMap(std::initializer_list<value_type> init) : HashMap(init.size()) {
    for (const auto& kv : init) try_emplace(kv.first, kv.second);
  }
  HashMap(const HashMap& o) : HashMap() {
    hash_ = o.hash_;
    eq_ = o.eq_;
    fixed_capacity_ = o.fixed_capacity_;
    min_log2_ = o.min_log2_;
    if (fixed_capacity_ != 0 || o.count_ != 0) reserve(std::max(o.count_, fixed_capacity_));
    for (auto it = o.begin(); it != o.end(); ++it) {
      // Copies first: try_emplace polls a safepoint, where a pause window may
      // apply o's deferred erases and destroy the entry `it` designates.
      K key(it.key());
      V value(it.value());
      try_emplace(std::move(key), std::move(value));
    }
  }
  HashMap(HashMap&& o) noexcept
      : off_heap_(!alloc::in_heap(this)), hash_(std::move(o.hash_)), eq_(std::move(o.eq_)) {
    take(o);
  }
  HashMap& operator=(const HashMap& o) {
    if (this != &o) *this = HashMap(o);
    return *this;
  }
  HashMap& operator=(HashMap&& o) noexcept {
    if (this != &o) {
      hash_ = std::move(o.hash_);
      eq_ = std::move(o.eq_);
      take(o);
    }
    return *this;
  }
  // Nothing is destroyed here: the buckets become garbage and the sweeper
  // destroys the entries (never touch other GC objects from here: a map
  // inside a GC object is destroyed by the sweeper).
  ~HashMap() {
    root_.release();
    delete deferred_.load(std::memory_order_acquire);  // queued erases die with the map
  }

  void swap(HashMap& o) noexcept {
    HashMap tmp(std::move(o));
    o = std::move(*this);
    *this = std::move(tmp);
  }

  // ---- Capacity ----------------------------------------------------------

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  size_t bucket_count() const { return buckets_ ? buckets_->nbuckets() : 0; }
  double load_factor() const {
    return buckets_ ? static_cast<double>(count_) / static_cast<double>(buckets_->nbuckets()) : 0;
  }
  // Entries the table holds before its next doubling.
  size_t capacity() const {
    size_t nb = buckets_ ? buckets_->nbuckets() : 1;
    return nb == 1 ? map::detail::kBucketCnt : 13 * (nb / 2);
  }

  // The most entries a map of this key and value type holds: the load limit
  // of the largest bucket array the heap allocates (alloc::kMaxObjectSize;
  // map/README.md, "Limits"). Inserting a new key into a map that holds
  // max_size() entries throws std::length_error and leaves the map as it
  // was; so do reserve(n), HashMap(n) and FixedCapacity{n} with n over it.
  size_t max_size() const noexcept { return map::detail::capacity_for(max_log2()); }

  // Size the table for n entries now (finishing any evacuation in progress
  // and rehashing everything at once if it must grow), and never shrink
  // below that size. On a fixed-capacity map, n beyond the capacity throws;
  // n over max_size() throws std::length_error.
  void reserve(size_t n);

  // ---- Lookup (never moves anything) -----------------------------------

  template <class Q = K>
  iterator find(const key_arg<Q>& key) {
    map::detail::require_attached("find");
    sched::safepoint_poll();
    check_no_writer();
    uint64_t h = hash_of(key);
    Slot s = find_slot(key, h);
    return s ? make_iterator<false>(s) : end();
  }
  template <class Q = K>
  const_iterator find(const key_arg<Q>& key) const {
    map::detail::require_attached("find");
    sched::safepoint_poll();
    check_no_writer();
    uint64_t h = hash_of(key);
    Slot s = find_slot(key, h);
    return s ? make_iterator<true>(s) : cend();
  }
  template <class Q = K>
  bool contains(const key_arg<Q>& key) const {
    map::detail::require_attached("contains");
    sched::safepoint_poll();
    check_no_writer();
    return static_cast<bool>(find_slot(key, hash_of(key)));
  }
  template <class Q = K>
  size_t count(const key_arg<Q>& key) const {
    return contains<Q>(key) ? 1 : 0;
  }
  // A pointer to the value of key, or null: the cheapest lookup.
  template <class Q = K>
  V* get(const key_arg<Q>& key) {
    map::detail::require_attached("get");
    sched::safepoint_poll();
    check_no_writer();
    Slot s = find_slot(key, hash_of(key));
    return s ? s.b->value(s.i) : nullptr;
  }
  template <class Q = K>
  const V* get(const key_arg<Q>& key) const {
    map::detail::require_attached("get");
    sched::safepoint_poll();
    check_no_writer();
    Slot s = find_slot(key, hash_of(key));
    return s ? s.b->value(s.i) : nullptr;
  }
  template <class Q = K>
  V& at(const key_arg<Q>& key) {
    map::detail::require_attached("at");
    V* v = get<Q>(key);
    if (v == nullptr) map::detail::throw_key_not_found();
    return *v;
  }
  template <class Q = K>
  const V& at(const key_arg<Q>& key) const {
    map::detail::require_attached("at");
    const V* v = get<Q>(key);
    if (v == nullptr) map::detail::throw_key_not_found();
    return *v;
  }

  // ---- Insertion ---------------------------------------------------------
  // The returned iterator designates the entry; .second tells whether it
  // was inserted. Arguments must not refer to entries of this map (an
  // insertion may move them before it reads its arguments).
  // Every insertion (try_emplace, emplace, insert, insert_or_assign,
  // operator[]) is a write of its key, whether it inserts or finds the key:
  // erase_deferred calls of that key queued before it are cancelled, so the
  // entry it reports is the one that stays.

  template <class... Args>
  std::pair<iterator, bool> try_emplace(const K& key, Args&&... args) {
    return emplace_impl(
        key, [&](void* p) { ::new (p) K(key); },
        [&](void* p) { ::new (p) V(std::forward<Args>(args)...); });
  }
  template <class... Args>
  std::pair<iterator, bool> try_emplace(K&& key, Args&&... args) {
    return emplace_impl(
        key, [&](void* p) { ::new (p) K(std::move(key)); },
        [&](void* p) { ::new (p) V(std::forward<Args>(args)...); });
  }
  // Heterogeneous: the key is built from q only if it is inserted.
  template <class Q, class... Args>
  requires(kTransparent && !std::is_same_v<std::remove_cvref_t<Q>, K> &&
           std::is_constructible_v<K, Q&&>) std::pair<iterator, bool> try_emplace(Q&& q,
                                                                                  Args&&... args) {
    return emplace_impl(
        q, [&](void* p) { ::new (p) K(std::forward<Q>(q)); },
        [&](void* p) { ::new (p) V(std::forward<Args>(args)...); });
  }

  template <class M>
  std::pair<iterator, bool> insert_or_assign(const K& key, M&& obj) {
    return assign_impl(
        key, [&](void* p) { ::new (p) K(key); }, std::forward<M>(obj));
  }
  template <class M>
  std::pair<iterator, bool> insert_or_assign(K&& key, M&& obj) {
    return assign_impl(
        key, [&](void* p) { ::new (p) K(std::move(key)); }, std::forward<M>(obj));
  }
  template <class Q, class M>
  requires(kTransparent && !std::is_same_v<std::remove_cvref_t<Q>, K> &&
           std::is_constructible_v<K, Q&&>) std::pair<iterator, bool> insert_or_assign(Q&& q,
                                                                                       M&& obj) {
    return assign_impl(
        q, [&](void* p) { ::new (p) K(std::forward<Q>(q)); }, std::forward<M>(obj));
  }

  // Inserts a default-constructed value if the key is absent. Assigning to
  // the result overwrites through V's own operator= (a Ptr runs its barrier).
  // It counts as a write of the key for deferred erases queued before it.
  V& operator[](const K& key) { return try_emplace(key).first.value(); }
  V& operator[](K&& key) { return try_emplace(std::move(key)).first.value(); }
  template <class Q>
  requires(kTransparent && !std::is_same_v<std::remove_cvref_t<Q>, K> &&
           std::is_constructible_v<K, Q&&>) V&
  operator[](Q&& q) {
    return try_emplace(std::forward<Q>(q)).first.value();
  }

  std::pair<iterator, bool> insert(const value_type& kv) {
    return try_emplace(kv.first, kv.second);
  }
  std::pair<iterator, bool> insert(value_type&& kv) {
    return try_emplace(kv.first, std::move(kv.second));
  }
  template <class KK, class... Args>
  std::pair<iterator, bool> emplace(KK&& key, Args&&... args) {
    return try_emplace(std::forward<KK>(key), std::forward<Args>(args)...);
  }

  // ---- Erase -------------------------------------------------------------

  // Erases the entry for key, if any; its key and value are destroyed now.
  // key may refer to the entry itself (m.erase(it->first)).
  template <class Q = K>
  requires(!std::is_convertible_v<const key_arg<Q>&, const_iterator>) size_t
      erase(const key_arg<Q>& key) {
    size_t n = erase_hashed(key, hash_of(key));
    // After: key may have referred to an entry that queued erases remove.
    apply_some_deferred();
    return n;
  }
  // Erases the entry at pos and returns the next one (an iterator with the
  // begin() guarantees, see the top of this file).
  iterator erase(const_iterator pos);
  iterator erase(iterator pos) { return erase(const_iterator(pos)); }

  // The erase path for a batch applied from elsewhere (deferred deletes):
  // hash must be hash_of(key) computed since the map last became empty (it
  // is reseeded then).
  template <class Q>
  size_t erase_hashed(const Q& key, uint64_t hash);
  template <class Q = K>
  uint64_t hash_of(const key_arg<Q>& key) const {
    return map::detail::apply_hash(hash_, key, seed_);
  }

  // Erases everything. Keeps the table size unless the map is sparse (then
  // it gets the size its current count needs: golang/go#70617); a large map
  // with entries that need destruction gets a fresh table and its old
  // entries go to the sweeper.
  void clear();

  // ---- Deferred erase (internal/deferred_hub.h, map/README.md "Delete storms")
  // These may be called from any attached thread while another thread owns
  // the map, but not while the map is being moved or destroyed.

  // Queue an erase of key and return: no hashing, no probing, no lock. The
  // erase is applied within the staleness target (GCMAP_DEFERRED_STALENESS,
  // by a pause window), at the start of the next collection cycle, by the
  // owner's next writes (a few per write), or by flush_deferred(),
  // whichever comes first; until then lookups still find the key. A write
  // of the same key after it (an insertion that inserts or finds the key,
  // an assignment) cancels it.
  template <class Q = K>
  void erase_deferred(const key_arg<Q>& key) {
    sched::safepoint_poll();  // a storm of these must not hold off a stop
    hub().push(key, write_seq_.load(std::memory_order_relaxed));
  }
  // Queue a bulk erase of every entry for which pred(key, value) holds,
  // applied a few buckets at a time; on_erase(key, value) sees each entry
  // just before it is destroyed. Entries present from the call until the
  // sweep ends are each examined at least once (again if the map grows or
  // shrinks meanwhile); others may or may not be. pred and on_erase may run
  // inside a pause window with the world stopped: keep them short, and do
  // not touch this map or block in them. If either throws, that bulk erase
  // is dropped (see flush_deferred).
  template <class Pred>
  void erase_if_deferred(Pred pred) {
    erase_if_deferred(std::move(pred), [](const K&, V&) {});
  }
  template <class Pred, class OnErase>
  void erase_if_deferred(Pred pred, OnErase on_erase) {
    sched::safepoint_poll();
    hub().add_sweep(std::move(pred), std::move(on_erase));
  }
  // The owner: apply everything queued for this map now, on this thread.
  // Returns the queued erases and swept entries it handled. If a hash, an
  // equality, a pred or an on_erase throws, that erase (or that whole
  // erase_if_deferred) is dropped, the rest stays queued and the exception
  // propagates. Otherwise, once everything is applied, it rethrows the
  // first exception that a pause window or one of the owner's writes caught
  // while applying this map's erases since the last flush (those are
  // counted in DeferredStats::callback_failures).
  size_t flush_deferred();
  // Queued erases and bulk erases not yet applied.
  size_t deferred_pending() const {
    auto* h = deferred_.load(std::memory_order_acquire);
    return h != nullptr ? h->pending() : 0;
  }

  // ---- Iteration ---------------------------------------------------------

  iterator begin() { return begin_impl<false>(); }
  const_iterator begin() const { return begin_impl<true>(); }
  const_iterator cbegin() const { return begin_impl<true>(); }
  iterator end() {
    iterator it;
    it.map_ = this;
    return it;
  }
  const_iterator end() const { return cend(); }
  const_iterator cend() const {
    const_iterator it;
    it.map_ = this;
    return it;
  }

  // ---- Introspection and the heap ---------------------------------------

  // O(1).
  HashMapStats stats() const;

  // Visits the bucket arrays. A map inside a GC object: call v.visit(map)
  // from the owner's trace.
  void trace(Visitor& v) const {
    v.visit(buckets_);
    v.visit(oldbuckets_);
  }

 private:
  template <class, bool>
  friend class map::detail::Iterator;
  template <class>
  friend struct map::detail::Walk;
  template <class>
  friend struct map::detail::TestPeer;
  template <class>
  friend class map::detail::DeferredHub;

  using Bucket = map::detail::Bucket<K, V>;
  using Array = map::detail::BucketArray<K, V, kScan>;
  using Slot = map::detail::Slot<Bucket>;
  using GrowMode = map::detail::GrowMode;
  static constexpr bool kTraced = Bucket::kTraceKey || Bucket::kTraceValue;
  // Whether hashing a key can throw (evacuate hashes a chain up front then).
  static constexpr bool kHashNoexcept = [] {
    if constexpr (requires(const Hash& h, const K& k, uint64_t seed) {
                    { h(k, seed) } -> std::convertible_to<uint64_t>;
                  }) {
      return noexcept(std::declval<const Hash&>()(std::declval<const K&>(), uint64_t{}));
    } else {
      return noexcept(std::declval<const Hash&>()(std::declval<const K&>()));
    }
  }();
  static constexpr bool kTrivialEntries =
      std::is_trivially_destructible_v<K> && std::is_trivially_destructible_v<V>;

  // Go's hashWriting, as an RAII guard: set at the start of a write (after
  // hashing, which may throw), checked and cleared at its end (also when a
  // constructor throws).
  class WriteGuard {
   public:
    explicit WriteGuard(HashMap* m) : m_(m) {
      uint8_t f = m->flags();
      if (GCMAP_UNLIKELY(f & map::detail::kFlagWriting)) map::detail::fatal_concurrent_writes();
      m->set_flags(f | map::detail::kFlagWriting);
    }
    ~WriteGuard() {
      uint8_t f = m_->flags();
      if (GCMAP_UNLIKELY(!(f & map::detail::kFlagWriting))) map::detail::fatal_concurrent_writes();
      m_->set_flags(f & ~map::detail::kFlagWriting);
    }
    WriteGuard(const WriteGuard&) = delete;
    WriteGuard& operator=(const WriteGuard&) = delete;

   private:
    HashMap* m_;
  };

  uint8_t flags() const { return __atomic_load_n(&flags_, __ATOMIC_RELAXED); }
  void set_flags(uint8_t f) { __atomic_store_n(&flags_, f, __ATOMIC_RELAXED); }
  // begin() and erase(iterator): evacuations must keep keys from now on.
  // Readers may call it concurrently, hence the atomic or.
  void note_iterator() const {
    constexpr uint8_t kBoth = map::detail::kFlagIterator | map::detail::kFlagOldIterator;
    if ((flags() & kBoth) != kBoth) __atomic_fetch_or(&flags_, kBoth, __ATOMIC_RELAXED);
  }

  bool growing() const { return oldbuckets_.get() != nullptr; }
  GrowMode grow_mode() const {
    if (!growing()) return GrowMode::kNone;
    uint8_t f = flags();
    if (f & map::detail::kFlagShrink) return GrowMode::kShrink;
    if (f & map::detail::kFlagSameSize) return GrowMode::kSameSize;
    return GrowMode::kDouble;
  }
  static size_t mask(uint8_t log2) { return (size_t{1} << log2) - 1; }
  // The largest B this map grows to (see max_size()).
  static unsigned max_log2() noexcept {
    static_assert(Array::bytes_for(0) <= alloc::kMaxObjectSize,
                  "gcmap::HashMap: a bucket of these keys and values is over the largest object");
    return std::min(Array::max_log2(), map::detail::g_max_log2_for_testing);
  }

  // Go's mapaccess: the old bucket while it is not evacuated, else the new.
  // A read must not overlap a write (Go's "concurrent map read and map write").
  void check_no_writer() const {
    if (GCMAP_UNLIKELY(flags() & map::detail::kFlagWriting)) {
      map::detail::fatal_concurrent_read_write();
    }
  }

  template <class Q>
  GCMAP_ALWAYS_INLINE Slot find_slot(const Q& key, uint64_t hash) const {
    Array* a = buckets_.get();
    if (a == nullptr) return {};
    Bucket* b = a->bucket(hash & mask(log2_));
    bool in_old = false;
    if (Array* old = oldbuckets_.get(); GCMAP_UNLIKELY(old != nullptr)) {
      Bucket* ob = old->bucket(hash & mask(old_log2_));
      if (!map::detail::evacuated(ob)) {
        b = ob;
        in_old = true;
      }
    }
    Bucket* head = b;
    map::detail::prefetch_bucket(b);
    const uint8_t top = map::detail::tophash_of(hash);
    do {
      uint64_t w = b->top_word();
      for (uint64_t m = map::detail::match_top(w, top); m != 0; m &= m - 1) {
        unsigned i = map::detail::first_slot(m);
        if (eq_(key, *b->key(i))) return Slot{b, head, i, in_old};
      }
      // emptyRest in slot 7 <=> in some slot: nothing further in the chain.
      if (b->top(map::detail::kBucketCnt - 1) == map::detail::kEmptyRest) break;
      b = b->overflow;
    } while (b != nullptr);
    return {};
  }

  // An iterator designating slot s; its walk state is computed if it is
  // ever incremented (Iterator::materialize).
  template <bool kConst>
  GCMAP_ALWAYS_INLINE map::detail::Iterator<HashMap, kConst> make_iterator(const Slot& s) const {
    map::detail::Iterator<HashMap, kConst> it;
    it.map_ = this;
    it.key_ = s.b->key(s.i);
    it.value_ = s.b->value(s.i);
    it.lazy_ = true;
    return it;
  }
  // The state a walk from bucket 0 has on reaching slot s (found for hash).
  GCMAP_NOINLINE void position_at(map::detail::Walk<HashMap>& w, const Slot& s,
                                  uint64_t hash) const;
  template <bool kConst>
  map::detail::Iterator<HashMap, kConst> begin_impl() const;

  // Both are writes of key, found or inserted: erases of key queued before
  // them are cancelled (noted after hashing, which may throw).
  template <class Q, class CK, class CV>
  std::pair<iterator, bool> emplace_impl(const Q& key, CK&& ck, CV&& cv) {
    sched::safepoint_poll();
    apply_some_deferred();
    uint64_t h = hash_of(key);
    note_deferred_write(key);
    auto [s, inserted] = insert_slot(key, h, ck, cv);
    return {make_iterator<false>(s), inserted};
  }
  template <class Q, class CK, class M>
  std::pair<iterator, bool> assign_impl(const Q& key, CK&& ck, M&& obj) {
    sched::safepoint_poll();
    apply_some_deferred();
    uint64_t h = hash_of(key);
    note_deferred_write(key);
    auto cv = [&](void* p) { ::new (p) V(std::forward<M>(obj)); };
    auto [s, inserted] = insert_slot(key, h, ck, cv);
    if (!inserted) {
      V* v = s.b->value(s.i);
      gc::drop_barrier(*v);
      *v = std::forward<M>(obj);
    }
    return {make_iterator<false>(s), inserted};
  }

  template <class Q, class CK, class CV>
  std::pair<Slot, bool> insert_slot(const Q& key, uint64_t hash, CK& ck, CV& cv);
  template <class CK, class CV>
  void construct_slot(Bucket* b, unsigned i, uint8_t top, CK& ck, CV& cv);
  void erase_slot(const Slot& s);
  void maybe_shrink();

  // internal/grow.h: Go's hashGrow, growWork, evacuate, advanceEvacuationMark.
  void hash_grow(uint8_t new_log2);
  void grow_work(uint64_t hash, Slot* track);
  void evacuate(size_t oldbucket, Slot* track);
  void advance_evacuation_mark();
  void finish_growth();
  void evacuate_all();

  // Deferred erases (internal/deferred_hub.h).
  using Hub = map::detail::DeferredHub<HashMap>;
  using ApplyMode = map::detail::ApplyMode;
  // Queued erases a write applies before its own work, and buckets an
  // erase_if_deferred step sweeps.
  static constexpr size_t kDeferredPerWrite = 4;
  static constexpr size_t kSweepBucketsPerStep = 16;
  struct SweepCursor {  // an erase_if_deferred's place in a table
    const void* table = nullptr;
    uint32_t epoch = 0;
    size_t bucket = 0;
  };
  Hub& hub();
  // A write applies a few queued erases first (as growWork evacuates a few
  // buckets), and records itself if erases are pending.
  void apply_some_deferred();
  template <class Q>
  void note_deferred_write(const Q& key) {
    Hub* h = deferred_.load(std::memory_order_acquire);
    if (h != nullptr && h->pending() != 0) {
      uint64_t seq = write_seq_.load(std::memory_order_relaxed) + 1;
      write_seq_.store(seq, std::memory_order_relaxed);
      h->note_write(key, seq);
    }
  }
  // Whether a window may apply erases now: not in the middle of the
  // owner's write. (A growing map is fine: a window erases in place, in the
  // old bucket or the new one, and leaves the evacuation to the owner.)
  bool deferred_window_ok() const { return !(flags() & map::detail::kFlagWriting); }
  template <class Q>
  void deferred_erase(const Q& key, ApplyMode mode);
  template <class Pred, class OnErase>
  bool deferred_sweep(const Pred& pred, const OnErase& on_erase, SweepCursor& c, size_t* erased);

  void init_buckets(uint8_t log2);
  void register_root() {
    if (off_heap_ && !root_.registered()) {
      root_ = RootProvider(
          this, [](const void* self, Visitor& v) { static_cast<const HashMap*>(self)->trace(v); });
    }
  }
  // Move o's contents here (o becomes empty); drops what this held.
  void take(HashMap& o) noexcept;

  size_t count_ = 0;
  mutable uint8_t flags_ = 0;
  uint8_t log2_ = 0;      // B
  uint8_t old_log2_ = 0;  // B of oldbuckets_
  uint8_t min_log2_ = 0;  // no shrink below (reserve, fixed capacity)
  bool off_heap_;
  uint32_t epoch_ = 0;  // bumped by clear(): iterations end
  uint64_t seed_ = 0;
  size_t nevacuate_ = 0;       // old buckets below this are evacuated
  size_t fixed_capacity_ = 0;  // 0: growable
  Ptr<Array> buckets_;
  Ptr<Array> oldbuckets_;
  RootProvider root_;
  // Deferred erases: the hub (created by the first erase_deferred, from any
  // thread), and the count of writes made while erases were pending (their
  // order against queued erases of the same key).
  std::atomic<map::detail::DeferredHub<HashMap>*> deferred_{nullptr};
  std::atomic<uint64_t> write_seq_{0};
  [[no_unique_address]] Hash hash_;
  [[no_unique_address]] Eq eq_;
};

}  // namespace gcmap

#include "gcmap/map/internal/grow.h"
#include "gcmap/map/internal/hashmap_impl.h"
