// One mutator thread's workload, run against one map: LOAD, STEADY, STORM,
// AFTER, then (after the harness's forced collection) VERIFY. The loops are
// templates over the map type, instantiated in each system's file, so a map
// operation is a direct (usually inlined) call, as in a real service.
//
// Timing: only the map call sits between the two tick reads; choosing the
// op, drawing the random index and formatting the key happen outside it (they
// do count in the phase's wall time, i.e. in Mops/s, equally for every
// system). The storm's victims and its lookup keys are drawn before the storm
// clock starts. The op sequence is a pure function of --seed and the thread
// index (workload_def.h), and bench/go/workload.go runs the same one.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "gcmap/base/clock.h"
#include "options.h"
#include "phase_stats.h"
#include "present_keys.h"
#include "tick_clock.h"
#include "workload_def.h"

namespace storm {

class Harness;

// What the worker needs from a map. insert() is only called with a key that
// is not present; lookup() stores the found session's id in `id`. for_each(f)
// calls f(std::string_view key, uint64_t id, uint64_t content_sum(session))
// once per entry. Optional members, used when present:
//   storm_erase(key)  the STORM's erase (gcmap's erase_deferred); if it
//                     returns bool, false counts as a miss
//   flush()           before VERIFY: apply anything still queued
template <class M>
concept StormMap = requires(M& m, const M& cm, std::string_view key, uint64_t id, uint64_t& out) {
  m.insert(key, id);
  { m.lookup(key, out) } -> std::same_as<bool>;
  { m.erase(key) } -> std::same_as<bool>;
  { cm.size() } -> std::convertible_to<size_t>;
};

class Worker {
 public:
  Worker(Harness& harness, const Options& options, const TickClock& clock, unsigned index);

  template <StormMap Map>
  void run(Map& map);

  unsigned index() const { return index_; }
  const PhaseStats& stats(Phase p) const { return stats_[p]; }
  const VerifyResult& verify_result() const { return verify_; }

 private:
  uint64_t next_id() { return session_id(opt_.seed, index_, created_++); }
  void sync();
  void prepare_storm();
  void compute_expected();

  template <class Map>
  void load(Map& map);
  template <class Map>
  void mixed(Map& map, PhaseStats& ps, uint64_t max_ops, double seconds);
  template <class Map>
  void storm(Map& map);
  template <class Map>
  void verify(Map& map);

