// What sched's source files share and nobody else sees: the mutator state
// machine's constants, the thread-local flags, the global words of the stop
// protocol, and the transitions every file builds on. sched/README.md
// explains the protocol; the comments here say what each piece guarantees.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <oneapi/tbb/task_arena.h>

#include "gcmap/sched/mutator.h"
#include "gcmap/sched/stw.h"

namespace gcmap::sched::detail {

// Mutator::state_ values. Only the owning thread moves its mutator between
// states; the stopper only adds kStopperWaiting to a Running state.
enum : uint32_t {
  kRunning = 0,
  kParked = 1,    // stopped at a safepoint, inside park_at_safepoint
  kBlocking = 2,  // inside a blocking region, attaching, or an idle worker
  kDetached = 3,  // about to leave the registry
  kStateMask = 0xff,
  kStopperWaiting = 0x100,  // the stopper sleeps on this word: wake it when leaving Running
};

// Per-thread flags. Plain fields: only the owning thread reads or writes them.
struct ThreadFlags {
  Mutator* self = nullptr;           // the attached Mutator
  unsigned scope_depth = 0;          // MutatorScope nesting (+1 for an observer-attached worker)
  const WorldStop* stop = nullptr;   // the stop this thread holds
  unsigned stop_work = 0;            // running work on behalf of the stopper (inside its stop)
  unsigned no_park = 0;              // a background slice or an outside-stop participant
  const char* window_job = nullptr;  // the window job whose step() this thread runs
  const void* slice_job = nullptr;   // the background job whose slice this thread runs
};
inline thread_local ThreadFlags t_flags;

// A poll returns at once on these threads: the stopper, its helpers, and
// work that counts as running but must never block a TBB worker.
inline bool exempt_from_parking(const ThreadFlags& t) {
  return t.stop != nullptr || t.stop_work > 0 || t.no_park > 0;
}
// Leaving a blocking region does not wait for the restart on these threads:
// they are the stop.
inline bool exempt_from_waiting(const ThreadFlags& t) {
  return t.stop != nullptr || t.stop_work > 0;
}

// Access to Mutator's private fields for sched's own files.
struct MutatorInternals {
  static Mutator* create(Role role, uint64_t id, pid_t tid, const void* stack_hi) {
    return new Mutator(role, id, tid, stack_hi);
  }
  static void destroy(Mutator* m) { delete m; }
  static std::atomic<uint32_t>& state(Mutator& m) { return m.state_; }
  static const void*& lo(Mutator& m) { return m.stack_lo_; }
  static const void* hi(const Mutator& m) { return m.stack_hi_; }
  static uintptr_t* regs(Mutator& m) { return m.regs_; }
  static bool& idle(Mutator& m) { return m.idle_; }
  static unsigned& blocking_depth(Mutator& m) { return m.blocking_depth_; }
  static bool& attach_hook_pending(Mutator& m) { return m.attach_hook_pending_; }
};
using MI = MutatorInternals;

// ---- fork() (fork.cc) ----
// Installs the fork() child handler; called when the scheduler's state
// first comes to exist (registry, arena, background coordinator).
void note_scheduler_started();
// Fatal in a fork() child (gcmap/sched/fork.h), naming what was attempted.
void check_not_forked(const char* what);

// ---- A callback threw (callback_error.cc) ----
// From a catch handler: fatal, naming `what` ("pause-window job 'x'") and
// the exception.
[[noreturn]] void fatal_callback_threw(const char* what);

// ---- Thread names and states from /proc (thread_info.cc) ----
std::string thread_name(pid_t tid);
// "thread 1234 ("name", sleeping: a blocking call ...)", or that it exited.
std::string describe_thread(pid_t tid);

// ---- The registry (mutator.cc) ----
struct Registry {
  std::mutex mu;  // held by attach/detach and by the stopper while it waits and iterates
  std::vector<Mutator*> mutators;
  std::atomic<size_t> count{0};
  std::atomic<uint64_t> next_id{1};
  std::atomic<void (*)(Mutator&)> on_attach{nullptr};
  std::atomic<void (*)(Mutator&)> on_detach{nullptr};
};
Registry& registry();

// Attaches the calling TBB worker (idle); runs its on_attach hook unless a
// stop is in progress, in which case activate_worker runs it later.
void attach_worker_thread();
// An idle worker becomes a running mutator. wait = false: fails (returns
// false) instead of waiting when a stop is requested.
bool activate_worker(Mutator& m, bool wait);
void deactivate_worker(Mutator& m);
inline bool is_idle_worker(Mutator& m) {
  return MI::idle(m);
}

// ---- The stop protocol (transitions.cc) ----
extern std::atomic<uint32_t> g_world_gen;     // +1 at every restart; parked threads sleep on it
extern std::atomic<uint32_t> g_gen_sleepers;  // threads asleep on g_world_gen
extern std::atomic<bool> g_world_stopped;

// Running -> s (Parked, Blocking or Detached), waking the stopper if it sleeps.
void publish_stopped(Mutator& m, uint32_t s);
// Blocking -> Running. Waits out any stop in progress (unless the thread is
// exempt), so the thread only runs once the world runs.
void leave_stopped(Mutator& m);
// Blocking -> Running unless a stop is requested (then stays Blocking).
bool try_leave_stopped(Mutator& m);
// Running -> Parked -> Running: the body of park_at_safepoint.
void park(Mutator& m);
// Called by the stopper for every other attached thread: returns once it is
// not Running. Warns in debug builds when it takes over a second.
void wait_until_stopped(Mutator& m, const WorldStop& stop, bool* warned);
// Clears the request, bumps the generation and wakes the parked threads;
// the pause of `stop` is recorded once they all run again.
void restart_world(const WorldStop& stop);

// Copies a capture in canonical order (rbx rbp r12..r15 / x19..x29).
void store_registers(Mutator& m, const uintptr_t* canonical);

}  // namespace gcmap::sched::detail

