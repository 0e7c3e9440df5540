// System 5: Boehm GC 8.2 (libgc from Debian) with parallel marking, a
// GC-allocated session graph and a GC-allocated chained map (boehm_map.h).
// Built into gcmap_storm_boehm, which does not link jemalloc: Boehm gets its
// memory from the OS itself and the process's malloc stays glibc's, so
// nothing interposes on Boehm's view of roots and RSS is Boehm's alone.
//
// Pauses: GC_set_on_collection_event, from GC_EVENT_PRE_STOP_WORLD to
// GC_EVENT_POST_START_WORLD (stop request until the world runs again; Boehm
// marks with the world stopped, on GC_MARKERS threads). The callback runs
// with the GC lock held and the world stopped, so it only writes to a static
// array (no allocation: a stopped thread may hold malloc's lock).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

#include "boehm_map.h"
#include "gcmap/base/clock.h"
#include "pause_log.h"
#include "system.h"
#include "worker.h"

namespace storm {
namespace {

constexpr size_t kMaxPauses = 1 << 16;
PauseEvent g_pauses[kMaxPauses];
std::atomic<size_t> g_pause_count{0};
uint64_t g_stop_begin_ns = 0;

void on_collection_event(GC_EventType event) {
  if (event == GC_EVENT_PRE_STOP_WORLD) {
    g_stop_begin_ns = gcmap::base::now_ns();
  } else if (event == GC_EVENT_POST_START_WORLD) {
    const size_t i = g_pause_count.load(std::memory_order_relaxed);
    if (i < kMaxPauses) {
      g_pauses[i] = {g_stop_begin_ns, gcmap::base::now_ns() - g_stop_begin_ns};
      g_pause_count.store(i + 1, std::memory_order_release);
    }
  }
}

class BoehmSystem : public System {
 public:
  void start(const Options&) override {
    // All cores mark unless GC_MARKERS says otherwise (Boehm reads it in GC_INIT).
    if (!std::getenv("GC_MARKERS"))
      GC_set_markers_count(std::max(1u, std::thread::hardware_concurrency()));
    GC_INIT();
    GC_allow_register_threads();  // also starts the marker threads
    GC_set_on_collection_event(on_collection_event);
    GC_start_performance_measurement();
  }

  void run_attached(const std::function<void()>& body) override {
    GC_stack_base sb;
    GC_get_stack_base(&sb);
    GC_register_my_thread(&sb);
    body();
    GC_unregister_my_thread();
  }

  void run_worker(Worker& w) override {
    BoehmMap map;  // on this registered thread's stack: a root
    w.run(map);
  }

  bool collect() override {
    GC_gcollect();
    return true;
  }

  void collect_pauses(PauseLog& log) override {
    const size_t n = g_pause_count.load(std::memory_order_acquire);
    for (; seen_ < n; ++seen_) log.add(g_pauses[seen_].start_ns, g_pauses[seen_].len_ns);
  }

  uint64_t heap_in_use() override {
    GC_word heap = 0, free = 0;
    GC_get_heap_usage_safe(&heap, &free, nullptr, nullptr, nullptr);
    return heap - free;
  }

  nlohmann::json info() override {
    const unsigned v = GC_get_version();
    char version[32];
    std::snprintf(version, sizeof version, "%u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
    return {{"allocator", std::string("Boehm GC ") + version},
            {"markers", GC_get_parallel() + 1},
            {"free_space_divisor", GC_get_free_space_divisor()},
            {"incremental", GC_is_incremental_mode() != 0},
            {"heap_metric",
             "GC_get_heap_size() - GC_get_free_bytes() (dead objects count until swept)"},
            {"pause_metric", "GC_EVENT_PRE_STOP_WORLD .. GC_EVENT_POST_START_WORLD"}};
  }

 private:
  size_t seen_ = 0;
};

}  // namespace
}  // namespace storm

STORM_REGISTER_SYSTEM(storm::BoehmSystem, "boehm",
                      "Boehm GC 8.2, parallel marking, GC-allocated session graph and chained map",
                      5);
