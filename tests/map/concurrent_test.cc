// Maps and threads: readers sharing a map with no writer (safe, as in Go)
// while collections run; and mutators changing their maps (growth,
// evacuation, shrinking, clear, iteration) while concurrent marks run beside
// them, which only the maps' barriers keep correct: a value the map still
// holds must never be destroyed. Runs under ThreadSanitizer too.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "map_test_util.h"

namespace gcmap::map_test {
namespace {

using NodeMap = HashMap<uint64_t, Ptr<Node>>;

class Concurrent : public MapTest {};

TEST_F(Concurrent, ReadersShareAMapWithoutAWriter) {
  ThreadScope attach;
  const size_t n = 20000 / kScale;
  Registry& reg = registry(n);
  NodeMap nodes;
  HashMap<std::string, uint64_t> names;
  for (size_t i = 0; i < n; ++i) {
    nodes[i] = make<Node>(&reg, i);
    names["name:" + std::to_string(i)] = i;
  }
  std::atomic<bool> stop{false};
  std::atomic<size_t> failures{0}, lookups{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      ThreadScope attach_reader;
      std::mt19937_64 rng(t);
      size_t local = 0;
      while (!stop.load(std::memory_order_relaxed) || local < 2000) {
        uint64_t k = rng() % n;
        const Node* node = nodes.at(k).get();
        if (node->id != k || node->magic != kAliveMagic || reg.count(k) != 0) ++failures;
        if (*names.get("name:" + std::to_string(k)) != k) ++failures;
        if (nodes.contains(n + k)) ++failures;
        if (++local % 500 == 0) {
          size_t seen = 0;
          for (auto&& [key, value] : nodes) seen += value->id == key;
          if (seen != n) ++failures;
        }
      }
      lookups.fetch_add(local);
    });
  }
  // Collections while they read, forced and triggered by garbage.
  Registry& garbage = registry(200000 / kScale);
  for (size_t i = 0; i < garbage.size(); ++i) {
    make<Node>(&garbage, i);
    if (i % (20000 / kScale) == 0) gcmap::collect();
  }
  stop = true;
  {
    BlockingRegion blocked;  // a stopped-the-world must not wait for a joining thread
    for (auto& r : readers) r.join();
  }
  EXPECT_EQ(failures.load(), 0u);
  EXPECT_GT(lookups.load(), 0u);
}

// One mutator's maps, checked against a model, while concurrent cycles run.
void mutate(Registry* reg, size_t ops, uint64_t seed, std::atomic<size_t>* failures) {
  ThreadScope attach;
  std::mt19937_64 rng(seed);
  NodeMap m;
  std::unordered_map<uint64_t, size_t> model;  // key -> node id
  size_t next_id = 0;
  auto check = [&](uint64_t k) {
    auto it = model.find(k);
    Node* v = m.contains(k) ? m.at(k).get() : nullptr;
    if (it == model.end()) {
      if (v != nullptr) ++*failures;
      return;
    }
    if (v == nullptr || v->id != it->second || reg->count(it->second) != 0) ++*failures;
  };
  const uint64_t universe = 30000 / kScale;
  for (size_t op = 0; op < ops && next_id < reg->size(); ++op) {
    const int phase = static_cast<int>((op * 4 / ops) % 2);  // grow, shrink, grow, shrink
    const uint64_t k = rng() % universe;
    const int r = static_cast<int>(rng() % 100);
    if (r < (phase == 0 ? 55 : 15)) {
      Node* node = make<Node>(reg, next_id);
      model[k] = next_id++;
      m.insert_or_assign(k, node);
    } else if (r < 90) {
      if (m.erase(k) != model.erase(k)) ++*failures;
    } else if (r < 99) {
      check(k);
    } else if (rng() % 200 == 0) {
      m.clear();
      model.clear();
    } else {
      // An iteration that the map outgrows meanwhile.
      size_t seen = 0;
      for (auto it = m.begin(); it != m.end(); ++it) {
        if (reg->count(it->second->id) != 0) ++*failures;
        if (++seen % 64 == 0) {
          Node* node = make<Node>(reg, next_id);
          uint64_t nk = universe + rng() % universe;
          model[nk] = next_id++;
          m.insert_or_assign(nk, node);
        }
        if (next_id >= reg->size()) break;
      }
    }
  }
  for (auto& [k, id] : model) check(k);
  if (m.size() != model.size()) ++*failures;
}

TEST_F(Concurrent, MutatorsChangeTheirMapsWhileMarksRun) {
  ThreadScope attach;
  const int old_percent = gcmap::set_gc_percent(10);  // cycles back to back
  const uint64_t cycles_before = gcmap::stats().cycles;
  const size_t ops = 300000 / kScale;
  std::vector<Registry*> regs;
  for (int t = 0; t < 2; ++t) regs.push_back(&registry(ops));
  std::atomic<size_t> failures{0};
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back(mutate, regs[static_cast<size_t>(t)], ops, 10 + t, &failures);
    }
    BlockingRegion blocked;
    for (auto& t : threads) t.join();
  }
  gcmap::set_gc_percent(old_percent);
  EXPECT_EQ(failures.load(), 0u);
  EXPECT_GT(gcmap::stats().cycles - cycles_before, 5u);
  // Every node is garbage now: each dies exactly once.
  gcmap::testing::collect_precise();
  size_t twice = 0;
  for (Registry* r : regs) {
    for (size_t i = 0; i < r->size(); ++i) twice += r->count(i) > 1;
  }
  EXPECT_EQ(twice, 0u);
}

}  // namespace
}  // namespace gcmap::map_test
