// A delete storm on one map, with erase and with erase_deferred: the
// caller's time per key, the pause windows that applied the deferred ones
// (count, p50, p99, max) and the time until every erase was applied.
//
// The map: n entries (default 1,000,000), string keys "sess:<16 hex>",
// values Ptr<Session> to a small graph (a session with a 200-byte payload
// and three 64-byte nodes in a ring), as in the storm benchmark. The storm
// erases a random half. Each mode runs in its own process:
//
//   deferred_bench --mode erase|deferred [--n 1000000]
//
// The caller is the map's owner; after a deferred storm it keeps doing
// light work (a lookup every microsecond, as a service between requests)
// until the scheduler's windows have applied everything, then a concurrent
// collection reclaims the erased sessions.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gcmap/gc/testing.h"
#include "gcmap/gcmap.h"
#include "gcmap/sched/stw.h"

namespace {

struct Node : gcmap::GarbageCollected<Node> {
  gcmap::Ptr<Node> next;
  uint64_t payload[7];
  void trace(gcmap::Visitor& v) const { v.visit(next); }
};
struct Session : gcmap::GarbageCollected<Session> {
  uint64_t id;
  uint64_t payload[24];
  gcmap::Ptr<Node> ring;
  void trace(gcmap::Visitor& v) const { v.visit(ring); }
};

std::string_view key_of(char (&buf)[21], uint64_t id) {
  static const char* kHex = "0123456789abcdef";
  std::memcpy(buf, "sess:", 5);
  for (int i = 0; i < 16; ++i) buf[5 + i] = kHex[(id >> (60 - 4 * i)) & 15];
  return {buf, 21};
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  bool deferred = true;
  uint64_t n = 1'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--mode")) deferred = std::strcmp(argv[i + 1], "erase") != 0;
    if (!std::strcmp(argv[i], "--n")) n = std::strtoull(argv[i + 1], nullptr, 10);
  }
  gcmap::ThreadScope attach;
  gcmap::HashMap<std::string, gcmap::Ptr<Session>> m;
  char buf[21];
  for (uint64_t id = 0; id < n; ++id) {
    Session* s = gcmap::make<Session>();
    s->id = id;
    Node* a = gcmap::make<Node>();
    Node* b = gcmap::make<Node>();
    Node* c = gcmap::make<Node>();
    a->next = b;
    b->next = c;
    c->next = a;
    s->ring = a;
    m.insert_or_assign(std::string(key_of(buf, id)), s);
  }
  std::vector<uint64_t> victims;
  std::mt19937_64 rng(1);
  for (uint64_t id = 0; id < n; ++id) {
    if (rng() % 2) victims.push_back(id);
  }
  std::shuffle(victims.begin(), victims.end(), rng);
  gcmap::collect_concurrent();
  gcmap::DeferredStats d0 = gcmap::deferred_stats();
  // Pause and time-to-safepoint figures from here on: the storm and its
  // application, not the load's collections.
  gcmap::testing::reset_pause_stats();
  uint64_t pauses0 = gcmap::stats().pauses.count;

  double t0 = now_s();
  for (uint64_t id : victims) {
    if (deferred) {
      m.erase_deferred(key_of(buf, id));
    } else {
      m.erase(key_of(buf, id));
    }
  }
  double caller = now_s() - t0;
  // Until everything is applied: light work, as a service between requests.
  uint64_t probe = 0;
  while (m.deferred_pending() != 0) {
    m.get(key_of(buf, probe++ % n));
    gcmap::BlockingRegion idle;
    std::this_thread::sleep_for(std::chrono::microseconds(1));
  }
  double applied = now_s() - t0;
  gcmap::DeferredStats d = gcmap::deferred_stats();
  gcmap::collect_concurrent();
  gcmap::Stats s = gcmap::stats();
  std::printf(
      "mode=%s n=%lu erased=%zu caller_s=%.4f ns_per_key=%.1f all_applied_s=%.4f windows=%lu "
      "window_p50_us=%.1f window_p99_us=%.1f window_max_us=%.1f erase_ns=%.1f pauses=%lu "
      "pause_max_us=%.1f ttsp_max_us=%.1f size=%zu\n",
      deferred ? "deferred" : "erase", static_cast<unsigned long>(n), victims.size(), caller,
      caller * 1e9 / static_cast<double>(victims.size()), applied,
      static_cast<unsigned long>(d.windows - d0.windows), d.window_p50_ns / 1e3,
      d.window_p99_ns / 1e3, d.window_max_ns / 1e3, d.erase_ns,
      static_cast<unsigned long>(s.pauses.count - pauses0), s.pauses.max_ns / 1e3,
      s.time_to_safepoint.max_ns / 1e3, m.size());
  return 0;
}
