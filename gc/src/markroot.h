// markroot (internal): the roots of a cycle as a list of jobs that mark
// workers claim with an atomic counter (Go's markroot): one per root-table
// shard and one per mutator stack. The verifier walks the same jobs, so both
// see exactly the same roots.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gcmap/gc/visitor.h"

namespace gcmap::sched {
class WorldStop;
}

namespace gcmap::gc::detail {

// Where a root job reports what it finds.
class RootSink {
 public:
  virtual ~RootSink() = default;
  // A word that may or may not point into a heap object (stacks, registers).
  virtual void conservative(uintptr_t word) = 0;
  // Precise roots: Root<T> objects and RootProviders' traces.
  virtual Visitor& precise() = 0;
  // Names the root about to be reported, for the verifier's paths: a kind
  // ("Root", "root provider", "stack of thread") and a thread id or -1.
  virtual void begin(const char* kind, long tid) {
    (void)kind;
    (void)tid;
  }
};

using RootJob = std::function<void(RootSink&)>;

// The stack of the thread running the collection, as captured by
// with_registers_spilled (its own frames below `lo` are the collector's).
struct StopperStack {
  const void* lo = nullptr;
  const void* hi = nullptr;
  void* fake_stack = nullptr;
};

// One job per root-table shard. A concurrent mark runs them after the
// world restarts (the Root barrier covers changes made meanwhile).
std::vector<RootJob> build_shard_jobs();
// One job per stopped mutator's stack and registers, and the stopper's own
// stack. Valid only while `stop` holds.
std::vector<RootJob> build_stack_jobs(const sched::WorldStop& stop, const StopperStack& self);
// Both: every root of a stopped world.
std::vector<RootJob> build_root_jobs(const sched::WorldStop& stop, const StopperStack& self);

}  // namespace gcmap::gc::detail
