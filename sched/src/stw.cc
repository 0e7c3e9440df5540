// Stop-the-world: the stopper's side of the protocol. Stoppers serialize on
// a mutex (waiting in a blocking region, so an earlier stopper does not wait
// for them); the request is one seq_cst store of the poll flag; the stopper
// then waits, holding the registry lock, until no other attached thread is
// Running. The registry lock is released for the stop's body so that TBB
// workers joining the arena can attach and help.
#include "gcmap/sched/stw.h"

#include <mutex>

#include "gcmap/base/assert.h"
#include "gcmap/base/clock.h"
#include "gcmap/sched/safepoint.h"
#include "internal.h"
#include "pause_accounting.h"

namespace gcmap::sched {

using detail::check_not_forked;
using detail::MI;
using detail::t_flags;

namespace {
std::mutex& stop_mutex() {
  static std::mutex* mu = new std::mutex;
  return *mu;
}
}  // namespace

void WorldStop::begin(const char* reason, const void* sp) {
  detail::ThreadFlags& t = t_flags;
  GCMAP_CHECK(t.window_job == nullptr,
              "stop-the-world '%s' requested from inside pause-window job '%s'", reason,
              t.window_job);
  GCMAP_CHECK(t.stop == nullptr,
              "stop-the-world '%s' requested while this thread already holds stop '%s'", reason,
              t.stop != nullptr ? t.stop->reason() : "");
  GCMAP_CHECK(t.stop_work == 0,
              "stop-the-world '%s' requested from work running inside another stop", reason);
  check_not_forked("stop-the-world");
  reason_ = reason;
  Mutator* self = t.self;

  // Our turn. While we wait we count as stopped, or the current stopper
  // would wait for us.
  if (!stop_mutex().try_lock()) {
    Mutator* m = detail::enter_blocking_region(regs_, sp);
    stop_mutex().lock();
    if (m != nullptr) detail::leave_blocking_region(m);
  }
  t.stop = this;

  self_ = self;
  if (self != nullptr) {
    // Our own capture, for for_each_mutator; the previous one is restored at
    // the end (we may be inside a blocking region).
    saved_lo_ = MI::lo(*self);
    for (int i = 0; i < kSpilledRegisters; ++i) saved_regs_[i] = MI::regs(*self)[i];
    detail::store_registers(*self, regs_);
    MI::lo(*self) = sp;
  }

  request_ns_ = base::now_ns();
  detail::g_stop_requested.store(true, std::memory_order_seq_cst);
  bool warned = false;
  {
    detail::Registry& r = detail::registry();
    std::lock_guard<std::mutex> lock(r.mu);
    for (Mutator* m : r.mutators) {
      if (m != self) detail::wait_until_stopped(*m, *this, &warned);
    }
  }
  time_to_safepoint_ns_ = base::now_ns() - request_ns_;
  detail::pause_accounting::time_to_safepoint().record(time_to_safepoint_ns_);
  detail::g_world_stopped.store(true, std::memory_order_relaxed);
}

void WorldStop::end() {
  if (self_ != nullptr) {
    MI::lo(*self_) = saved_lo_;
    detail::store_registers(*self_, saved_regs_);
  }
  detail::restart_world(*this);
  t_flags.stop = nullptr;
  stop_mutex().unlock();
}

void WorldStop::for_each_mutator(const std::function<void(Mutator&)>& f) const {
  detail::Registry& r = detail::registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (Mutator* m : r.mutators) f(*m);
}

bool world_stopped() {
  return detail::g_world_stopped.load(std::memory_order_relaxed);
}

bool this_thread_is_stopper() {
  return t_flags.stop != nullptr;
}

PauseStats pause_stats() {
  return PauseStats{detail::pause_accounting::pauses(),
                    detail::pause_accounting::time_to_safepoint()};
}

void reset_pause_stats_for_testing() {
  detail::pause_accounting::pauses().reset();
  detail::pause_accounting::time_to_safepoint().reset();
  detail::pause_accounting::reset_events();
}

uint64_t pause_events_since(uint64_t cursor, std::vector<PauseEvent>* out) {
  return detail::pause_accounting::events_since(cursor, out);
}

}  // namespace gcmap::sched