namespace gcmap::sched::detail {

// ---- Workers (workers.cc) ----
// The runtime's arena, created on first use with config().workers.
tbb::task_arena& worker_arena();

// Makes the calling thread count as a running mutator that never parks, for
// work outside a stop (a background slice, a run_on_workers participant): an
// idle worker is activated, a running thread stays as it is. Fails (ok() is
// false) when the thread cannot run heap work now: a stop is requested and
// may_wait is false, or the thread is inside a blocking region.
class RunningScope {
 public:
  explicit RunningScope(bool may_wait);
  ~RunningScope();
  RunningScope(const RunningScope&) = delete;
  RunningScope& operator=(const RunningScope&) = delete;
  bool ok() const { return ok_; }

 private:
  bool ok_ = false;
  Mutator* activated_ = nullptr;
};

}  // namespace gcmap::sched::detail

namespace gcmap::sched::detail {

// ---- Happens-before edges through TBB (workers.cc) ----
// Debian's libtbb is not built with ThreadSanitizer, so a hand-off through
// its queues, and its reuse of a finished task's memory for the next task, is
// invisible to it. Every hand-off point calls tbb_edge(): the thread that
// spawns or enqueues (before), the task as it starts, the task object as it
// is destroyed (TBB frees its memory back to the spawning thread's pool right
// after), and the waiter once the tasks are done. All are read-modify-writes
// of one word, so each call synchronizes with every earlier one.
void tbb_edge();

// A TBB task body with those edges: as it starts, and once it is destroyed
// (from a base class, so after its captures are gone too).
struct TbbEdgeOnDestroy {
  ~TbbEdgeOnDestroy() { tbb_edge(); }
};
template <class F>
class EdgedTask : TbbEdgeOnDestroy {
 public:
  explicit EdgedTask(F body) : body_(std::move(body)) {}
  // TBB copies or moves the body into its task object inside enqueue/spawn,
  // after the caller's edge: the copy's writes need an edge of their own.
  EdgedTask(const EdgedTask& o) : TbbEdgeOnDestroy(), body_(o.body_) { tbb_edge(); }
  EdgedTask(EdgedTask&& o) noexcept : TbbEdgeOnDestroy(), body_(std::move(o.body_)) { tbb_edge(); }
  EdgedTask& operator=(const EdgedTask&) = delete;
  EdgedTask& operator=(EdgedTask&&) = delete;
  void operator()() const {
    tbb_edge();
    body_();
  }

 private:
  F body_;
};

}  // namespace gcmap::sched::detail
