// Background jobs: slices on the arena's workers at a CPU share.
//
// One coordinator thread (started with the first job, gone with the last)
// holds the duty cycle. A job with share s on a machine of C CPUs gets
// lanes = ceil(s * C) (at most the number of workers) slices in flight, each
// lane busy for a fraction duty = s * C / lanes of the time: after a slice
// that ran for d, the lane rests d * (1 / duty - 1). The coordinator only
// sleeps and enqueues; slices run as TBB tasks in the arena.
#include "gcmap/sched/background.h"

#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gcmap/base/assert.h"
#include "gcmap/base/clock.h"
#include "gcmap/sched/blocking.h"
#include "gcmap/sched/fork.h"
#include "gcmap/sched/safepoint.h"
#include "gcmap/sched/window.h"
#include "gcmap/sched/workers.h"
#include "internal.h"

namespace gcmap::sched {

bool SliceContext::should_yield() const {
  return stop_requested() || clock_now() >= deadline_ns_;
}

namespace {

// One slice's budget: long enough that the enqueue and wake-up (tens of
// microseconds) are amortized, short enough that the duty cycle is smooth.
// A stop does not wait for it: slices yield as soon as a stop is requested.
constexpr uint64_t kSliceNs = 1'000'000;
// A slice that could not start (the world was stopped) is retried after this.
constexpr uint64_t kRetryNs = 100'000;

struct Entry {
  BackgroundJob* job;
  double duty;
  std::vector<uint64_t> next_start;  // per lane, base::now_ns(); under Background::mu
  std::vector<char> busy;            // per lane: a slice is enqueued or running
  unsigned in_flight = 0;            // slices enqueued or running
  bool idle = false;                 // run_slice returned false; waiting for wake_background
  // wake_background calls, ever. A slice remembers the count when it is
  // enqueued; if it returns false but a wake came since, the job is not
  // idle: that wake found it busy and did nothing, so idling now would lose
  // it (a mark started while the last slice of the previous one was
  // returning was never marked in the background, and a cycle waited for it
  // forever).
  uint64_t wakes = 0;
  std::atomic<bool> stopping{false};
};

struct Background {
  std::mutex mu;
  std::condition_variable changed;  // wakes the coordinator and stop_background
  std::vector<std::shared_ptr<Entry>> entries;
  std::thread coordinator;  // joinable while it runs (or until the next start joins it)
  uint64_t epoch = 0;       // bumped when the last job stops: that coordinator exits
};

Background& background() {
  static Background* b = new Background;  // never destroyed: slices may finish during exit
  return *b;
}

std::shared_ptr<Entry> find(Background& b, BackgroundJob* job) {
  for (auto& e : b.entries) {
    if (e->job == job) return e;
  }
  return nullptr;
}

std::atomic<uint64_t> g_idle_delay_ns{0};  // tests only

void run_slice_task(const std::shared_ptr<Entry>& entry, size_t lane, uint64_t wakes_seen) {
  Background& b = background();
  uint64_t start = base::now_ns();
  bool ran = false;
  bool more = true;
  if (!entry->stopping.load(std::memory_order_acquire) && !stop_requested()) {
    // Counts as a running mutator that never parks; fails instead of waiting
    // if a stop came first, so a TBB worker is never blocked.
    detail::RunningScope running(/*may_wait=*/false);
    if (running.ok()) {
      detail::ThreadFlags& t = detail::t_flags;
      const void* outer = t.slice_job;
      t.slice_job = entry->job;
      SliceContext ctx(clock_now() + kSliceNs);
      try {
        more = entry->job->run_slice(ctx);
      } catch (...) {
        std::string what = std::string("background job '") + entry->job->name() + "' (run_slice)";
        detail::fatal_callback_threw(what.c_str());
      }
      t.slice_job = outer;
      ran = true;
    }
  }
  if (ran && !more) {
    uint64_t delay = g_idle_delay_ns.load(std::memory_order_relaxed);
    if (delay != 0) std::this_thread::sleep_for(std::chrono::nanoseconds(delay));
  }
  uint64_t end = base::now_ns();
  {
    std::lock_guard<std::mutex> lock(b.mu);
    entry->busy[lane] = 0;
    --entry->in_flight;
    if (ran && !more && entry->wakes == wakes_seen) entry->idle = true;
    uint64_t rest = kRetryNs;
    if (ran) {
      rest = static_cast<uint64_t>(static_cast<double>(end - start) * (1.0 / entry->duty - 1.0));
    }
    entry->next_start[lane] = end + rest;
  }
  b.changed.notify_all();
}

void coordinate(uint64_t epoch) {
  Background& b = background();
  std::unique_lock<std::mutex> lock(b.mu);
  while (b.epoch == epoch) {
    uint64_t now = base::now_ns();
    uint64_t wake = UINT64_MAX;
    for (auto& e : b.entries) {
      if (e->idle || e->stopping.load(std::memory_order_relaxed)) continue;
      for (size_t lane = 0; lane < e->busy.size(); ++lane) {
        if (e->busy[lane]) continue;
        if (e->next_start[lane] > now) {
          wake = std::min(wake, e->next_start[lane]);
          continue;
        }
        e->busy[lane] = 1;
        ++e->in_flight;
        std::shared_ptr<Entry> entry = e;
        uint64_t wakes = e->wakes;
        detail::tbb_edge();
        detail::worker_arena().enqueue(
            detail::EdgedTask{[entry, lane, wakes] { run_slice_task(entry, lane, wakes); }});
      }
    }
    if (wake == UINT64_MAX) {
      b.changed.wait(lock);
    } else {
      b.changed.wait_for(lock, std::chrono::nanoseconds(wake - now));
    }
  }
}

}  // namespace

void start_background(BackgroundJob* job, double cpu_share) {
  GCMAP_CHECK(job != nullptr, "start_background(nullptr)");
  GCMAP_CHECK(cpu_share > 0.0 && cpu_share <= 1.0,
              "start_background('%s'): cpu_share %g is not in (0, 1]", job->name(), cpu_share);
  detail::check_not_forked("starting background work");
  double cpus = cpu_share * std::max(1u, std::thread::hardware_concurrency());
  unsigned lanes = std::clamp(static_cast<unsigned>(std::ceil(cpus)), 1u, num_workers());
  auto entry = std::make_shared<Entry>();
  entry->job = job;
  entry->duty = std::min(1.0, cpus / lanes);
  entry->next_start.assign(lanes, 0);
  entry->busy.assign(lanes, 0);

  Background& b = background();
  {
    std::lock_guard<std::mutex> lock(b.mu);
    GCMAP_CHECK(find(b, job) == nullptr, "background job '%s' started twice", job->name());
    b.entries.push_back(std::move(entry));
    if (!b.coordinator.joinable()) b.coordinator = std::thread(coordinate, b.epoch);
  }
  b.changed.notify_all();
}

void wake_background(BackgroundJob* job) {
  detail::check_not_forked("waking background work");
  Background& b = background();
  {
    std::lock_guard<std::mutex> lock(b.mu);
    std::shared_ptr<Entry> e = find(b, job);
    GCMAP_CHECK(e != nullptr, "wake_background: job '%s' is not started", job->name());
    ++e->wakes;  // seen by a slice returning now: it does not idle
    if (!e->idle) return;
    e->idle = false;
    std::fill(e->next_start.begin(), e->next_start.end(), 0);
  }
  b.changed.notify_all();
}

void set_idle_delay_for_testing(uint64_t ns) {
  g_idle_delay_ns.store(ns, std::memory_order_relaxed);
}

void stop_background(BackgroundJob* job) {
  GCMAP_CHECK(detail::t_flags.slice_job != job,
              "stop_background('%s') from inside one of its own slices", job->name());
  if (in_forked_child()) return;  // teardown in a fork() child: nothing runs there
  Background& b = background();
  BlockingRegion blocking;  // its slices may need a stop to end first
  std::unique_lock<std::mutex> lock(b.mu);
  std::shared_ptr<Entry> e = find(b, job);
  GCMAP_CHECK(e != nullptr, "stop_background: job '%s' is not started", job->name());
  e->stopping.store(true, std::memory_order_release);
  b.changed.wait(lock, [&] { return e->in_flight == 0; });
  b.entries.erase(std::find(b.entries.begin(), b.entries.end(), e));
  std::thread finished;
  if (b.entries.empty()) {
    // No job left: the coordinator exits, and is joined here so that no
    // thread outlives the last job.
    ++b.epoch;
    finished = std::move(b.coordinator);
  }
  lock.unlock();
  b.changed.notify_all();
  if (finished.joinable()) finished.join();
}

}  // namespace gcmap::sched
