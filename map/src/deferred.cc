// Deferred erases, the process-wide part: the registry of maps with a hub,
// the window job that applies queued erases while the world is stopped, the
// scheduler thread that decides when to open a window (internal/deferred_policy.h),
// and the statistics.
#include "gcmap/map/internal/deferred_hub.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gcmap/base/clock.h"
#include "gcmap/base/exception.h"
#include "gcmap/gc/runtime.h"
#include "gcmap/map/config.h"
#include "gcmap/map/internal/deferred_policy.h"
#include "gcmap/sched/config.h"
#include "gcmap/sched/window.h"

namespace gcmap {
namespace map::detail {

namespace {

struct Registry {
  std::mutex mu;
  std::vector<DeferredHubBase*> hubs;
  std::atomic<uint64_t> next_id{1};
  // Totals; queued counts arrive when a hub retires (live hubs are summed).
  std::atomic<uint64_t> retired_queued{0};
  std::atomic<uint64_t> applied{0};
  std::atomic<uint64_t> superseded{0};
  std::atomic<uint64_t> swept{0};
  std::atomic<uint64_t> callback_failures{0};
  std::atomic<bool> warned{false};  // the one warning about a callback failure
  // The scheduler's measurements.
  std::atomic<uint64_t> windows{0};
  base::Histogram window_lengths;
  std::atomic<double> erase_ns{0};
  std::once_flag scheduler_once;
  std::atomic<bool> paused{false};  // tests
};

Registry& registry() {
  static Registry* r = new Registry();  // never destroyed: hubs may die at exit
  return *r;
}

// The calling thread's last few (hub, queue) pairs: erase_deferred's lookup.
struct QueueCacheEntry {
  uint64_t id = 0;
  void* queue = nullptr;
};
constexpr int kQueueCache = 4;
// initial-exec: the library is position-independent (for shared builds), and
// the default model would make every erase_deferred call __tls_get_addr.
thread_local QueueCacheEntry t_queues[kQueueCache] __attribute__((tls_model("initial-exec")));
thread_local unsigned t_queue_next __attribute__((tls_model("initial-exec"))) = 0;

// One stepper claims one hub, applies a window step's worth of its erases
// and lets it go.
class DeferredJob final : public sched::WindowJob {
 public:
  const char* name() const override { return "deferred erases"; }

  size_t pending() const override {
    Registry& r = registry();
    std::lock_guard<std::mutex> g(r.mu);
    size_t n = 0;
    for (DeferredHubBase* h : r.hubs) n += h->pending();
    return n;
  }

  // Returns false when it made no progress (no hub it may apply, or the
  // deadline cut the step short): a window with an unbounded deadline (a
  // full collection) must end even when pending() stays above zero.
  bool step(sched::WindowContext& ctx) override {
    DeferredHubBase* hub = claim();
    if (hub == nullptr) return false;
    DeferredHubBase::Claim held(*hub);
    uint64_t t0 = base::now_ns();
    size_t n = 0;
    try {
      n = hub->apply(kStepErases, ApplyMode::kWindow, [&ctx] { return ctx.expired(); });
    } catch (...) {
      // A user callback threw: that erase is dropped (progress all the
      // same), the owner's next flush_deferred() reports it.
      hub->record_failure("a pause window");
      return true;
    }
    if (n == 0) return false;
    double per = static_cast<double>(base::now_ns() - t0) / static_cast<double>(n);
    Registry& r = registry();
    double old = r.erase_ns.load(std::memory_order_relaxed);
    r.erase_ns.store(old > 0 ? 0.9 * old + 0.1 * per : per, std::memory_order_relaxed);
    return true;
  }

 private:
  // Enough erases that a step amortizes claiming its hub, few enough that it
  // stays well under the window (about 20 us at 200 ns an erase).
  static constexpr size_t kStepErases = 96;

