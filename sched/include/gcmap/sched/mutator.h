// The mutator registry: every thread that touches the GC heap is attached
// here, so that a stop-the-world knows whom to wait for and the collector
// knows which stacks and registers to scan.
//
// A thread attaches with a MutatorScope (RAII, nestable). The runtime's TBB
// workers attach themselves as Role::kWorker (see workers.h). Each attached
// thread owns one Mutator whose address is stable until it detaches.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace gcmap::sched {

enum class Role : uint8_t { kMutator, kWorker };

// [lo, hi): the live part of a stopped thread's stack. Empty when lo == hi.
struct StackRange {
  const void* lo = nullptr;
  const void* hi = nullptr;
};

// Callee-saved registers captured with the stack pointer when a thread parks,
// enters a blocking region or stops the world. They may hold the only copy of
// a heap pointer, so the collector scans them along with the stack.
#if defined(__x86_64__)
constexpr int kSpilledRegisters = 6;  // rbx rbp r12 r13 r14 r15
#elif defined(__aarch64__)
constexpr int kSpilledRegisters = 11;  // x19 .. x29
#else
constexpr int kSpilledRegisters = 0;  // __builtin_unwind_init puts them on the stack
#endif

namespace detail {
struct MutatorInternals;
}

// One per attached thread.
class Mutator {
 public:
  Role role() const { return role_; }
  uint64_t id() const { return id_; }  // unique, never reused
  pid_t tid() const { return tid_; }   // OS thread id, for messages

  // Valid for a stopped mutator while the world is stopped, and for the
  // stopper itself inside its stop. lo = the stack pointer recorded when it
  // stopped, hi = its stack base. Empty for an idle worker: workers hold no
  // heap references while idle.
  StackRange stack() const;
  // kSpilledRegisters words captured with the stack pointer (same validity).
  const uintptr_t* spilled_registers() const { return regs_; }

  void* context = nullptr;  // owned by the layer above (gc's per-thread state)

  Mutator(const Mutator&) = delete;
  Mutator& operator=(const Mutator&) = delete;

 private:
  friend struct detail::MutatorInternals;
  Mutator(Role role, uint64_t id, pid_t tid, const void* stack_hi);
  ~Mutator() = default;

  // Written only by the owning thread (or by the stopper for itself), before
  // the release that publishes a stopped state; read by the stopper after the
  // acquire that observed it.
  const void* stack_lo_;
  const void* const stack_hi_;
  uintptr_t regs_[kSpilledRegisters > 0 ? kSpilledRegisters : 1] = {};
  bool idle_ = false;  // a worker waiting for work: its stack is not a root

  // Running, Parked, Blocking or Detached, plus a bit the stopper sets while
  // it sleeps waiting for this thread (see sched/README.md).
  std::atomic<uint32_t> state_;

  // Owner-thread bookkeeping (never read by other threads).
  unsigned blocking_depth_ = 0;       // nested blocking regions; 1 for an idle worker
  bool attach_hook_pending_ = false;  // a worker that attached during a stop

  const Role role_;
  const uint64_t id_;
  const pid_t tid_;
};

// The calling thread's Mutator, or null if it is not attached.
Mutator* current();

struct MutatorHooks {
  void (*on_attach)(Mutator&) = nullptr;
  void (*on_detach)(Mutator&) = nullptr;
};
// Installed once by gc before threads attach. on_attach runs on the attaching
// thread once it is registered and running (world not stopped); on_detach runs
// on the detaching thread while it still counts as running (so a stop waits
// for it), before it unregisters. A worker that joins the arena during a stop
// gets its on_attach the next time it runs outside a stop.
void set_mutator_hooks(const MutatorHooks& hooks);

// RAII attach/detach. Nestable on one thread: only the outermost scope
// attaches (with its role) and detaches. An inner scope on an idle worker
// makes it a running mutator for the scope's lifetime.
class MutatorScope {
 public:
  MutatorScope() : MutatorScope(Role::kMutator) {}
  explicit MutatorScope(Role role);
  ~MutatorScope();
  MutatorScope(const MutatorScope&) = delete;
  MutatorScope& operator=(const MutatorScope&) = delete;

 private:
  bool outermost_ = false;
  bool activated_worker_ = false;
};

size_t attached_count();
// Attached threads of one role (takes the registry lock): the runtime's TBB
// workers come and go on their own, so tests count Role::kMutator.
size_t attached_count(Role role);

}  // namespace gcmap::sched
