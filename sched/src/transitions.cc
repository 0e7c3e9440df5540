// The stop protocol's state transitions: parking at a safepoint, entering and
// leaving the stopped states, the stopper's wait, the restart, and the pause
// accounting that ends when the last parked thread runs again.
//
// Correctness rests on one Dekker pair (sched/README.md has the argument): a
// thread stores Running then loads the request flag; the stopper stores the
// flag then loads each state; all four are seq_cst, so at least one of the
// two sees the other.
#include <sched.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "futex.h"
#include "gcmap/base/assert.h"
#include "gcmap/base/clock.h"
#include "gcmap/sched/safepoint.h"
#include "internal.h"
#include "pause_accounting.h"

namespace gcmap::sched::detail {

alignas(64) std::atomic<bool> g_stop_requested{false};
alignas(64) std::atomic<uint32_t> g_world_gen{0};
alignas(64) std::atomic<uint32_t> g_gen_sleepers{0};
std::atomic<bool> g_world_stopped{false};

namespace {

// How a waiting thread waits before it sleeps on a futex: it spins for about
// one poll interval, then calls sched_yield for a while, then sleeps.
// Measured with bench/sched on 2 cores (sched/README.md):
//  - Spinning longer takes the CPU that the thread being waited for needs:
//    a stopper that just woke up has often preempted a mutator on its own
//    core, and that mutator can only reach its safepoint once the stopper
//    gets off the CPU.
//  - sched_yield hands the core to such a thread at once, and costs a system
//    call when nobody else wants it: cheaper than a futex sleep and wake-up.
//  - A parked thread that is still yielding when the world restarts needs no
//    wake-up; one that slept is woken onto a core where, if a CPU-bound
//    mutator runs, it may wait for the next scheduler tick (4 ms at
//    HZ=250). So parked threads yield for longer than a short stop lasts.
constexpr uint64_t kStopperSpinNs = 1'000;
constexpr uint64_t kStopperYieldNs = 20'000;
constexpr uint64_t kParkedSpinNs = 1'000;
constexpr uint64_t kParkedYieldNs = 50'000;
// The stopper re-checks the clock this often while it sleeps, to warn.
constexpr uint64_t kStopperNapNs = 50'000'000;
constexpr uint64_t kSlowSafepointNs = 1'000'000'000;

// Spins, then yields, until pred() or the budgets pass; true if pred() held.
template <class Pred>
bool wait_briefly(uint64_t spin_ns, uint64_t yield_ns, Pred pred) {
  uint64_t start = 0;
  for (unsigned i = 0;; ++i) {
    if (pred()) return true;
    cpu_relax();
    if ((i & 15) == 15) {
      uint64_t now = base::now_ns();
      if (start == 0) {
        start = now;
      } else if (now - start >= spin_ns) {
        break;
      }
    }
  }
  uint64_t start_yield = base::now_ns();
  for (;;) {
    if (pred()) return true;
    if (base::now_ns() - start_yield >= yield_ns) return false;
    sched_yield();
  }
}

// Waits until the generation moves past gen, i.e. a restart happened after
// the caller read gen.
void wait_for_restart(uint32_t gen) {
  if (wait_briefly(kParkedSpinNs, kParkedYieldNs,
                   [gen] { return g_world_gen.load(std::memory_order_acquire) != gen; })) {
    return;
  }
  // Dekker with restart_world: we count ourselves, then check; it bumps, then
  // checks for sleepers. futex_wait re-checks the word atomically.
  g_gen_sleepers.fetch_add(1, std::memory_order_seq_cst);
  while (g_world_gen.load(std::memory_order_seq_cst) == gen) futex_wait(&g_world_gen, gen);
  g_gen_sleepers.fetch_sub(1, std::memory_order_release);
}

}  // namespace

void publish_stopped(Mutator& m, uint32_t s) {
  uint32_t old = MI::state(m).exchange(s, std::memory_order_seq_cst);
  GCMAP_ASSERT((old & kStateMask) == kRunning, "mutator %" PRIu64 " left state %u, not Running",
               m.id(), old & kStateMask);
  if (old & kStopperWaiting) futex_wake_all(&MI::state(m));
}

void leave_stopped(Mutator& m) {
  std::atomic<uint32_t>& state = MI::state(m);
  if (exempt_from_waiting(t_flags)) {
    state.store(kRunning, std::memory_order_seq_cst);
    return;
  }
  bool counted = false;
  for (;;) {
    // Read the generation before announcing Running: if the request we then
    // see is still set, its restart bumps the generation after this read.
    uint32_t gen = g_world_gen.load(std::memory_order_seq_cst);
    state.store(kRunning, std::memory_order_seq_cst);
    if (!g_stop_requested.load(std::memory_order_seq_cst)) break;
    // A stop is on: step back so that it can proceed, and count ourselves
    // among the threads its pause lasts for. In a fork() child the stopper
    // did not survive: no restart will come.
    check_not_forked("a blocking region ended while a stop-the-world was in progress at fork()");
    if (!counted) {
      pause_accounting::thread_waits();
      counted = true;
    }
    publish_stopped(m, kBlocking);
    wait_for_restart(gen);
  }
  if (counted) pause_accounting::thread_resumed();
}

bool try_leave_stopped(Mutator& m) {
  std::atomic<uint32_t>& state = MI::state(m);
  state.store(kRunning, std::memory_order_seq_cst);
  if (!g_stop_requested.load(std::memory_order_seq_cst)) return true;
  publish_stopped(m, kBlocking);
  return false;
}

void park(Mutator& m) {
  std::atomic<uint32_t>& state = MI::state(m);
  // Counted before the state is published: the stopper sees the count once
  // it sees us parked, so it cannot record the pause before we resume.
  pause_accounting::thread_waits();
  for (;;) {
    uint32_t gen = g_world_gen.load(std::memory_order_seq_cst);
    publish_stopped(m, kParked);
    // The flag may have been a stale read, or the stop already restarted:
    // only sleep while a request is on, and then until its restart.
    if (g_stop_requested.load(std::memory_order_seq_cst)) wait_for_restart(gen);
    // Parked -> Running; a stopper that read "Parked" meanwhile is safe: we
    // have not left this function, so the recorded stack and registers hold.
    state.store(kRunning, std::memory_order_seq_cst);
    if (!g_stop_requested.load(std::memory_order_seq_cst)) break;
  }
  pause_accounting::thread_resumed();
}

void wait_until_stopped(Mutator& m, const WorldStop& stop, bool* warned) {
  std::atomic<uint32_t>& state = MI::state(m);
  auto running = [&state] {
    return (state.load(std::memory_order_seq_cst) & kStateMask) == kRunning;
  };
  if (!wait_briefly(kStopperSpinNs, kStopperYieldNs, [&] { return !running(); })) {
    for (;;) {
      uint32_t s = state.load(std::memory_order_seq_cst);
      if ((s & kStateMask) != kRunning) break;
      // Ask for a wake-up: the thread's next exchange out of Running sees the bit.
      if (!(s & kStopperWaiting)) {
        if (!state.compare_exchange_weak(s, s | kStopperWaiting, std::memory_order_seq_cst)) {
          continue;
        }
        s |= kStopperWaiting;
      }
      futex_wait(&state, s, kStopperNapNs);
      // In every build: a thread that blocks while attached, outside a
      // gcmap::BlockingRegion, hangs every stop, and this is the only sign.
      uint64_t waited = base::now_ns() - stop.request_ns();
      if (!*warned && waited > kSlowSafepointNs && running()) {
        *warned = true;
        std::string who = describe_thread(m.tid());
        fprintf(stderr,
                "gcmap: warning: stop-the-world '%s' has waited %.3f s for %s, mutator %" PRIu64
                ", to reach a safepoint; an attached thread that blocks (join, sleep, "
                "a lock, I/O) must do it inside a gcmap::BlockingRegion\n",
                stop.reason(), static_cast<double>(waited) * 1e-9, who.c_str(), m.id());
      }
    }
  }
  uint64_t waited = base::now_ns() - stop.request_ns();
  if (!*warned && waited > kSlowSafepointNs) {
    *warned = true;
    std::string who = describe_thread(m.tid());
    fprintf(stderr,
            "gcmap: warning: stop-the-world '%s': %s, mutator %" PRIu64
            ", took %.3f s to reach a safepoint\n",
            stop.reason(), who.c_str(), m.id(), static_cast<double>(waited) * 1e-9);
  }
}

void restart_world(const WorldStop& stop) {
  pause_accounting::stop_ends(stop.request_ns());
  g_world_stopped.store(false, std::memory_order_relaxed);
  g_stop_requested.store(false, std::memory_order_seq_cst);
  g_world_gen.fetch_add(1, std::memory_order_seq_cst);
  if (g_gen_sleepers.load(std::memory_order_seq_cst) != 0) futex_wake_all(&g_world_gen);
  pause_accounting::after_restart();
}

void store_registers(Mutator& m, const uintptr_t* canonical) {
  if constexpr (kSpilledRegisters > 0) {
    memcpy(MI::regs(m), canonical, sizeof(uintptr_t) * kSpilledRegisters);
  }
}

void check_poll_allowed() {
  const ThreadFlags& t = t_flags;
  if (exempt_from_parking(t)) return;
  GCMAP_ASSERT(t.self != nullptr,
               "safepoint poll from thread %d, which is not attached (use MutatorScope)", gettid());
  GCMAP_ASSERT(t.self == nullptr || MI::blocking_depth(*t.self) == 0,
               "safepoint poll from thread %d while it counts as stopped (inside a blocking "
               "region, or an idle worker)",
               gettid());
}

}  // namespace gcmap::sched::detail

// Called by park_at_safepoint (registers.cc) with the callee-saved registers
// it pushed, in canonical order; its frame stays put until we return.
extern "C" __attribute__((visibility("hidden"))) void gcmap_sched_park_slow(
    const uintptr_t* canonical_regs, const void* sp) {
  using namespace gcmap::sched::detail;
  ThreadFlags& t = t_flags;
  if (exempt_from_parking(t)) return;
  gcmap::sched::Mutator* m = t.self;
  if (m == nullptr || MI::blocking_depth(*m) != 0) {
    check_poll_allowed();  // fatal in debug builds; release: a no-op poll
    return;
  }
  check_not_forked("a safepoint while a stop-the-world was in progress at fork()");
  store_registers(*m, canonical_regs);
  MI::lo(*m) = sp;
  park(*m);
}
