// A large random object graph, mutated and collected for hundreds of cycles,
// matches a model of reachability: every node the model can reach from its
// roots is alive with the edges the model says, every other node has been
// destroyed exactly once. Verify mode is on (main.cc), so each mark is also
// checked by the verifier.
#include <gtest/gtest.h>

#include <random>
#include <unordered_map>
#include <vector>

#include "gcmap/gc/testing.h"
#include "tracked.h"

namespace gcmap::test {
namespace {

class GraphModel : public GcTest {};

struct Model {
  struct Node {
    Tracked* obj;  // valid while the model says it is reachable
    int64_t a = -1, b = -1;
  };
  std::unordered_map<size_t, Node> nodes;  // live (reachable or not yet collected)
  std::vector<Root<Tracked>> roots;
  std::vector<size_t> root_ids;
};

TEST_F(GraphModel, RandomGraphMatchesReachabilityModelOverManyCycles) {
  ThreadScope attach;
  constexpr size_t kMaxIds = 400000;
  constexpr int kCycles = 300;
  constexpr int kOpsPerCycle = 600;
  Registry& reg = registry(kMaxIds);
  Model m;
  std::mt19937_64 rng(12345);
  size_t next_id = 0;
  auto pick = [&]() -> int64_t {
    if (m.nodes.empty()) return -1;
    // Pick a live node by probing random ids near the top.
    for (int tries = 0; tries < 8; ++tries) {
      size_t id = rng() % next_id;
      if (m.nodes.count(id)) return static_cast<int64_t>(id);
    }
    return static_cast<int64_t>(m.nodes.begin()->first);
  };

  for (int cycle = 0; cycle < kCycles; ++cycle) {
    for (int op = 0; op < kOpsPerCycle; ++op) {
      int what = static_cast<int>(rng() % 100);
      if (what < 35 && next_id < kMaxIds) {
        size_t id = next_id++;
        Tracked* t = make<Tracked>(&reg, id);
        m.nodes[id] = {t};
        // Attach it somewhere or make it a root, or leave it garbage.
        int64_t parent = pick();
        if (parent >= 0 && parent != static_cast<int64_t>(id) && rng() % 4 != 0) {
          auto& p = m.nodes[parent];
          if (rng() % 2) {
            p.obj->a = t;
            p.a = static_cast<int64_t>(id);
          } else {
            p.obj->b = t;
            p.b = static_cast<int64_t>(id);
          }
        } else if (rng() % 3 == 0) {
          m.roots.emplace_back(t);
          m.root_ids.push_back(id);
        }
      } else if (what < 65) {
        // Re-link: x.a or x.b = y (or null).
        int64_t x = pick(), y = pick();
        if (x < 0) continue;
        auto& n = m.nodes[x];
        Tracked* target = (y >= 0 && rng() % 5 != 0) ? m.nodes[y].obj : nullptr;
        int64_t tid = target ? y : -1;
        if (rng() % 2) {
          n.obj->a = target;
          n.a = tid;
        } else {
          n.obj->b = target;
          n.b = tid;
        }
      } else if (what < 75 && !m.roots.empty()) {
        size_t i = rng() % m.roots.size();
        m.roots.erase(m.roots.begin() + static_cast<long>(i));
        m.root_ids.erase(m.root_ids.begin() + static_cast<long>(i));
      } else if (what < 85) {
        int64_t x = pick();
        if (x >= 0) {
          m.roots.emplace_back(m.nodes[x].obj);
          m.root_ids.push_back(static_cast<size_t>(x));
        }
      }
    }

    // The model's reachability.
    std::unordered_map<size_t, bool> reach;
    std::vector<size_t> stack(m.root_ids.begin(), m.root_ids.end());
    while (!stack.empty()) {
      size_t id = stack.back();
      stack.pop_back();
      if (reach[id]) continue;
      reach[id] = true;
      const auto& n = m.nodes.at(id);
      if (n.a >= 0) stack.push_back(static_cast<size_t>(n.a));
      if (n.b >= 0) stack.push_back(static_cast<size_t>(n.b));
    }
    testing::collect_precise();

    for (auto it = m.nodes.begin(); it != m.nodes.end();) {
      size_t id = it->first;
      if (reach.count(id)) {
        const Tracked* t = it->second.obj;
        ASSERT_EQ(reg.count(id), 0)
            << "reachable node " << id << " was freed (cycle " << cycle << ")";
        ASSERT_EQ(t->magic, kAliveMagic);
        ASSERT_EQ(t->id, id);
        ASSERT_EQ(t->a.get() ? static_cast<int64_t>(t->a->id) : -1, it->second.a);
        ASSERT_EQ(t->b.get() ? static_cast<int64_t>(t->b->id) : -1, it->second.b);
        ++it;
      } else {
        ASSERT_EQ(reg.count(id), 1) << "unreachable node " << id << " (cycle " << cycle << ")";
        it = m.nodes.erase(it);
      }
    }
    // Edges into dead nodes are gone from the model only because their
    // sources are dead too (a live node never points at a dead one).
  }
  EXPECT_GT(next_id, 50000u);
  EXPECT_EQ(stats().cycles >= static_cast<uint64_t>(kCycles), true);
}

}  // namespace
}  // namespace gcmap::test
