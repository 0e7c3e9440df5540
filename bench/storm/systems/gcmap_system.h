// systems/gcmap_system.h — gcmap's two storm systems, one template:
// gcmap::HashMap<SmallString, Ptr<Session>> with the session graph in the GC
// heap; GcmapSystem<false> erases at once in the STORM (gcmap_erase.cc),
// GcmapSystem<true> queues with erase_deferred (the scheduler applies them
// in pause windows, the owner's writes a few at a time) and flushes before
// VERIFY (gcmap_erase_deferred.cc).
#pragma once

#include <gcmap/gcmap.h>

#include "gcmap/sched/stw.h"
#include "pause_log.h"
#include "system.h"
#include "worker.h"

namespace storm::gcmap_system {

struct GcNode : gcmap::GarbageCollected<GcNode> {
  gcmap::Ptr<GcNode> next;
  uint64_t payload[kNodeWords];
  void trace(gcmap::Visitor& v) const { v.visit(next); }
};
struct GcSession : gcmap::GarbageCollected<GcSession> {
  uint64_t id;
  uint64_t payload[kSessionWords];
  gcmap::Ptr<GcNode> ring;
  void trace(gcmap::Visitor& v) const { v.visit(ring); }
};

// kDeferred: the STORM queues its erases (erase_deferred) and VERIFY flushes
// them first; otherwise the STORM erases at once.
template <bool kDeferred>
class GcmapMap {
 public:
  void insert(std::string_view key, uint64_t id) {
    GcSession* s = gcmap::make<GcSession>();
    s->id = id;
    fill_session_payload(s->payload, id);
    GcNode* n[kRingNodes];
    for (unsigned k = 0; k < kRingNodes; ++k) {
      n[k] = gcmap::make<GcNode>();
      fill_node_payload(n[k]->payload, id, k);
    }
    for (unsigned k = 0; k < kRingNodes; ++k) n[k]->next = n[(k + 1) % kRingNodes];
    s->ring = n[0];
    map_.insert_or_assign(gcmap::SmallString(key), s);
  }
  bool lookup(std::string_view key, uint64_t& id) {
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    id = it->second->id;
    return true;
  }
  bool erase(std::string_view key) { return map_.erase(key) != 0; }
  void storm_erase(std::string_view key) requires kDeferred { map_.erase_deferred(key); }
  void flush() requires kDeferred { map_.flush_deferred(); }
  size_t size() const { return map_.size(); }
  template <class F>
  void for_each(F&& f) {
    for (auto&& [key, s] : map_) f(std::string_view(key), s->id, content_sum(*s));
  }

 private:
  // Keyed by gcmap::SmallString, the key type gcmap offers for short string
  // ids: the 21-byte "sess:<id>" stays inside the bucket, where std::string
  // would put it on the malloc heap (a dependent miss per lookup, a free per
  // erase). bench/storm/README.md has the std::string figures beside it.
  gcmap::HashMap<gcmap::SmallString, gcmap::Ptr<GcSession>> map_;
};

template <bool kDeferred>
class GcmapSystem : public System {
 public:
  void run_attached(const std::function<void()>& body) override {
    gcmap::ThreadScope attach;
    body();
  }
  void blocking(const std::function<void()>& wait) override {
    gcmap::BlockingRegion region;
    wait();
  }
  void run_worker(Worker& w) override {
    GcmapMap<kDeferred> map;
    w.run(map);
  }
  // The forced collection after AFTER: a concurrent cycle the caller waits
  // for, as Go's runtime.GC() is (collect() would stop the world for the
  // whole mark).
  bool collect() override {
    gcmap::collect_concurrent();
    return true;
  }
  // Every stop (collection windows and deferred-erase windows alike), with
  // its start, from sched's pause ring.
  void collect_pauses(PauseLog& log) override {
    std::vector<gcmap::sched::PauseEvent> events;
    cursor_ = gcmap::sched::pause_events_since(cursor_, &events);
    for (const auto& e : events) log.add(e.start_ns, e.length_ns);
  }
  uint64_t heap_in_use() override { return gcmap::stats().heap_live; }
  nlohmann::json info() override {
    nlohmann::json j = {
        {"allocator", "gcmap"},
        {"heap_metric", "gcmap::stats().heap_live"},
        {"pause_metric", "sched::pause_events_since: request .. every mutator running"}};
    if constexpr (kDeferred) {
      gcmap::DeferredStats d = gcmap::deferred_stats();
      j["deferred"] = {{"queued", d.queued},
                       {"applied", d.applied},
                       {"superseded", d.superseded},
                       {"windows", d.windows},
                       {"window_p50_ns", d.window_p50_ns},
                       {"window_p99_ns", d.window_p99_ns},
                       {"window_max_ns", d.window_max_ns},
                       {"erase_ns", d.erase_ns}};
    }
    return j;
  }

 private:
  uint64_t cursor_ = 0;
};

}  // namespace storm::gcmap_system
