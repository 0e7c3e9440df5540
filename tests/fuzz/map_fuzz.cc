// libFuzzer target: random operation sequences on gcmap::HashMap, checked
// against a std::unordered_map model.
//
// The first byte of an input picks the key type (uint64_t, std::string or
// gcmap::SmallString) and the key universe; every later op is an opcode byte
// and its arguments (FuzzedDataProvider). Values are Ptr<Obj>: an Obj and a
// child it points to, each carrying a checksum of its id that every read
// verifies, so a value freed or moved wrongly by the collector is noticed.
// Collections of every kind are ops too (stop-the-world, concurrent, a mark
// left running across later ops, precise), and the runtime runs in verify
// mode (GCMAP_VERIFY=1, set before it starts) with a mild torture setting.
//
// Deferred erases make some keys uncertain until flush_deferred(): an
// erase_deferred'ed key may still be found with its old value or be gone
// (map/README.md, "Delete storms"), and erase_if_deferred may or may not
// see keys inserted while it runs. The model records why a key is
// uncertain; after a flush each reason resolves to exactly one answer and
// the map must equal the model (size, lookups, iteration).
#include <fuzzer/FuzzedDataProvider.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gcmap/gc/testing.h"
#include "gcmap/gcmap.h"

namespace {

// Abort with a message: libFuzzer reports it as a crash and saves the input.
[[noreturn]] void fail(const char* what, unsigned long long a = 0, unsigned long long b = 0) {
  std::fprintf(stderr, "map_fuzz: check failed: %s (%llu, %llu)\n", what, a, b);
  std::abort();
}
#define FUZZ_CHECK(cond, ...)                 \
  do {                                        \
    if (!(cond)) fail(#cond " " __VA_ARGS__); \
  } while (0)

// MAP_FUZZ_TRACE=1: print each op and its key index to stderr, to turn a
// crashing input into a sequence of calls for a bug report.
bool g_trace = false;
#define TRACE(...)                                  \
  do {                                              \
    if (g_trace) std::fprintf(stderr, __VA_ARGS__); \
  } while (0)

uint64_t checksum(uint64_t id) {
  uint64_t x = id * 0x9E3779B97F4A7C15ull;
  return x ^ (x >> 29) ^ 0x5EEDC0DEull;
}
constexpr uint64_t kChildTag = uint64_t{1} << 63;

// A small GC value: an id, its checksum, and a child that must survive as
// long as the parent does (tracing through the map's values).
struct Obj : gcmap::GarbageCollected<Obj> {
  Obj(uint64_t i, Obj* c) : id(i), check(checksum(i)), child(c) {}
  ~Obj() { check = 0; }  // a read after the sweep fails the checksum
  void trace(gcmap::Visitor& v) const { v.visit(child); }
  uint64_t id;
  uint64_t check;
  gcmap::Ptr<Obj> child;
};

Obj* make_value(uint64_t id) {
  Obj* c = gcmap::make<Obj>(id | kChildTag, nullptr);
  return gcmap::make<Obj>(id, c);
}

void verify_obj(const Obj* o) {
  if (o == nullptr) fail("value is null");
  if (o->check != checksum(o->id)) fail("value checksum (freed or corrupt)", o->id, o->check);
}
void verify_value(const gcmap::Ptr<Obj>& v, uint64_t expect_id) {
  const Obj* p = v.get();
  verify_obj(p);
  if (p->id != expect_id) fail("value is not the model's", p->id, expect_id);
  const Obj* c = p->child.get();
  verify_obj(c);
  if (c->id != (expect_id | kChildTag)) fail("child is not the value's", c->id, expect_id);
}

// 64 bits from a key's bytes, for key-only predicates (erase_if_deferred).
uint64_t bits_of(uint64_t k) {
  return k;
}
uint64_t bits_of(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
  return h;
}

// Keys from small indices: integers (0 and ~0 included) and strings short
// and long (past std::string's SSO and SmallString's 30 inline bytes), some
// with an embedded NUL.
struct U64Keys {
  using Key = uint64_t;
  static Key key(uint32_t i) { return i == 0 ? ~uint64_t{0} : uint64_t{i} * 0x100000001b3ull; }
  static uint64_t bits(const Key& k) { return bits_of(k); }
};
std::string string_key(uint32_t i) {
  switch (i % 4) {
    case 0:
      return "k" + std::to_string(i);
    case 1:
      return "session:" + std::to_string(i) + ":with-a-suffix-beyond-any-inline-buffer";
    case 2:
      return std::string("nul\0", 4) + std::to_string(i);
    default:
      return std::string(20, 'x') + std::to_string(i);  // around the SSO limits
  }
}
struct StringKeys {
  using Key = std::string;
  static Key key(uint32_t i) { return string_key(i); }
  static uint64_t bits(const Key& k) { return bits_of(std::string_view(k)); }
};
struct SmallStringKeys {
  using Key = gcmap::SmallString;
  static Key key(uint32_t i) { return gcmap::SmallString(string_key(i)); }
  static uint64_t bits(const Key& k) { return bits_of(k.view()); }
};

// A key-only predicate for erase_if_deferred: bits % mod == rem.
struct KeyPred {
  uint64_t mod, rem;
  bool operator()(uint64_t bits) const { return bits % mod == rem; }
};

std::atomic<uint64_t> g_on_erase{0};

template <class Keys>
class Harness {
  using Key = typename Keys::Key;
  using Map = gcmap::HashMap<Key, gcmap::Ptr<Obj>>;

  // What the model knows of a present key. Uncertain: `queued` (an
  // erase_deferred not superseded by a later write) and `swept` (present
  // when a matching erase_if_deferred was queued) must be gone after a
  // flush; `maybe` (inserted while a matching sweep was pending) is either.
  struct Entry {
    uint64_t id;
    bool queued = false;
    bool swept = false;
    bool maybe = false;
    bool uncertain() const { return queued || swept || maybe; }
  };

 public:
  Harness(FuzzedDataProvider& in, uint32_t universe) : in_(in), universe_(universe) {}

  void run() {
    while (in_.remaining_bytes() > 0) {
      step(in_.ConsumeIntegral<uint8_t>());
      check_size_bounds();
    }
    TRACE("\nend of input\n");
    if (marking_) gcmap::testing::finish_concurrent_mark();
    check_exact();
  }

 private:
  Key key() {
    uint32_t i = in_.ConsumeIntegralInRange<uint32_t>(0, universe_ - 1);
    TRACE(" key#%u", i);
    return Keys::key(i);
  }

  bool sweep_matches(const Key& k) const {
    for (const KeyPred& p : sweeps_) {
      if (p(Keys::bits(k))) return true;
    }
    return false;
  }

  // A write of k that inserted or assigned the value id.
  void wrote(const Key& k, uint64_t id, bool inserted) {
    auto it = model_.find(k);
    if (inserted) {
      FUZZ_CHECK(it == model_.end() || it->second.uncertain(), "inserted a key the model has");
      Entry e{id};
      e.maybe = sweep_matches(k);
      model_[k] = e;
    } else {
      FUZZ_CHECK(it != model_.end(), "assigned a key the model does not have");
      it->second.id = id;
      it->second.queued = false;  // the write supersedes queued erases
    }
  }

  // A lookup result for k: present with the model's value, or absent.
  void observe(const Key& k, const gcmap::Ptr<Obj>* v) {
    auto it = model_.find(k);
    if (v != nullptr) {
      FUZZ_CHECK(it != model_.end(), "found a key the model does not have");
      verify_value(*v, it->second.id);
    } else if (it != model_.end()) {
      FUZZ_CHECK(it->second.uncertain(), "a present key was not found");
      model_.erase(it);  // a deferred erase got it: nothing brings it back
    }
  }

  void insert_or_assign(const Key& k) {
    uint64_t id = next_id_++;
    auto [it, inserted] = map_.insert_or_assign(k, make_value(id));
    verify_value(it->second, id);
    wrote(k, id, inserted);
  }
  void try_emplace(const Key& k) {
    uint64_t id = next_id_++;
    auto [it, inserted] = map_.try_emplace(k, make_value(id));
    if (inserted) {
      verify_value(it->second, id);
      wrote(k, id, true);
    } else {
      // Still a write of k: it cancels the erases of k queued before it,
      // so the entry it reports stays (a pending sweep may still take it).
      auto m = model_.find(k);
      FUZZ_CHECK(m != model_.end(), "try_emplace found a key the model does not have");
      verify_value(it->second, m->second.id);
      m->second.queued = false;
    }
  }
  void subscript(const Key& k) {
    uint64_t id = next_id_++;
    Obj* v = make_value(id);
    map_[k] = v;  // always a write of k: supersedes queued erases of k
    // operator[] does not say whether it inserted. A key the model lacks
    // was inserted; one it has was assigned, unless a pending sweep erased
    // it first: then the new entry may or may not be swept.
    auto m = model_.find(k);
    bool inserted = m == model_.end();
    if (!inserted && m->second.swept) {
      m->second.swept = false;
      m->second.maybe = true;
    }
    wrote(k, id, inserted);
    observe(k, map_.get(k));
  }
  void erase_key(const Key& k) {
    size_t n = map_.erase(k);
    auto it = model_.find(k);
    if (it == model_.end()) {
      FUZZ_CHECK(n == 0, "erase removed a key the model does not have");
    } else {
      FUZZ_CHECK(n == 1 || it->second.uncertain(), "erase missed a present key");
      model_.erase(it);
    }
    FUZZ_CHECK(!map_.contains(k), "a key erased is still found");
  }
  void erase_iterator(const Key& k) {
    auto it = map_.find(k);
    observe(k, it == map_.end() ? nullptr : &it->second);
    if (it == map_.end()) return;
    map_.erase(it);
    model_.erase(k);
    FUZZ_CHECK(!map_.contains(k), "a key erased by iterator is still found");
  }
  void erase_deferred(const Key& k) {
    map_.erase_deferred(k);
    if (auto it = model_.find(k); it != model_.end()) it->second.queued = true;
  }
  void erase_if_deferred() {
    KeyPred p{in_.ConsumeIntegralInRange<uint64_t>(1, 8), 0};
    p.rem = in_.ConsumeIntegralInRange<uint64_t>(0, p.mod - 1);
    // pred and on_erase may run in a pause window on another thread: they
    // read only the entry they are given.
    map_.erase_if_deferred(
        [p](const Key& k, const gcmap::Ptr<Obj>& v) {
          verify_obj(v.get());
          return p(Keys::bits(k));
        },
        [](const Key&, gcmap::Ptr<Obj>& v) {
          verify_obj(v.get());
          verify_obj(v->child.get());
          g_on_erase.fetch_add(1, std::memory_order_relaxed);
        });
    sweeps_.push_back(p);
    for (auto& [k, e] : model_) {
      if (p(Keys::bits(k))) e.swept = true;
    }
  }

  void lookup(const Key& k) {
    switch (in_.ConsumeIntegralInRange<int>(0, 3)) {
      case 0: {
        auto it = map_.find(k);
        observe(k, it == map_.end() ? nullptr : &it->second);
        break;
      }
      case 1:
        observe(k, map_.get(k));
        break;
      case 2: {
        bool has = map_.contains(k);
        auto it = model_.find(k);
        if (!has) observe(k, nullptr);
        FUZZ_CHECK(!has || it != model_.end(), "contains a key the model does not have");
        FUZZ_CHECK(
            map_.count(k) == (has ? 1u : 0u) || (it != model_.end() && it->second.uncertain()),
            "count disagrees with contains");
        break;
      }
      default: {
        const Map& cm = map_;
        try {
          observe(k, &cm.at(k));
        } catch (const std::out_of_range&) {
          observe(k, nullptr);
        }
      }
    }
  }

  // for (it = begin; ...) with erases by iterator and by key, inserts of new
  // keys and collections on the way. Keys present throughout are visited
  // exactly once; keys inserted meanwhile may or may not be.
  void iterate() {
    const uint8_t erase_rate = in_.ConsumeIntegral<uint8_t>();
    const uint8_t extra = in_.ConsumeIntegral<uint8_t>();  // insert/collect choices
    std::unordered_set<Key> seen, inserted;
    uint32_t n = 0;
    for (auto it = map_.begin(); it != map_.end();) {
      const Key k = it->first;
      if (!inserted.count(k)) {
        FUZZ_CHECK(seen.insert(k).second, "iteration visited a key twice");
      }
      observe(k, &it->second);
      ++n;
      uint8_t r = static_cast<uint8_t>(n * 37 + extra);
      if (r < erase_rate) {
        if (r & 1) {
          it = map_.erase(it);
        } else {
          map_.erase(k);
          ++it;
        }
        model_.erase(k);
        continue;
      }
      if ((extra & 1) && r % 16 == 0) {
        uint32_t i = universe_ + (n % 256);  // outside the universe: new keys
        Key nk = Keys::key(i);
        if (!model_.count(nk)) {
          uint64_t id = next_id_++;
          map_.try_emplace(nk, make_value(id));
          wrote(nk, id, true);
          inserted.insert(nk);
        }
      }
      if ((extra & 2) && r % 32 == 1) gcmap::collect();
      ++it;
    }
    // A key the model has, not visited, not inserted meanwhile: a deferred
    // erase got it during the walk, or the iteration lost it.
    std::vector<Key> gone;
    for (auto& [k, e] : model_) {
      if (seen.count(k) || inserted.count(k)) continue;
      FUZZ_CHECK(e.uncertain(), "iteration missed a present key");
      FUZZ_CHECK(!map_.contains(k), "iteration missed a key that is present");
      gone.push_back(k);
    }
    for (const Key& k : gone) model_.erase(k);
  }

  void collect_op() {
    int kind = in_.ConsumeIntegralInRange<int>(0, 4);
    TRACE(" kind %d", kind);
    switch (kind) {
      case 0:
        gcmap::collect();
        break;
      case 1:
        gcmap::collect_concurrent();
        marking_ = false;
        break;
      case 2:
        gcmap::testing::concurrent_cycle();
        marking_ = false;
        break;
      case 3:  // a mark left running across the next ops
        if (!marking_) gcmap::testing::start_concurrent_mark();
        marking_ = true;
        break;
      default:
        gcmap::testing::finish_concurrent_mark();
        marking_ = false;
        break;
    }
  }

  // A copy holds what the map held while it was copied. Pause windows may
  // apply queued erases to the source at any safepoint (during the copy and
  // after it), so the copy is checked against the model: every key it has
  // is the model's, with the model's value; every certain key is in it.
  void copy_check() {
    Map copy(map_);
    size_t n = 0;
    for (auto it = copy.begin(); it != copy.end(); ++it) {
      auto m = model_.find(it->first);
      FUZZ_CHECK(m != model_.end(), "copy has a key the model does not have");
      verify_value(it->second, m->second.id);
      ++n;
    }
    FUZZ_CHECK(n == copy.size(), "copy iterates another count than its size", n, copy.size());
    for (const auto& [k, e] : model_) {
      if (!e.uncertain()) FUZZ_CHECK(copy.contains(k), "copy lacks a present key");
    }
  }

  void step(uint8_t op) {
    static const char* const kNames[20] = {"insert_or_assign",
                                           "insert_or_assign",
                                           "try_emplace",
                                           "operator[]",
                                           "erase",
                                           "erase(find)",
                                           "erase_deferred",
                                           "erase_if_deferred",
                                           "check_exact",
                                           "lookup",
                                           "lookup",
                                           "iterate",
                                           "reserve",
                                           "clear?",
                                           "collect",
                                           "bulk insert",
                                           "bulk erase",
                                           "copy",
                                           "collect_precise",
                                           "flush_deferred"};
    TRACE("\nop %s (size %zu, growing %d)", kNames[op % 20], map_.size(),
          int(map_.stats().growing));
    switch (op % 20) {
      case 0:
      case 1:
        insert_or_assign(key());
        break;
      case 2:
        try_emplace(key());
        break;
      case 3:
        subscript(key());
        break;
      case 4:
        erase_key(key());
        break;
      case 5:
        erase_iterator(key());
        break;
      case 6:
        erase_deferred(key());
        break;
      case 7:
        erase_if_deferred();
        break;
      case 8:
        check_exact();
        break;
      case 9:
      case 10:
        lookup(key());
        break;
      case 11:
        iterate();
        break;
      case 12:
        map_.reserve(in_.ConsumeIntegralInRange<size_t>(0, 4 * universe_));
        break;
      case 13:
        if (in_.ConsumeIntegral<uint8_t>() < 64) {
          map_.clear();
          // clear() drops entries now; queued erases of them find nothing,
          // and a pending sweep still applies to later inserts.
          model_.clear();
        }
        break;
      case 14:
        collect_op();
        break;
      case 15: {  // a run of inserts: growth
        uint32_t from = in_.ConsumeIntegralInRange<uint32_t>(0, universe_ - 1);
        uint32_t n = in_.ConsumeIntegralInRange<uint32_t>(1, 512);
        TRACE(" from key#%u, %u keys", from, n);
        for (uint32_t i = 0; i < n; ++i) insert_or_assign(Keys::key((from + i) % universe_));
        break;
      }
      case 16: {  // a run of erases, immediate or deferred: shrink, storms
        uint32_t from = in_.ConsumeIntegralInRange<uint32_t>(0, universe_ - 1);
        uint32_t n = in_.ConsumeIntegralInRange<uint32_t>(1, 512);
        bool deferred = in_.ConsumeBool();
        TRACE(" from key#%u, %u keys, %s", from, n, deferred ? "erase_deferred" : "erase");
        for (uint32_t i = 0; i < n; ++i) {
          Key k = Keys::key((from + i) % universe_);
          if (deferred) {
            erase_deferred(k);
          } else {
            erase_key(k);
          }
        }
        break;
      }
      case 17:
        copy_check();
        break;
      case 18:
        if (!marking_) {
          // Nothing of ours is live outside the map between ops: the map
          // alone (a RootProvider) must keep every value.
          gcmap::testing::collect_precise();
        }
        break;
      default:
        flush_and_resolve();
        break;
    }
  }

  void check_size_bounds() {
    size_t sure = 0;
    for (auto& [k, e] : model_) sure += !e.uncertain();
    size_t n = map_.size();
    FUZZ_CHECK(n >= sure && n <= model_.size(), "size out of the model's bounds", n, sure);
  }

  // After a flush every queued erase and every sweep is done.
  void flush_and_resolve() {
    map_.flush_deferred();
    FUZZ_CHECK(map_.deferred_pending() == 0, "erases pending after flush_deferred");
    sweeps_.clear();
    for (auto it = model_.begin(); it != model_.end();) {
      Entry& e = it->second;
      if (e.queued || e.swept) {
        FUZZ_CHECK(!map_.contains(it->first), "a deferred erase was not applied by the flush");
        it = model_.erase(it);
        continue;
      }
      if (e.maybe) {
        const gcmap::Ptr<Obj>* v = map_.get(it->first);
        if (v == nullptr) {
          it = model_.erase(it);
          continue;
        }
        verify_value(*v, e.id);
        e.maybe = false;
      }
      ++it;
    }
  }

  // The map equals the model: size, every key's value, one visit per key.
  void check_exact() {
    flush_and_resolve();
    FUZZ_CHECK(map_.size() == model_.size(), "size differs from the model", map_.size(),
               model_.size());
    FUZZ_CHECK(map_.stats().count == model_.size(), "stats().count differs from the model");
    size_t n = 0;
    for (const auto& [k, v] : map_) {
      auto it = model_.find(k);
      FUZZ_CHECK(it != model_.end(), "iteration found a key the model does not have");
      verify_value(v, it->second.id);
      ++n;
    }
    FUZZ_CHECK(n == model_.size(), "iteration count differs from the model", n, model_.size());
    for (const auto& [k, e] : model_) {
      const gcmap::Ptr<Obj>* v = map_.get(k);
      FUZZ_CHECK(v != nullptr, "a model key is missing");
      verify_value(*v, e.id);
    }
  }

  FuzzedDataProvider& in_;
  const uint32_t universe_;
  Map map_;
  std::unordered_map<Key, Entry> model_;
  std::vector<KeyPred> sweeps_;  // erase_if_deferred calls not yet flushed
  uint64_t next_id_ = 0;
  bool marking_ = false;  // a mark started by an op is running
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Before the runtime starts (it reads the environment once): verify every
  // mark, and a torture cycle now and then, unless the caller chose.
  setenv("GCMAP_VERIFY", "1", 1);
  const char* t = getenv("MAP_FUZZ_TRACE");
  g_trace = t != nullptr && *t == '1';
  setenv("GCMAP_GC_TORTURE", "2000", 0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const uint8_t head = in.ConsumeIntegral<uint8_t>();
  const uint32_t universe = 8u << ((head >> 2) % 8);  // 8 .. 1024 keys
  TRACE("input: %s keys, universe %u",
        head % 3 == 0   ? "uint64_t"
        : head % 3 == 1 ? "std::string"
                        : "SmallString",
        universe);
  gcmap::ThreadScope attach;
  switch (head % 3) {
    case 0:
      Harness<U64Keys>(in, universe).run();
      break;
    case 1:
      Harness<StringKeys>(in, universe).run();
      break;
    default:
      Harness<SmallStringKeys>(in, universe).run();
      break;
  }
  return 0;
}
