// Stack scanning support: inside a stop, each stopped thread's stack range
// contains its locals, the stopper's range contains its own, a blocked
// thread's range contains the locals of the frame that entered the region,
// and the callee-saved registers a thread held when it parked are recorded.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "gcmap/sched/blocking.h"
#include "gcmap/sched/safepoint.h"
#include "gcmap/sched/stw.h"
#include "sched_test_util.h"

namespace gcmap::sched {
namespace {

using testing::eventually;

bool contains(StackRange r, const void* p) {
  auto a = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<uintptr_t>(r.lo) <= a && a < reinterpret_cast<uintptr_t>(r.hi);
}

struct Published {
  std::mutex mu;
  std::map<uint64_t, const void*> local_of;  // mutator id -> a local's address
  void add(uint64_t id, const void* p) {
    std::lock_guard<std::mutex> lock(mu);
    local_of[id] = p;
  }
};

TEST(SchedStackRange, ContainsALocalOfEachStoppedThread) {
  constexpr int kThreads = 4;
  Published published;
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      MutatorScope attach;
      volatile int local = 0;
      published.add(current()->id(), const_cast<int*>(&local));
      while (!done.load(std::memory_order_relaxed)) {
        local = local + 1;
        safepoint_poll();
      }
    });
  }
  ASSERT_TRUE(eventually([&] {
    std::lock_guard<std::mutex> lock(published.mu);
    return published.local_of.size() == kThreads;
  }));
  for (int round = 0; round < 20; ++round) {
    WorldStop stop("scan");
    int checked = 0;
    stop.for_each_mutator([&](Mutator& m) {
      auto it = published.local_of.find(m.id());
      if (it == published.local_of.end()) return;
      ++checked;
      StackRange r = m.stack();
      EXPECT_LT(r.lo, r.hi);
      EXPECT_TRUE(contains(r, it->second)) << "thread " << m.tid() << ": " << it->second
                                           << " not in [" << r.lo << ", " << r.hi << ")";
    });
    EXPECT_EQ(checked, kThreads);
  }
  done = true;
  for (auto& t : threads) t.join();
}

TEST(SchedStackRange, StoppersOwnRangeContainsItsLocal) {
  MutatorScope attach;
  volatile int local = 7;
  WorldStop stop("self");
  int seen = 0;
  stop.for_each_mutator([&](Mutator& m) {
    if (&m != current()) return;
    ++seen;
    EXPECT_TRUE(contains(m.stack(), const_cast<int*>(&local)));
  });
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(local, 7);
}

TEST(SchedStackRange, BlockedThreadsRangeContainsTheLocalsOfTheFrameThatBlocked) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<const void*> local_address{nullptr};
  std::atomic<uint64_t> id{0};
  std::thread blocked([&] {
    MutatorScope attach;
    volatile int local = 1;
    id = current()->id();
    BlockingRegion region;
    local_address = const_cast<int*>(&local);
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
  });
  ASSERT_TRUE(eventually([&] { return local_address.load() != nullptr; }));
  {
    WorldStop stop("scan blocked");
    int seen = 0;
    stop.for_each_mutator([&](Mutator& m) {
      if (m.id() != id.load()) return;
      ++seen;
      EXPECT_TRUE(contains(m.stack(), local_address.load()));
    });
    EXPECT_EQ(seen, 1);
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  blocked.join();
}

#if defined(__x86_64__)
// Parks with known values in rbx, r12, r13 and r14 (r15 keeps the stack
// pointer across the call). The call is made from the asm itself, so the
// compiler cannot have moved these values anywhere else.
void (*g_park)() = &park_at_safepoint;

constexpr uintptr_t kRbx = 0x1111222233334444;
constexpr uintptr_t kR12 = 0x5555666677778888;
constexpr uintptr_t kR13 = 0x9999aaaabbbbcccc;
constexpr uintptr_t kR14 = 0xddddeeeeffff0001;

__attribute__((noinline)) void park_with_known_registers() {
  asm volatile(
      "movq %%rsp, %%r15\n\t"
      "subq $128, %%rsp\n\t"  // step over the red zone
      "andq $-16, %%rsp\n\t"
      "movabsq $0x1111222233334444, %%rbx\n\t"
      "movabsq $0x5555666677778888, %%r12\n\t"
      "movabsq $0x9999aaaabbbbcccc, %%r13\n\t"
      "movabsq $0xddddeeeeffff0001, %%r14\n\t"
      "callq *%[fn]\n\t"
      "movq %%r15, %%rsp\n\t"
      :
      : [fn] "m"(g_park)
      : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
        "r15", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
        "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

TEST(SchedStackSpilledRegisters, HoldTheCalleeSavedRegistersOfTheParkedThread) {
  std::atomic<uint64_t> id{0};
  std::atomic<bool> parked_once{false};
  std::thread t([&] {
    MutatorScope attach;
    id = current()->id();
    // Wait (without polling) for the request, then park with known values.
    while (!stop_requested()) {
    }
    park_with_known_registers();
    parked_once = true;
  });
  ASSERT_TRUE(eventually([&] { return id.load() != 0; }));
  {
    WorldStop stop("registers");
    int seen = 0;
    stop.for_each_mutator([&](Mutator& m) {
      if (m.id() != id.load()) return;
      ++seen;
      const uintptr_t* regs = m.spilled_registers();  // rbx rbp r12 r13 r14 r15
      EXPECT_EQ(regs[0], kRbx);
      EXPECT_EQ(regs[2], kR12);
      EXPECT_EQ(regs[3], kR13);
      EXPECT_EQ(regs[4], kR14);
      // The registers are also on the stack, inside the recorded range.
      StackRange r = m.stack();
      EXPECT_EQ(static_cast<const uintptr_t*>(r.lo)[0], kRbx);
    });
    EXPECT_EQ(seen, 1);
  }
  t.join();
  EXPECT_TRUE(parked_once.load());
}
#else
TEST(SchedStackSpilledRegisters, HoldTheCalleeSavedRegistersOfTheParkedThread) {
  GTEST_SKIP() << "the register-forcing test is written for x86-64";
}
#endif

}  // namespace
}  // namespace gcmap::sched
