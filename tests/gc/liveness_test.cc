// What keeps an object alive: a Root, a Ptr chain, a raw pointer on a
// stopped thread's stack, a pointer held only in a callee-saved register, an
// interior pointer. What does not: nothing (cycles included); and each dead
// object's destructor runs exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "gcmap/gc/testing.h"
#include "gcmap/sched/safepoint.h"
#include "tracked.h"

namespace gcmap::test {
namespace {

class Liveness : public GcTest {};

GCMAP_NOINLINE Tracked* make_tracked(Registry* r, size_t id) {
  return make<Tracked>(r, id);
}

// Hide a pointer from a conservative scan: only the masked value is stored.
constexpr uintptr_t kMask = 0x5a5a5a5a5a5a5a5aull;
uintptr_t hide(const void* p) {
  return reinterpret_cast<uintptr_t>(p) ^ kMask;
}
Tracked* unhide(uintptr_t h) {
  return reinterpret_cast<Tracked*>(h ^ kMask);
}

TEST_F(Liveness, RootKeepsObjectAliveUntilReset) {
  ThreadScope attach;
  Registry& reg = registry(1);
  Root<Tracked> root(make_tracked(&reg, 0));
  testing::collect_precise();
  EXPECT_EQ(reg.count(0), 0);
  EXPECT_EQ(root->magic, kAliveMagic);
  root.reset();
  testing::collect_precise();
  EXPECT_EQ(reg.count(0), 1);
}

TEST_F(Liveness, PtrChainKeepsEveryLinkAlive) {
  ThreadScope attach;
  constexpr size_t kN = 1000;
  Registry& reg = registry(kN);
  Root<Tracked> head(make_tracked(&reg, 0));
  Tracked* tail = head;
  for (size_t i = 1; i < kN; ++i) {
    tail->a = make_tracked(&reg, i);
    tail = tail->a;
  }
  tail = nullptr;
  for (int cycle = 0; cycle < 3; ++cycle) testing::collect_precise();
  size_t n = 0;
  for (Tracked* t = head; t != nullptr; t = t->a) {
    EXPECT_EQ(t->id, n);
    EXPECT_EQ(t->magic, kAliveMagic);
    ++n;
  }
  EXPECT_EQ(n, kN);
  for (size_t i = 0; i < kN; ++i) EXPECT_EQ(reg.count(i), 0);
  // Cut the chain in the middle: the second half dies, once.
  Tracked* mid = head;
  for (size_t i = 0; i < kN / 2 - 1; ++i) mid = mid->a;
  mid->a = nullptr;
  mid = nullptr;
  testing::collect_precise();
  testing::collect_precise();
  for (size_t i = 0; i < kN; ++i) EXPECT_EQ(reg.count(i), i < kN / 2 ? 0 : 1) << i;
}

TEST_F(Liveness, UnreachableCyclesAreFreedOnce) {
  ThreadScope attach;
  Registry& reg = registry(300);
  uintptr_t hidden[100];
  for (size_t k = 0; k < 100; ++k) {
    // A three-node cycle, referenced only through a masked word.
    Tracked* x = make_tracked(&reg, 3 * k);
    Tracked* y = make_tracked(&reg, 3 * k + 1);
    Tracked* z = make_tracked(&reg, 3 * k + 2);
    x->a = y;
    y->a = z;
    z->a = x;
    x->b = x;
    hidden[k] = hide(x);
  }
  (void)hidden;
  testing::collect_precise();
  for (size_t i = 0; i < 300; ++i) EXPECT_EQ(reg.count(i), 1) << i;
  // Further cycles never run a destructor twice.
  testing::collect_precise();
  for (size_t i = 0; i < 300; ++i) EXPECT_EQ(reg.count(i), 1) << i;
}

GCMAP_NOINLINE void make_unreachable_ring(Registry* reg, size_t first, size_t n) {
  Tracked* head = make_tracked(reg, first);
  Tracked* t = head;
  for (size_t i = 1; i < n; ++i) {
    t->a = make_tracked(reg, first + i);
    t = t->a;
  }
  t->a = head;
}

TEST_F(Liveness, CollectConcurrentFreesWhatWasUnreachableAndKeepsTheRest) {
  ThreadScope attach;
  Registry& reg = registry(200);
  Root<Tracked> keep(make_tracked(&reg, 0));
  keep->a = make_tracked(&reg, 1);
  make_unreachable_ring(&reg, 100, 100);
  clobber_stack();
  uint64_t cycles = stats().cycles;
  collect_concurrent();
  EXPECT_GT(stats().cycles, cycles);
  EXPECT_EQ(reg.count(0), 0);
  EXPECT_EQ(reg.count(1), 0);
  EXPECT_EQ(keep->a->magic, kAliveMagic);
  for (size_t i = 100; i < 200; ++i) EXPECT_EQ(reg.count(i), 1) << i;
}

TEST_F(Liveness, ConservativeStackOfTheCollectingThreadKeepsObjectsAlive) {
  ThreadScope attach;
  Registry& reg = registry(2);
  Tracked* volatile on_stack = make_tracked(&reg, 0);
  on_stack->a = make_tracked(&reg, 1);
  collect();
  EXPECT_EQ(reg.count(0), 0);
  EXPECT_EQ(reg.count(1), 0);
  EXPECT_EQ(on_stack->a->magic, kAliveMagic);
}

// Thread B keeps a pointer in some form and parks in a safepoint loop while
// the main thread collects without scanning its own stack.
template <class Keep>
void collect_while_other_thread_holds(Registry& reg, Keep keep) {
  std::atomic<int> phase{0};
  std::thread other([&] {
    ThreadScope attach;
    keep(reg, phase);
  });
  while (phase.load() != 1) std::this_thread::yield();
  {
    ThreadScope attach;
    testing::collect_precise();
    testing::collect_precise();
  }
  phase.store(2);
  other.join();
}

void poll_until_phase_2(std::atomic<int>& phase) {
  phase.store(1);
  while (phase.load() != 2) {
    sched::safepoint_poll();
    std::this_thread::yield();
  }
}

TEST_F(Liveness, RawPointerOnAnotherThreadsStackKeepsObjectAlive) {
  Registry& reg = registry(2);
  uint64_t seen = 0;
  collect_while_other_thread_holds(reg, [&](Registry& r, std::atomic<int>& phase) {
    Tracked* volatile p = make_tracked(&r, 0);
    p->a = make_tracked(&r, 1);
    poll_until_phase_2(phase);
    seen = p->a->magic;
  });
  EXPECT_EQ(seen, kAliveMagic);
  EXPECT_EQ(reg.count(0), 0);
  EXPECT_EQ(reg.count(1), 0);
}

TEST_F(Liveness, InteriorPointerOnTheStackKeepsObjectAlive) {
  Registry& reg = registry(1);
  uint64_t seen = 0;
  collect_while_other_thread_holds(reg, [&](Registry& r, std::atomic<int>& phase) {
    uintptr_t h = hide(make_tracked(&r, 0));
    // Only a pointer into the middle of the object (its `magic` field).
    uint64_t* volatile interior = &unhide(h)->magic;
    h = 0;
    poll_until_phase_2(phase);
    seen = *interior;
  });
  EXPECT_EQ(seen, kAliveMagic);
  EXPECT_EQ(reg.count(0), 0);
}

#if defined(__x86_64__)
struct RegisterTestState {
  std::atomic<int>* phase;
};

// Runs with the object's address in rbx only (see call_with_rbx).
GCMAP_NOINLINE void park_with_rbx(void* arg) {
  poll_until_phase_2(*static_cast<RegisterTestState*>(arg)->phase);
}

// Calls fn(arg) with rbx = masked ^ kMask: the unmasked pointer exists only
// in rbx (and wherever fn's callees spill it), never in this frame.
GCMAP_NOINLINE void call_with_rbx(uintptr_t masked, void (*fn)(void*), void* arg) {
  struct Args {
    uintptr_t masked;
    uintptr_t key;
    void (*fn)(void*);
    void* arg;
  } args{masked, kMask, fn, arg};
  asm volatile(
      "mov %%rsp, %%r12\n\t"
      "and $-16, %%rsp\n\t"
      "mov 0(%[a]), %%rbx\n\t"
      "xor 8(%[a]), %%rbx\n\t"
      "mov 24(%[a]), %%rdi\n\t"
      "call *16(%[a])\n\t"
      "mov %%r12, %%rsp\n\t"
      :
      : [a] "r"(&args)
      : "memory", "cc", "rbx", "r12", "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
        "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

TEST_F(Liveness, PointerOnlyInACalleeSavedRegisterKeepsObjectAlive) {
  Registry& reg = registry(1);
  uintptr_t survivor = 0;
  collect_while_other_thread_holds(reg, [&](Registry& r, std::atomic<int>& phase) {
    uintptr_t h = hide(make_tracked(&r, 0));
    RegisterTestState st{&phase};
    call_with_rbx(h, park_with_rbx, &st);
    survivor = h;
  });
  EXPECT_EQ(reg.count(0), 0);
  EXPECT_EQ(unhide(survivor)->magic, kAliveMagic);
}
#endif

TEST_F(Liveness, DestructorsRunExactlyOnceAcrossManyCycles) {
  ThreadScope attach;
  constexpr size_t kN = 20000;
  Registry& reg = registry(kN);
  {
    Root<Tracked> keep;
    for (size_t i = 0; i < kN; ++i) {
      Tracked* t = make_tracked(&reg, i);
      if (i % 2 == 0) {
        t->a = keep;
        keep = t;
      }
    }
    testing::collect_precise();
    for (size_t i = 0; i < kN; ++i) ASSERT_EQ(reg.count(i), i % 2 ? 1 : 0) << i;
  }
  testing::collect_precise();
  testing::collect_precise();
  for (size_t i = 0; i < kN; ++i) ASSERT_EQ(reg.count(i), 1) << i;
}

}  // namespace
}  // namespace gcmap::test
