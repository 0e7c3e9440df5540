// The concurrent collector under fire: several threads mutate their own
// random graphs (reassigning Ptrs, dropping and re-linking subgraphs, moving
// pointers through stack-only locals while they allocate) while a driver
// thread runs concurrent cycles back to back, with a full collection now and
// then. Verify mode (main.cc) checks every mark; each thread checks after
// every batch that everything its model can reach is alive and intact.
// Run under ASan (a freed node is poisoned) and TSan.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gcmap/sched/safepoint.h"
#include "tracked.h"

namespace gcmap::test {
namespace {

class ConcurrentGraph : public GcTest {};

struct Garbage : GarbageCollected<Garbage> {
  char bytes[40];
};

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kBatches = 60;
#else
constexpr int kBatches = 300;
#endif
constexpr int kOpsPerBatch = 200;
constexpr size_t kIdsPerThread = kBatches * kOpsPerBatch;

struct ThreadModel {
  struct Node {
    Tracked* obj;
    int64_t a = -1, b = -1;
  };
  std::unordered_map<size_t, Node> nodes;
  std::vector<Root<Tracked>> roots;
  std::vector<size_t> root_ids;
};

// Keep only what the roots reach; check every reachable node is intact.
bool check_and_prune(ThreadModel& m, Registry& reg, std::string* why) {
  std::unordered_set<size_t> reach;
  std::vector<size_t> stack(m.root_ids.begin(), m.root_ids.end());
  while (!stack.empty()) {
    size_t id = stack.back();
    stack.pop_back();
    if (!reach.insert(id).second) continue;
    const auto& n = m.nodes.at(id);
    if (n.a >= 0) stack.push_back(static_cast<size_t>(n.a));
    if (n.b >= 0) stack.push_back(static_cast<size_t>(n.b));
  }
  for (auto it = m.nodes.begin(); it != m.nodes.end();) {
    if (!reach.count(it->first)) {
      it = m.nodes.erase(it);
      continue;
    }
    const Tracked* t = it->second.obj;
    if (reg.count(it->first) != 0 || t->magic != kAliveMagic || t->id != it->first ||
        (t->a.get() ? static_cast<int64_t>(t->a->id) : -1) != it->second.a ||
        (t->b.get() ? static_cast<int64_t>(t->b->id) : -1) != it->second.b) {
      *why = "node " + std::to_string(it->first) +
             " is reachable but freed or changed: destroyed " +
             std::to_string(reg.count(it->first)) + " times, magic " + std::to_string(t->magic) +
             ", edges model " + std::to_string(it->second.a) + "," + std::to_string(it->second.b);
      return false;
    }
    ++it;
  }
  return true;
}

TEST_F(ConcurrentGraph, MutatorsKeepTheirGraphsWhileCyclesRunBackToBack) {
  constexpr int kThreads = 3;
  std::vector<Registry*> regs;
  for (int t = 0; t < kThreads; ++t) regs.push_back(&registry(kIdsPerThread));
  std::atomic<int> running{kThreads};
  std::atomic<bool> failed{false};
  std::string failure;
  std::mutex failure_mu;

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ThreadScope attach;
      Registry& reg = *regs[t];
      ThreadModel m;
      std::mt19937_64 rng(77 + t);
      size_t next_id = 0;
      auto pick = [&]() -> int64_t {
        if (m.nodes.empty()) return -1;
        auto it = m.nodes.begin();
        std::advance(it, static_cast<long>(rng() % std::min<size_t>(m.nodes.size(), 64)));
        return static_cast<int64_t>(it->first);
      };
      auto set_edge = [&](int64_t x, bool left, int64_t y) {
        auto& n = m.nodes.at(static_cast<size_t>(x));
        Tracked* target = y >= 0 ? m.nodes.at(static_cast<size_t>(y)).obj : nullptr;
        (left ? n.obj->a : n.obj->b) = target;
        (left ? n.a : n.b) = y;
      };
      for (int batch = 0; batch < kBatches && !failed; ++batch) {
        for (int op = 0; op < kOpsPerBatch; ++op) {
          // A node the model no longer reaches may be freed by the next cycle
          // at any moment: forget it before any allocation or safepoint, as
          // a correct program would. Small graphs keep this cheap.
          std::string why;
          if (!check_and_prune(m, reg, &why)) {
            std::lock_guard<std::mutex> g(failure_mu);
            failure = why;
            failed = true;
            break;
          }
          while (m.roots.size() > 24) {
            m.roots.erase(m.roots.begin());
            m.root_ids.erase(m.root_ids.begin());
          }
          int what = static_cast<int>(rng() % 100);
          if (what < 40 || m.nodes.empty()) {
            size_t id = next_id++;
            m.nodes[id] = {make<Tracked>(&reg, id)};
            int64_t parent = pick();
            if (parent >= 0 && static_cast<size_t>(parent) != id && rng() % 5 != 0) {
              set_edge(parent, rng() % 2, static_cast<int64_t>(id));
            } else {
              m.roots.emplace_back(m.nodes[id].obj);
              m.root_ids.push_back(id);
            }
          } else if (what < 60) {
            // Move a subgraph: take it out, hold it only on the stack while
            // allocating garbage (cycles and assists may run), put it back
            // somewhere else.
            int64_t from = pick();
            bool left = rng() % 2;
            auto& n = m.nodes.at(static_cast<size_t>(from));
            int64_t moved = left ? n.a : n.b;
            Tracked* volatile held = left ? n.obj->a.get() : n.obj->b.get();
            set_edge(from, left, -1);
            // The moved subgraph is now held by `held` alone; drop it from
            // the model until it is linked again.
            std::unordered_map<size_t, ThreadModel::Node> subgraph;
            if (moved >= 0) {
              std::vector<size_t> st{static_cast<size_t>(moved)};
              while (!st.empty()) {
                size_t id = st.back();
                st.pop_back();
                if (subgraph.count(id) || !m.nodes.count(id)) continue;
                subgraph[id] = m.nodes.at(id);
                if (subgraph[id].a >= 0) st.push_back(static_cast<size_t>(subgraph[id].a));
                if (subgraph[id].b >= 0) st.push_back(static_cast<size_t>(subgraph[id].b));
              }
              std::string ignored;
              check_and_prune(m, reg, &ignored);
            }
            for (int k = 0; k < 50; ++k) make<Garbage>()->bytes[0] = 1;
            sched::safepoint_poll();
            // Whatever the model still reaches plus the held subgraph.
            for (auto& [id, node] : subgraph) m.nodes.emplace(id, node);
            int64_t to = pick();
            if (moved >= 0 && to >= 0) {
              auto& dst = m.nodes.at(static_cast<size_t>(to));
              if (rng() % 2) {
                dst.obj->a = held;
                dst.a = moved;
              } else {
                dst.obj->b = held;
                dst.b = moved;
              }
            }
          } else if (what < 80) {
            int64_t x = pick(), y = rng() % 4 ? pick() : -1;
            if (x >= 0) set_edge(x, rng() % 2, y);
          } else if (what < 88 && !m.roots.empty()) {
            size_t i = rng() % m.roots.size();
            m.roots.erase(m.roots.begin() + static_cast<long>(i));
            m.root_ids.erase(m.root_ids.begin() + static_cast<long>(i));
          } else if (what < 96 && !m.roots.empty()) {
            // Reassign a root in place (the Root barrier).
            size_t i = rng() % m.roots.size();
            int64_t x = pick();
            if (x >= 0) {
              m.roots[i] = m.nodes.at(static_cast<size_t>(x)).obj;
              m.root_ids[i] = static_cast<size_t>(x);
            }
          }
        }
        std::string why;
        if (!check_and_prune(m, reg, &why)) {
          std::lock_guard<std::mutex> g(failure_mu);
          failure = why;
          failed = true;
        }
      }
      running.fetch_sub(1);
    });
  }

  {
    ThreadScope attach;
    int n = 0;
    while (running.load() > 0) {
      if (++n % 10 == 0) {
        collect();
      } else {
        testing::concurrent_cycle();
      }
    }
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(failed.load()) << failure;
  EXPECT_GT(stats().cycles, 5u);
}

}  // namespace
}  // namespace gcmap::test