  // A hub with pending work that no one else is applying and that this
  // window may apply (its owner is not stopped in the middle of a write:
  // such a hub is skipped, and the scheduler leaves it alone for a while).
  DeferredHubBase* claim() {
    Registry& r = registry();
    std::lock_guard<std::mutex> g(r.mu);
    const size_t n = r.hubs.size();
    for (size_t k = 0; k < n; ++k) {
      DeferredHubBase* h = r.hubs[(cursor_ + k) % n];
      if (h->pending() == 0 || !h->try_begin_apply()) continue;
      if (!h->window_eligible()) {
        h->end_apply();
        h->back_off(base::now_ns());
        continue;
      }
      h->reset_backoff();
      cursor_ = (cursor_ + k + 1) % n;
      return h;
    }
    return nullptr;
  }
  size_t cursor_ = 0;  // under the registry lock
};

DeferredJob* job() {
  static DeferredJob* j = new DeferredJob();
  return j;
}

// The scheduler: looks at the queues and the heap, opens a window when the
// policy says so, sleeps otherwise.
[[noreturn]] void schedule() {
  Registry& r = registry();
  uint64_t last_window_end = 0, last_window_ns = 0, last_pushed = 0;
  for (;;) {
    DeferredSignals s;
    {
      std::lock_guard<std::mutex> g(r.mu);
      uint64_t now = base::now_ns();
      uint64_t pushed = 0;
      for (DeferredHubBase* h : r.hubs) pushed += h->pushed();
      s.arriving = pushed != last_pushed;
      last_pushed = pushed;
      for (DeferredHubBase* h : r.hubs) {
        // A hub a window could not apply (its owner stopped in the middle
        // of a write) waits out its backoff: no empty windows in a loop.
        if (h->retry_at_ns() > now) continue;
        size_t p = h->pending();
        if (p == 0) continue;
        s.queued += p;
        if (h->try_begin_apply()) {  // oldest_ns() belongs to the applier
          uint64_t t = h->oldest_ns();
          h->end_apply();
          if (t != 0 && now > t) s.oldest_age_ns = std::max(s.oldest_age_ns, now - t);
        }
      }
      s.since_last_window_ns = last_window_end ? now - last_window_end : ~uint64_t{0};
    }
    s.staleness_target_ns = map::current_config().deferred_staleness_ns;
    s.heap_pressure = gcmap::heap_pressure();
    s.erase_ns = r.erase_ns.load(std::memory_order_relaxed);
    s.budget_ns = sched::config().max_pause_ns / kWindowBudgetDivisor;
    s.last_window_ns = last_window_ns;
    DeferredDecision d = decide(s);
    if (d.window_now && !r.paused.load(std::memory_order_relaxed)) {
      sched::WindowReport rep = sched::run_pause_window(s.budget_ns);
      if (rep.pause_ns != 0) {
        r.windows.fetch_add(1, std::memory_order_relaxed);
        r.window_lengths.record(rep.pause_ns);
        last_window_ns = rep.pause_ns;
        last_window_end = base::now_ns();
      }
      continue;
    }
    uint64_t wait = d.recheck_after_ns != 0 ? d.recheck_after_ns : 1'000'000;
    std::this_thread::sleep_for(std::chrono::nanoseconds(wait));
  }
}

}  // namespace

DeferredHubBase::DeferredHubBase() : id_(registry().next_id.fetch_add(1)) {}

// Only once the most derived object is built: the scheduler thread walks the
// registry calling pending() and pushed() (virtual, reading the derived
// hub's queues) and windows apply what it finds.
void DeferredHubBase::publish() {
  Registry& r = registry();
  std::lock_guard<std::mutex> g(r.mu);
  r.hubs.push_back(this);
}

void DeferredHubBase::back_off(uint64_t now_ns) {
  constexpr uint64_t kFirst = 1'000'000, kMax = 1'000'000'000;
  backoff_ns_ = backoff_ns_ == 0 ? kFirst : std::min(2 * backoff_ns_, kMax);
  retry_at_ns_ = now_ns + backoff_ns_;
}

void DeferredHubBase::record_failure(const char* where) {
  Registry& r = registry();
  r.callback_failures.fetch_add(1, std::memory_order_relaxed);
  std::exception_ptr e = std::current_exception();
  if (!failure_) failure_ = e;
  if (r.warned.exchange(true, std::memory_order_relaxed)) return;
  std::fprintf(stderr,
               "gcmap: warning: a callback threw %s while %s applied a map's deferred erases (the "
               "map's hash or key equality, or erase_if_deferred's pred or on_erase); that "
               "erase was dropped, the rest stay queued. The map's next flush_deferred() "
               "rethrows it; DeferredStats::callback_failures counts them. (Printed once per "
               "process.)\n",
               base::describe_current_exception().c_str(), where);
}

void DeferredHubBase::unregister() {
  Registry& r = registry();
  std::lock_guard<std::mutex> g(r.mu);
  auto it = std::find(r.hubs.begin(), r.hubs.end(), this);
  if (it != r.hubs.end()) r.hubs.erase(it);
}

DeferredHubBase::~DeferredHubBase() {
  unregister();
}

void* DeferredHubBase::cached_queue(uint64_t id) {
  for (const QueueCacheEntry& e : t_queues) {
    if (e.id == id) return e.queue;
  }
  return nullptr;
}

void DeferredHubBase::cache_queue(uint64_t id, void* queue) {
  t_queues[t_queue_next++ % kQueueCache] = QueueCacheEntry{id, queue};
}

void DeferredHubBase::count_applied(uint64_t applied, uint64_t superseded, uint64_t swept) {
  Registry& r = registry();
  if (applied) r.applied.fetch_add(applied, std::memory_order_relaxed);
  if (superseded) r.superseded.fetch_add(superseded, std::memory_order_relaxed);
  if (swept) r.swept.fetch_add(swept, std::memory_order_relaxed);
}

void DeferredHubBase::retire_queued(uint64_t queued) {
  registry().retired_queued.fetch_add(queued, std::memory_order_relaxed);
}

void pause_deferred_scheduler(bool paused) {
  registry().paused.store(paused);
}

void ensure_deferred_scheduler() {
  Registry& r = registry();
  std::call_once(r.scheduler_once, [] {
    sched::register_window_job(job());
    std::thread(schedule).detach();
  });
}

}  // namespace map::detail

DeferredStats deferred_stats() {
  map::detail::Registry& r = map::detail::registry();
  DeferredStats s;
  {
    std::lock_guard<std::mutex> g(r.mu);
    uint64_t now = base::now_ns();
    for (map::detail::DeferredHubBase* h : r.hubs) {
      s.pending += h->pending();
      s.queued += h->pushed();
      if (h->try_begin_apply()) {
        uint64_t t = h->oldest_ns();
        h->end_apply();
        if (t != 0 && now > t) s.oldest_age_ns = std::max(s.oldest_age_ns, now - t);
      }
    }
  }
  s.queued += r.retired_queued.load();
  s.applied = r.applied.load();
  s.superseded = r.superseded.load();
  s.swept = r.swept.load();
  s.callback_failures = r.callback_failures.load();
  s.windows = r.windows.load();
  s.window_p50_ns = r.window_lengths.percentile(0.5);
  s.window_p99_ns = r.window_lengths.percentile(0.99);
  s.window_max_ns = r.window_lengths.max();
  s.erase_ns = r.erase_ns.load();
  return s;
}

}  // namespace gcmap
