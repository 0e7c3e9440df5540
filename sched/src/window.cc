// Pause windows: registered jobs stepped in parallel while the world is
// stopped, until no job has pending work or the deadline passes.
//
// Each participant loops: pick the next job (round robin, starting at its own
// index so that two jobs spread over two workers) whose pending() > 0 and
// whose step() has not told this participant it is out of work; check the
// deadline (exactly one clock_now() per step, so a fake clock makes the step
// count exact); step it. One exception to the deadline: a window whose
// deadline passed before its first step (the time to safepoint ate the
// budget) still runs that one step, so that pending work always drains.
#include "gcmap/sched/window.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "gcmap/base/assert.h"
#include "gcmap/base/clock.h"
#include "gcmap/sched/blocking.h"
#include "gcmap/sched/config.h"
#include "gcmap/sched/fork.h"
#include "gcmap/sched/workers.h"
#include "internal.h"

namespace gcmap::sched {
namespace {

struct JobEntry {
  WindowJob* job;
  unsigned users = 0;  // windows (and pending_window_work calls) using it; under Jobs::mu
};

struct Jobs {
  std::mutex mu;
  std::condition_variable released;
  std::vector<JobEntry*> entries;
  std::atomic<uint64_t> windows{0};
  base::Histogram lengths;
};

Jobs& jobs() {
  static Jobs* j = new Jobs;
  return *j;
}

// The registered jobs, pinned so that unregister_window_job waits for us.
class JobSnapshot {
 public:
  JobSnapshot() {
    Jobs& j = jobs();
    std::lock_guard<std::mutex> lock(j.mu);
    entries_ = j.entries;
    for (JobEntry* e : entries_) ++e->users;
  }
  ~JobSnapshot() {
    Jobs& j = jobs();
    {
      std::lock_guard<std::mutex> lock(j.mu);
      for (JobEntry* e : entries_) --e->users;
    }
    j.released.notify_all();
  }
  const std::vector<JobEntry*>& entries() const { return entries_; }
  size_t pending() const {
    size_t n = 0;
    for (JobEntry* e : entries_) n += e->job->pending();
    return n;
  }

 private:
  std::vector<JobEntry*> entries_;
};

// State the participants of one window share.
struct WindowRun {
  const std::vector<WindowJob*>& active;
  uint64_t deadline_ns;
  std::atomic<size_t> steps{0};
  // The first step of a window runs even past the deadline: when the time to
  // safepoint alone eats the budget, the work still drains, one step per window.
  std::atomic<bool> stepped{false};
};

void step_jobs(WindowRun& run, unsigned index) {
  detail::ThreadFlags& t = detail::t_flags;
  WindowContext ctx(run.deadline_ns, index);
  const size_t n = run.active.size();
  std::vector<char> exhausted(n, 0);
  size_t next = index % n;
  for (;;) {
    size_t chosen = n;
    for (size_t i = 0; i < n; ++i) {
      size_t j = (next + i) % n;
      if (!exhausted[j] && run.active[j]->pending() > 0) {
        chosen = j;
        break;
      }
    }
    if (chosen == n) return;
    if (clock_now() >= run.deadline_ns) {
      if (run.stepped.exchange(true, std::memory_order_relaxed)) return;
    } else {
      run.stepped.store(true, std::memory_order_relaxed);
    }
    WindowJob* job = run.active[chosen];
    t.window_job = job->name();
    bool more = false;
    try {
      more = job->step(ctx);
    } catch (...) {
      std::string what = std::string("pause-window job '") + job->name() + "' (step)";
      detail::fatal_callback_threw(what.c_str());
    }
    t.window_job = nullptr;
    run.steps.fetch_add(1, std::memory_order_relaxed);
    if (!more) exhausted[chosen] = 1;
    next = chosen + 1;
  }
}

WindowReport run_jobs(uint64_t deadline_ns, const JobSnapshot& snapshot) {
  WindowReport report;
  std::vector<WindowJob*> active;
  for (JobEntry* e : snapshot.entries()) {
    if (e->job->pending() > 0) active.push_back(e->job);
  }
  if (!active.empty()) {
    uint64_t start = base::now_ns();
    WindowRun run{active, deadline_ns};
    run_on_workers(num_workers(), [&run](unsigned index) { step_jobs(run, index); });
    report.jobs_ns = base::now_ns() - start;
    report.steps = run.steps.load(std::memory_order_relaxed);
  }
  report.pending_after = snapshot.pending();
  report.completed = report.pending_after == 0;
  return report;
}

}  // namespace

void register_window_job(WindowJob* job) {
  GCMAP_CHECK(job != nullptr, "register_window_job(nullptr)");
  detail::check_not_forked("registering a pause-window job");
  Jobs& j = jobs();
  std::lock_guard<std::mutex> lock(j.mu);
  for (JobEntry* e : j.entries) {
    GCMAP_CHECK(e->job != job, "window job '%s' registered twice", job->name());
  }
  j.entries.push_back(new JobEntry{job});
}

void unregister_window_job(WindowJob* job) {
  GCMAP_CHECK(detail::t_flags.window_job == nullptr && detail::t_flags.stop_work == 0,
              "unregister_window_job('%s') from inside a pause window", job->name());
  // Teardown in a fork() child does nothing: no window can run there, and
  // the lock may have been held by a thread that did not survive.
  if (in_forked_child()) return;
  Jobs& j = jobs();
  BlockingRegion blocking;  // a window may be running: do not hold it up
  std::unique_lock<std::mutex> lock(j.mu);
  auto it = std::find_if(j.entries.begin(), j.entries.end(),
                         [job](JobEntry* e) { return e->job == job; });
  GCMAP_CHECK(it != j.entries.end(), "window job '%s' is not registered", job->name());
  JobEntry* entry = *it;
  j.entries.erase(it);
  j.released.wait(lock, [entry] { return entry->users == 0; });
  delete entry;
}

WindowReport run_window_jobs(const WorldStop& stop, uint64_t deadline_ns) {
  GCMAP_CHECK(detail::t_flags.stop == &stop,
              "run_window_jobs: the calling thread does not hold stop-the-world '%s'",
              stop.reason());
  JobSnapshot snapshot;
  WindowReport report = run_jobs(deadline_ns, snapshot);
  if (report.steps > 0) {
    jobs().windows.fetch_add(1, std::memory_order_relaxed);
    jobs().lengths.record(report.jobs_ns);
  }
  return report;
}

WindowReport run_pause_window(uint64_t budget_ns) {
  if (budget_ns == 0) budget_ns = config().max_pause_ns;
  JobSnapshot snapshot;
  if (snapshot.pending() == 0) {
    WindowReport report;
    report.completed = true;
    return report;
  }
  (void)num_workers();  // the first window must not pay for starting the arena
  // The deadline is read first: with a fake clock, the window's first
  // clock_now() call.
  const uint64_t deadline_ns = clock_now() + budget_ns;
  WindowReport report;
  {
    WorldStop stop("pause window");
    report = run_jobs(deadline_ns, snapshot);
    report.pause_ns = base::now_ns() - stop.request_ns();
  }
  jobs().windows.fetch_add(1, std::memory_order_relaxed);
  jobs().lengths.record(report.pause_ns);
  return report;
}

size_t pending_window_work() {
  JobSnapshot snapshot;
  return snapshot.pending();
}

WindowStats window_stats() {
  return WindowStats{jobs().windows.load(std::memory_order_relaxed), jobs().lengths};
}

}  // namespace gcmap::sched
