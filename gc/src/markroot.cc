// markroot: building the root jobs of a cycle (see markroot.h).
#include "markroot.h"

#include <array>
#include <cstring>

#include "gcmap/sched/mutator.h"
#include "gcmap/sched/stw.h"
#include "roots.h"
#include "stackscan.h"
#include "threadstate.h"

namespace gcmap::gc::detail {

namespace {

struct StackScan {
  const void* lo;
  const void* hi;
  std::array<uintptr_t, 16> regs{};
  int nregs = 0;
  void* fake_stack = nullptr;
  long tid = -1;
};

void scan_stack(const StackScan& st, RootSink& sink) {
  struct Ctx {
    RootSink* sink;
    void* fake_stack;
  } ctx{&sink, st.fake_stack};
  auto consider = [](uintptr_t w, void* c) {
    auto* x = static_cast<Ctx*>(c);
    x->sink->conservative(w);
    const void* beg;
    const void* end;
    // A pointer to an ASan fake frame: that frame holds locals of this stack.
    if (x->fake_stack != nullptr && fake_frame_of(x->fake_stack, w, &beg, &end)) {
      scan_words(
          beg, end, [](uintptr_t w2, void* c2) { static_cast<Ctx*>(c2)->sink->conservative(w2); },
          c);
    }
  };
  if (st.lo < st.hi) scan_words(st.lo, st.hi, consider, &ctx);
  for (int i = 0; i < st.nregs; ++i) consider(st.regs[i], &ctx);
}

}  // namespace

std::vector<RootJob> build_shard_jobs() {
  std::vector<RootJob> jobs;
  for (size_t s = 0; s < kRootShards; ++s) {
    jobs.push_back([s](RootSink& sink) {
      for_each_root_in_shard(s, [&](const void* p, TraceFn t) {
        if (p == nullptr) return;
        if (t != nullptr) {
          sink.begin("root provider", -1);
          t(p, sink.precise());
        } else {
          sink.begin("Root", -1);
          sink.precise().visit_raw(p);
        }
      });
    });
  }
  return jobs;
}

std::vector<RootJob> build_stack_jobs(const sched::WorldStop& stop, const StopperStack& self) {
  std::vector<RootJob> jobs;
  sched::Mutator* me = sched::current();
  stop.for_each_mutator([&](sched::Mutator& m) {
    StackScan st;
    st.tid = m.tid();
    if (&m == me) {
      st.lo = self.lo;
      st.hi = self.hi;
      st.fake_stack = self.fake_stack;
    } else {
      sched::StackRange r = m.stack();
      if (r.lo == r.hi) return;  // an idle worker holds no references
      st.lo = r.lo;
      st.hi = r.hi;
      st.nregs = std::min<int>(sched::kSpilledRegisters, static_cast<int>(st.regs.size()));
      std::memcpy(st.regs.data(), m.spilled_registers(), st.nregs * sizeof(uintptr_t));
      if (auto* ts = static_cast<ThreadState*>(m.context)) st.fake_stack = ts->fake_stack;
    }
    jobs.push_back([st](RootSink& sink) {
      sink.begin("stack of thread", st.tid);
      scan_stack(st, sink);
    });
  });
  // The collecting thread may be unattached (the controller thread, a
  // thread calling collect()): it holds no heap pointers the runtime keeps.
  return jobs;
}

std::vector<RootJob> build_root_jobs(const sched::WorldStop& stop, const StopperStack& self) {
  std::vector<RootJob> jobs = build_shard_jobs();
  std::vector<RootJob> stacks = build_stack_jobs(stop, self);
  jobs.insert(jobs.end(), stacks.begin(), stacks.end());
  return jobs;
}

}  // namespace gcmap::gc::detail