  Harness& harness_;
  const Options& opt_;
  const TickClock& clock_;
  const unsigned index_;
  const uint64_t n_;  // this thread's share of --n
  Rng rng_;
  uint64_t created_ = 0;
  PresentKeys present_;
  std::vector<uint64_t> victims_, storm_lookups_;
  PhaseStats stats_[kMeasuredPhases];
  VerifyResult verify_;
};

template <StormMap Map>
void Worker::run(Map& map) {
  sync();  // every map exists: LOAD starts
  load(map);
  sync();
  mixed(map, stats_[kSteady], opt_.steady_ops, opt_.steady_s);
  sync();
  storm(map);
  sync();
  mixed(map, stats_[kAfter], opt_.after_ops, opt_.after_s);
  sync();  // the harness runs the forced collection and the end snapshot here
  verify(map);
  sync();
}

template <class Map>
void Worker::load(Map& map) {
  PhaseStats& ps = stats_[kLoad];
  char buf[kKeyLen];
  present_.reserve(n_ + n_ / 8);
  const uint64_t begin = gcmap::base::now_ns();
  for (uint64_t k = 0; k < n_; ++k) {
    const uint64_t id = next_id();
    const std::string_view key = format_key(buf, id);
    const uint64_t t0 = ticks();
    map.insert(key, id);
    ps.insert.record(ticks() - t0);
    present_.push(id);
  }
  ps.inserts = n_;
  ps.wall_ns = gcmap::base::now_ns() - begin;
}

// STEADY and AFTER: blocks of 20 ops, 18 lookups, 1 insert and 1 erase at
// positions drawn from one random number, until the deadline (checked
// between blocks) or exactly max_ops ops.
template <class Map>
void Worker::mixed(Map& map, PhaseStats& ps, uint64_t max_ops, double seconds) {
  char buf[kKeyLen];
  const uint64_t begin_ns = gcmap::base::now_ns();
  uint64_t now = ticks();
  const uint64_t deadline = now + clock_.ticks_for_ns(seconds * 1e9);
  uint64_t ops = 0;
  while (max_ops ? ops < max_ops : now < deadline) {
    const uint64_t r = rng_.next();
    const unsigned ins = static_cast<unsigned>(r % kBlockOps);
    unsigned era = static_cast<unsigned>((r >> 8) % (kBlockOps - 1));
    if (era >= ins) ++era;
    for (unsigned p = 0; p < kBlockOps; ++p) {
      if (p == ins) {
        const uint64_t id = next_id();
        const std::string_view key = format_key(buf, id);
        const uint64_t t0 = ticks();
        map.insert(key, id);
        now = ticks();
        ps.insert.record(now - t0);
        present_.push(id);
      } else if (p == era) {
        const uint64_t id = present_.take(rng_.below(present_.size()));
        const std::string_view key = format_key(buf, id);
        const uint64_t t0 = ticks();
        const bool found = map.erase(key);
        now = ticks();
        ps.erase.record(now - t0);
        ps.erase_misses += !found;
      } else {
        const uint64_t id = present_[rng_.below(present_.size())];
        const std::string_view key = format_key(buf, id);
        uint64_t got = 0;
        const uint64_t t0 = ticks();
        const bool found = map.lookup(key, got);
        now = ticks();
        ps.lookup.record(now - t0);
        ps.lookup_misses += !found || got != id;
      }
    }
    ops += kBlockOps;
  }
  ps.lookups += ops / kBlockOps * (kBlockOps - 2);
  ps.inserts += ops / kBlockOps;
  ps.erases += ops / kBlockOps;
  ps.wall_ns = gcmap::base::now_ns() - begin_ns;
}

// STORM: erase the pre-drawn victims as fast as possible; after every
// lookup_every-th erase, one timed lookup of a key that survives the storm.
template <class Map>
void Worker::storm(Map& map) {
  prepare_storm();
  PhaseStats& ps = stats_[kStorm];
  char buf[kKeyLen];
  const unsigned every = opt_.lookup_every;
  size_t next_lookup = 0;
  unsigned since = 0;
  uint64_t misses = 0;
  const uint64_t begin_ns = gcmap::base::now_ns();
  for (const uint64_t victim : victims_) {
    const std::string_view key = format_key(buf, victim);
    if constexpr (requires {
                    { map.storm_erase(key) } -> std::same_as<bool>;
                  }) {
      misses += !map.storm_erase(key);
    } else if constexpr (requires { map.storm_erase(key); }) {
      map.storm_erase(key);
    } else {
      misses += !map.erase(key);
    }
    if (every != 0 && ++since == every) {
      since = 0;
      const uint64_t id = storm_lookups_[next_lookup++];
      const std::string_view lkey = format_key(buf, id);
      uint64_t got = 0;
      const uint64_t t0 = ticks();
      const bool found = map.lookup(lkey, got);
      ps.lookup.record(ticks() - t0);
      ps.lookup_misses += !found || got != id;
    }
  }
  ps.wall_ns = gcmap::base::now_ns() - begin_ns;
  ps.erases = victims_.size();
  ps.lookups = next_lookup;
  ps.erase_misses = misses;
  std::vector<uint64_t>().swap(victims_);  // give the memory back before AFTER
  std::vector<uint64_t>().swap(storm_lookups_);
}

template <class Map>
void Worker::verify(Map& map) {
  if constexpr (requires { map.flush(); }) map.flush();
  char buf[kKeyLen];
  verify_.size = map.size();
  map.for_each([&](std::string_view key, uint64_t id, uint64_t content) {
    ++verify_.iterated;
    verify_.key_mismatches += key != format_key(buf, id);
    verify_.checksum += checksum_term(id, content);
  });
  compute_expected();
}

}  // namespace storm
