// Sweeping, the collector's side: the free hook that runs destructors, and
// the background sweeper that drains the unswept spans after each cycle.
//
// Spans are also swept lazily by allocations that need one (alloc/), so the
// background job only has to get ahead of them. It runs on the TBB arena
// with a quarter of the machine's CPU (Go's background share), in slices
// that yield at every stop request.
#include <string>

#include "gcmap/alloc/heap.h"
#include "gcmap/base/assert.h"
#include "gcmap/gc/object.h"
#include "gcmap/sched/background.h"
#include "runtime_state.h"
#include "sweeper.h"
#include "types.h"

namespace gcmap::gc::detail {

namespace {

thread_local bool t_in_finalizer = false;

// Marks this thread as running a destructor for as long as it lives, so that
// no exit from the destructor (return or exception) leaves the mark behind.
class InFinalizer {
 public:
  InFinalizer() { t_in_finalizer = true; }
  ~InFinalizer() { t_in_finalizer = false; }
  InFinalizer(const InFinalizer&) = delete;
  InFinalizer& operator=(const InFinalizer&) = delete;
};

// A destructor run by the sweeper has no caller to report to: the sweep runs
// on a background worker or inside whichever allocation or collect() needed
// a span, and an exception there would leave the span half swept. So an
// exception is fatal, naming the type, as std::thread terminates when its
// function throws (and Go crashes on a panicking finalizer).
void free_hook(void* obj, uint16_t type, void* /*ctx*/) {
  FinalizeFn f = type_info(type).finalize;
  if (f == nullptr) return;
  InFinalizer in_finalizer;
  try {
    f(obj);
  } catch (...) {
    fatal_callback_threw(("the destructor of " + short_type_name(type)).c_str(),
                         "while the sweeper freed the object",
                         "destructors of collected objects must not throw: catch inside the "
                         "destructor");
  }
}

class Sweeper final : public sched::BackgroundJob {
 public:
  const char* name() const override { return "sweep"; }
  bool run_slice(sched::SliceContext& ctx) override {
    alloc::Heap& heap = alloc::Heap::get();
    while (!ctx.should_yield()) {
      if (!heap.sweep_one()) return false;
    }
    return true;
  }
};

// Never destroyed: the background coordinator may still call it while
// static destructors run at exit.
Sweeper* const g_sweeper = new Sweeper();

}  // namespace

bool in_finalizer() {
  return t_in_finalizer;
}

void start_sweeper() {
  alloc::Heap::get().set_free_hook(free_hook, nullptr);
  sched::start_background(g_sweeper, 0.25);
}

void wake_sweeper() {
  sched::wake_background(g_sweeper);
}

}  // namespace gcmap::gc::detail
