// The mutator registry: attach and detach (MutatorScope, and the TBB workers
// the arena observer attaches), the hooks gc installs, and the idle/active
// switch of worker threads.
//
// A thread registers in the Blocking state, so a stop in progress neither
// waits for it nor misses it, and then leaves Blocking the usual way (which
// waits for the restart). It detaches from Running (on_detach runs while a
// stop still waits for it), publishes Detached, then unregisters.
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "gcmap/base/assert.h"
#include "gcmap/sched/fork.h"
#include "gcmap/sched/mutator.h"
#include "internal.h"

namespace gcmap::sched {

using detail::MI;
using detail::t_flags;

Mutator::Mutator(Role role, uint64_t id, pid_t tid, const void* stack_hi)
    : stack_lo_(stack_hi),
      stack_hi_(stack_hi),
      state_(detail::kBlocking),
      role_(role),
      id_(id),
      tid_(tid) {}

StackRange Mutator::stack() const {
  if (idle_) return {stack_hi_, stack_hi_};
  return {stack_lo_, stack_hi_};
}

Mutator* current() {
  return t_flags.self;
}

void set_mutator_hooks(const MutatorHooks& hooks) {
  detail::Registry& r = detail::registry();
  r.on_attach.store(hooks.on_attach, std::memory_order_release);
  r.on_detach.store(hooks.on_detach, std::memory_order_release);
}

size_t attached_count() {
  return detail::registry().count.load(std::memory_order_relaxed);
}

size_t attached_count(Role role) {
  detail::Registry& r = detail::registry();
  std::lock_guard<std::mutex> lock(r.mu);
  return static_cast<size_t>(std::count_if(r.mutators.begin(), r.mutators.end(),
                                           [role](Mutator* m) { return m->role() == role; }));
}

namespace detail {

Registry& registry() {
  static Registry* r = [] {
    note_scheduler_started();
    return new Registry;  // never destroyed: workers detach during exit
  }();
  return *r;
}

namespace {

const void* thread_stack_base() {
  pthread_attr_t attr;
  GCMAP_CHECK(pthread_getattr_np(pthread_self(), &attr) == 0, "pthread_getattr_np failed");
  void* addr = nullptr;
  size_t size = 0;
  pthread_attr_getstack(&attr, &addr, &size);
  pthread_attr_destroy(&attr);
  return static_cast<char*>(addr) + size;
}

void arm_exit_hook(Role role);

// Registers the calling thread in the Blocking state (empty stack).
Mutator* register_thread(Role role) {
  check_not_forked("attaching a thread: ThreadScope or MutatorScope");
  Registry& r = registry();
  Mutator* m = MI::create(role, r.next_id.fetch_add(1, std::memory_order_relaxed), gettid(),
                          thread_stack_base());
  MI::blocking_depth(*m) = 1;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    r.mutators.push_back(m);
    r.count.fetch_add(1, std::memory_order_relaxed);
  }
  t_flags.self = m;
  arm_exit_hook(role);
  return m;
}

void run_attach_hook(Mutator& m) {
  if (auto hook = registry().on_attach.load(std::memory_order_acquire)) hook(m);
}

void attach_running(Role role) {
  Mutator* m = register_thread(role);
  leave_stopped(*m);  // waits for the restart if the world is stopped
  MI::blocking_depth(*m) = 0;
  run_attach_hook(*m);
}

void detach_current() {
  ThreadFlags& t = t_flags;
  Mutator* m = t.self;
  if (in_forked_child()) {
    // The registry's lock may be held by a thread that did not survive the
    // fork, and nothing can stop the world here any more: forget the
    // mutator (fork.h).
    t.self = nullptr;
    return;
  }
  GCMAP_CHECK(t.stop == nullptr,
              "thread %d detaches while it holds stop-the-world '%s': restart the world first",
              gettid(), t.stop->reason());
  if (is_idle_worker(*m)) {
    leave_stopped(*m);
    MI::blocking_depth(*m) = 0;
    MI::idle(*m) = false;
  }
  GCMAP_CHECK(MI::blocking_depth(*m) == 0, "thread %d detaches inside a blocking region", gettid());
  Registry& r = registry();
  if (!MI::attach_hook_pending(*m)) {
    if (auto hook = r.on_detach.load(std::memory_order_acquire)) hook(*m);
  }
  // Out of Running before taking the lock: a stopper holds it while it waits
  // for us.
  publish_stopped(*m, kDetached);
  {
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = std::find(r.mutators.begin(), r.mutators.end(), m);
    GCMAP_CHECK(it != r.mutators.end(), "mutator %d is not registered", m->tid());
    *it = r.mutators.back();
    r.mutators.pop_back();
    r.count.fetch_sub(1, std::memory_order_relaxed);
  }
  t.self = nullptr;
  MI::destroy(m);
}

// Detaches a thread that exits while still attached: a TBB worker (attached
// by the arena observer until its thread ends, as designed), or a thread
// whose MutatorScope never ended (leaked with new, or skipped by exit() or
// pthread_exit past a heap-allocated scope). Left registered, its Running
// state would make every later stop wait forever for a thread that is gone.
// A thread_local's destructor runs at thread exit (and for the main thread
// inside exit()), after the thread's own frames are gone and before its
// pthread keys are destroyed; t_flags and gc's per-thread state are plain
// thread_locals without destructors, so they are still valid here.
struct ExitHook {
  bool armed = false;
  Role role = Role::kMutator;
  ~ExitHook() {
    ThreadFlags& t = t_flags;
    if (!armed || t.self == nullptr) return;
    Mutator& m = *t.self;
    if (in_forked_child()) {
      t.self = nullptr;
      return;
    }
    // The main thread ends in exit(): attached there is ordinary (exit()
    // from inside a ThreadScope in main), not a leak worth a warning.
    if (role == Role::kMutator && gettid() != getpid()) {
      std::string name = thread_name(gettid());
      fprintf(stderr,
              "gcmap: warning: thread %d (\"%s\") exited while attached to the gcmap runtime: "
              "its ThreadScope (or MutatorScope) was never destroyed (leaked with new, or the "
              "thread ended with pthread_exit past a heap-allocated scope); detaching it now. "
              "Destroy the scope before the thread ends\n",
              gettid(), name.c_str());
    }
    // A region left open by a leaked BlockingRegion: end it the usual way
    // (waiting out a stop in progress) so that the thread detaches from
    // Running, as detach_current expects.
    if (!is_idle_worker(m) && MI::blocking_depth(m) > 0) {
      leave_stopped(m);
      MI::blocking_depth(m) = 0;
    }
    t.scope_depth = 0;
    detach_current();
  }
};
thread_local ExitHook t_exit_hook;

void arm_exit_hook(Role role) {
  t_exit_hook.armed = true;
  t_exit_hook.role = role;
}

}  // namespace

void attach_worker_thread() {
  ThreadFlags& t = t_flags;
  if (t.self != nullptr) {
    // Rejoining the arena: a good moment for a hook deferred by a stop.
    Mutator& m = *t.self;
    if (MI::attach_hook_pending(m) && is_idle_worker(m) && activate_worker(m, false)) {
      deactivate_worker(m);
    }
    return;
  }
  Mutator* m = register_thread(Role::kWorker);
  MI::idle(*m) = true;
  t.scope_depth = 1;
  MI::attach_hook_pending(*m) = true;
  if (activate_worker(*m, false)) deactivate_worker(*m);  // runs on_attach
}

bool activate_worker(Mutator& m, bool wait) {
  GCMAP_ASSERT(is_idle_worker(m) && MI::blocking_depth(m) == 1, "worker %d is not idle", m.tid());
  if (wait) {
    leave_stopped(m);
  } else if (!try_leave_stopped(m)) {
    return false;
  }
  MI::blocking_depth(m) = 0;
  MI::idle(m) = false;
  if (MI::attach_hook_pending(m)) {
    MI::attach_hook_pending(m) = false;
    run_attach_hook(m);
  }
  return true;
}

void deactivate_worker(Mutator& m) {
  GCMAP_ASSERT(MI::blocking_depth(m) == 0, "worker %d deactivates inside a blocking region",
               m.tid());
  MI::blocking_depth(m) = 1;
  MI::idle(m) = true;
  MI::lo(m) = MI::hi(m);
  publish_stopped(m, kBlocking);
}

}  // namespace detail

MutatorScope::MutatorScope(Role role) {
  detail::ThreadFlags& t = t_flags;
  if (t.self == nullptr) {
    GCMAP_ASSERT(t.scope_depth == 0, "MutatorScope nesting out of balance");
    outermost_ = true;
    ++t.scope_depth;
    detail::attach_running(role);
    return;
  }
  ++t.scope_depth;
  if (detail::is_idle_worker(*t.self)) {
    // Code on a worker thread that attaches explicitly runs as a mutator.
    detail::activate_worker(*t.self, /*wait=*/true);
    activated_worker_ = true;
  }
}

MutatorScope::~MutatorScope() {
  detail::ThreadFlags& t = t_flags;
  if (activated_worker_) detail::deactivate_worker(*t.self);
  --t.scope_depth;
  if (outermost_) detail::detach_current();
}

}  // namespace gcmap::sched
