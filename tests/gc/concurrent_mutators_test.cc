// Several mutator threads allocate, link and drop structures while automatic
// cycles run (a small GOGC makes them frequent) and one thread forces
// collections; every structure a thread still holds stays intact. Verify
// mode checks every mark. Run under ASan and TSan.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "tracked.h"

namespace gcmap::test {
namespace {

class ConcurrentMutators : public GcTest {};

struct Cell : GarbageCollected<Cell> {
  Cell(uint64_t v, Cell* n) : value(v), next(n) {}
  void trace(Visitor& v) const { v.visit(next); }
  uint64_t value;
  Ptr<Cell> next;
};

uint64_t checksum(const Cell* c) {
  uint64_t s = 0;
  for (; c != nullptr; c = c->next) s = s * 31 + c->value;
  return s;
}

TEST_F(ConcurrentMutators, ThreadsAllocateWhileCyclesRun) {
  set_gc_percent(25);
  constexpr int kThreads = 4;
  constexpr int kRounds = 6000;
  std::atomic<bool> failed{false};
  std::atomic<int> running{kThreads};
  // The mutators go on past kRounds until three automatic cycles have run
  // (the forced ones below can pre-empt them on a loaded machine), for at
  // most a minute.
  const uint64_t auto0 = stats().cycles - stats().forced_cycles;
  auto automatic_cycles = [&] { return stats().cycles - stats().forced_cycles - auto0; };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto more = [&](int round) {
    return round < kRounds ||
           (automatic_cycles() < 3 && std::chrono::steady_clock::now() < deadline);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ThreadScope attach;
      std::mt19937_64 rng(t);
      std::vector<Root<Cell>> lists(8);
      std::vector<uint64_t> sums(8, 0);
      for (int round = 0; more(round); ++round) {
        size_t i = rng() % lists.size();
        // Verify the list we are about to replace, then build a new one.
        if (checksum(lists[i]) != sums[i]) failed = true;
        Cell* head = nullptr;
        int len = 50 + static_cast<int>(rng() % 200);
        for (int k = 0; k < len; ++k) head = make<Cell>(rng(), head);
        lists[i] = head;
        sums[i] = checksum(head);
        // Some garbage, reachable only from the stack for a moment.
        Cell* tmp = nullptr;
        for (int k = 0; k < 100; ++k) tmp = make<Cell>(k, tmp);
        if (checksum(tmp) == 0) failed = true;
      }
      for (size_t i = 0; i < lists.size(); ++i) {
        if (checksum(lists[i]) != sums[i]) failed = true;
      }
      running.fetch_sub(1);
    });
  }
  {
    ThreadScope attach;
    while (running.load() > 0) {
      collect();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(failed.load());
  Stats s = stats();
  EXPECT_GE(automatic_cycles(), 3u) << "automatic cycles";
  EXPECT_GT(s.forced_cycles, 0u);
  set_gc_percent(100);
}

}  // namespace
}  // namespace gcmap::test
