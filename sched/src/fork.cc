// The fork() child's guard (see gcmap/sched/fork.h): a pthread_atfork child
// handler, registered when the scheduler starts, marks the child unusable;
// the slow paths check the mark.
#include "gcmap/sched/fork.h"

#include <pthread.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "gcmap/base/assert.h"
#include "internal.h"

namespace gcmap::sched {

namespace {
std::atomic<bool> g_forked_child{false};

// Runs in the child only, on its one thread, before fork() returns there.
// Async-signal-safe: one atomic store.
void on_fork_child() {
  g_forked_child.store(true, std::memory_order_relaxed);
}
}  // namespace

bool in_forked_child() {
  return g_forked_child.load(std::memory_order_relaxed);
}

void fatal_in_forked_child(const char* what) {
  // No source location: this is a message for whoever wrote the fork().
  fprintf(stderr,
          "gcmap: the heap was used in a fork() child without exec (%s): the child has only "
          "the thread that called fork(), and the collector's threads, the other attached "
          "threads and the locks they held did not survive it. In the child, call only exec "
          "or _exit (or async-signal-safe functions); or fork before the gcmap runtime starts\n",
          what);
  fflush(stderr);
  abort();
}

namespace detail {

void note_scheduler_started() {
  static std::once_flag once;
  std::call_once(once, [] { pthread_atfork(nullptr, nullptr, on_fork_child); });
}

void check_not_forked(const char* what) {
  if (GCMAP_UNLIKELY(in_forked_child())) fatal_in_forked_child(what);
}

}  // namespace detail
}  // namespace gcmap::sched
