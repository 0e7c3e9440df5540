// The soak test: a long mixed workload that must neither fail a check nor
// grow its resident memory once warmed up.
//
//   gcmap_soak [minutes]            (default 30; fractions allowed)
//
// Threads, all attached: SOAK_WRITERS (4) writers, each with its own
// HashMap<uint64_t, Ptr<Obj>> and a model of it (inserts, assignments,
// erases, erase_deferred, lookups, a flush and an exact size check now and
// then); SOAK_READERS (2) readers of a shared HashMap<SmallString, Ptr<Obj>>
// that nobody writes after it is built; one thread running concurrent cycles
// back to back and a stop-the-world collect() every few seconds. Every value
// read is checked: its checksum and the key it was stored under.
//
// The main thread samples RSS (/proc/self/statm) every second and prints it.
// Pass/fail: after a warm-up (a fifth of the run, at most 60 s), the median
// RSS of the last window (a third of what remains, at most 5 minutes) must
// not exceed the median of the first window by more than 20% (plus 8 MiB,
// so that a small process's noise is not a leak). It also fails when the
// workers make no progress for SOAK_STALL_S (30) seconds: a hang, reported
// with the time it began (attach gdb to see where). GCMAP_VERIFY=1 is set
// unless the environment says otherwise.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gcmap/gcmap.h"

namespace {

[[noreturn]] void fail(const char* what, unsigned long long a = 0, unsigned long long b = 0) {
  std::fprintf(stderr, "soak: FAILED: %s (%llu, %llu)\n", what, a, b);
  std::fflush(stderr);
  std::abort();
}

uint64_t checksum(uint64_t key, uint64_t version) {
  uint64_t x = (key ^ (version << 32)) * 0x9E3779B97F4A7C15ull;
  return x ^ (x >> 31);
}

struct Obj : gcmap::GarbageCollected<Obj> {
  Obj(uint64_t k, uint64_t v, Obj* c) : key(k), version(v), check(checksum(k, v)), child(c) {}
  ~Obj() { check = 0; }
  void trace(gcmap::Visitor& v) const { v.visit(child); }
  uint64_t key, version, check;
  gcmap::Ptr<Obj> child;  // traced through the value: must live as long
};

Obj* make_value(uint64_t key, uint64_t version) {
  Obj* child = gcmap::make<Obj>(~key, version, nullptr);
  return gcmap::make<Obj>(key, version, child);
}

// The value stored under key: intact, its child intact.
const Obj* verify(const gcmap::Ptr<Obj>& v, uint64_t key) {
  const Obj* o = v.get();
  if (o == nullptr) fail("null value", key);
  if (o->check != checksum(o->key, o->version)) fail("value checksum", key, o->check);
  if (o->key != key) fail("value of another key", key, o->key);
  const Obj* c = o->child.get();
  if (c == nullptr || c->check != checksum(c->key, c->version) || c->key != ~key) {
    fail("child of a value", key);
  }
  return o;
}

std::atomic<bool> g_stop{false};
std::atomic<uint64_t> g_ops{0};

size_t env_count(const char* name, size_t dflt) {
  const char* s = std::getenv(name);
  return s != nullptr && *s != '\0' ? std::strtoull(s, nullptr, 10) : dflt;
}

// A writer: its own map and a model. Keys with a queued erase_deferred may
// be found (with the last value written) until the next flush.
void writer(unsigned seed) {
  gcmap::ThreadScope attach;
  std::mt19937_64 rng(seed);
  gcmap::HashMap<uint64_t, gcmap::Ptr<Obj>> map;
  std::unordered_map<uint64_t, uint64_t> model;  // key -> version
  std::unordered_set<uint64_t> queued;
  const uint64_t universe = 20000 + 10000 * seed;
  uint64_t version = 0, ops = 0;
  while (!g_stop.load(std::memory_order_relaxed)) {
    const uint64_t k = rng() % universe;
    const unsigned r = rng() % 100;
    if (r < 35) {
      map.insert_or_assign(k, make_value(k, ++version));
      model[k] = version;
      queued.erase(k);
    } else if (r < 50) {
      size_t n = map.erase(k);
      bool known = model.erase(k) != 0;
      if (n != 0 && !known) fail("erased a key the model does not have", k);
      if (n == 0 && known && !queued.count(k)) fail("erase missed a present key", k);
      queued.erase(k);
    } else if (r < 60) {
      map.erase_deferred(k);
      if (model.count(k)) queued.insert(k);
    } else {
      const gcmap::Ptr<Obj>* v = map.get(k);
      auto it = model.find(k);
      if (v != nullptr) {
        if (it == model.end()) fail("found a key the model does not have", k);
        if (verify(*v, k)->version != it->second) fail("stale value", k);
      } else if (it != model.end()) {
        if (!queued.count(k)) fail("a present key is missing", k);
        model.erase(it);
        queued.erase(k);
      }
    }
    if (++ops % 50000 == 0) {
      map.flush_deferred();
      for (uint64_t q : queued) model.erase(q);
      queued.clear();
      if (map.size() != model.size()) fail("size after flush", map.size(), model.size());
      if (ops % 1000000 == 0) {  // now and then, start again from empty
        map.clear();
        model.clear();
      }
    }
    if (ops % 1024 == 0) g_ops.fetch_add(1024, std::memory_order_relaxed);
  }
}

using SharedMap = gcmap::HashMap<gcmap::SmallString, gcmap::Ptr<Obj>>;
constexpr uint64_t kSharedKeys = 20000;
std::string shared_key(uint64_t i) {
  return "shared:" + std::to_string(i) + (i % 3 == 0 ? ":a-suffix-past-the-inline-bytes" : "");
}

void reader(const SharedMap* shared, unsigned seed) {
  gcmap::ThreadScope attach;
  std::mt19937_64 rng(seed);
  uint64_t ops = 0;
  while (!g_stop.load(std::memory_order_relaxed)) {
    const uint64_t i = rng() % (kSharedKeys + 100);  // a few absent keys
    const gcmap::Ptr<Obj>* v = shared->get(gcmap::SmallString(shared_key(i)));
    if ((v != nullptr) != (i < kSharedKeys)) fail("shared map lookup", i);
    if (v != nullptr) verify(*v, i);
    if (++ops % 1024 == 0) g_ops.fetch_add(1024, std::memory_order_relaxed);
  }
}

void collector() {
  gcmap::ThreadScope attach;
  auto last_stw = std::chrono::steady_clock::now();
  while (!g_stop.load(std::memory_order_relaxed)) {
    gcmap::collect_concurrent();
    if (std::chrono::steady_clock::now() - last_stw > std::chrono::seconds(5)) {
      gcmap::collect();
      last_stw = std::chrono::steady_clock::now();
    }
    gcmap::BlockingRegion idle;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

double rss_mib() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) fail("cannot read /proc/self/statm");
  unsigned long size = 0, resident = 0;
  if (std::fscanf(f, "%lu %lu", &size, &resident) != 2) fail("cannot parse /proc/self/statm");
  std::fclose(f);
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const double minutes = argc > 1 ? std::strtod(argv[1], nullptr) : 30;
  if (!(minutes > 0)) {
    std::fprintf(stderr, "usage: gcmap_soak [minutes > 0] (got '%s')\n", argv[1]);
    return 2;
  }
  setenv("GCMAP_VERIFY", "1", 0);  // before the runtime starts
  const size_t total_s = static_cast<size_t>(minutes * 60 + 0.5);
  const size_t warmup_s = std::min<size_t>(60, total_s / 5);
  const size_t window_s = std::max<size_t>(1, std::min<size_t>(300, (total_s - warmup_s) / 3));
  const size_t writers = env_count("SOAK_WRITERS", 4), readers = env_count("SOAK_READERS", 2);
  std::printf("soak: %zu s, %zu writers, %zu readers, warm-up %zu s, windows of %zu s\n", total_s,
              writers, readers, warmup_s, window_s);

  SharedMap* shared = nullptr;
  {
    gcmap::ThreadScope attach;  // the map stays a root after this thread detaches
    shared = new SharedMap();
    for (uint64_t i = 0; i < kSharedKeys; ++i) {
      shared->insert_or_assign(gcmap::SmallString(shared_key(i)), make_value(i, 0));
    }
  }
  std::vector<std::thread> threads;
  for (size_t i = 0; i < writers; ++i) threads.emplace_back(writer, static_cast<unsigned>(i + 1));
  for (size_t i = 0; i < readers; ++i) {
    threads.emplace_back(reader, shared, static_cast<unsigned>(100 + i));
  }
  threads.emplace_back(collector);

  const size_t stall_s = env_count("SOAK_STALL_S", 30);
  uint64_t last_ops = 0;
  size_t last_progress_s = 0;
  std::vector<double> rss;
  const auto start = std::chrono::steady_clock::now();
  for (size_t s = 1; s <= total_s; ++s) {
    std::this_thread::sleep_until(start + std::chrono::seconds(s));
    rss.push_back(rss_mib());
    gcmap::Stats st = gcmap::stats();
    std::printf("t=%zus rss=%.1f MiB heap_in_use=%.1f MiB cycles=%llu ops=%llu\n", s, rss.back(),
                static_cast<double>(st.heap_in_use) / (1 << 20),
                static_cast<unsigned long long>(st.cycles),
                static_cast<unsigned long long>(g_ops.load()));
    std::fflush(stdout);
    if (uint64_t ops = g_ops.load(); ops != last_ops) {
      last_ops = ops;
      last_progress_s = s;
    } else if (s - last_progress_s >= stall_s) {
      // The workers cannot be joined: report and leave.
      std::fprintf(stderr, "soak: FAILED: no progress since t=%zus (%zu s): a hang\n",
                   last_progress_s, s - last_progress_s);
      std::fflush(stderr);
      std::_Exit(1);
    }
  }
  g_stop = true;
  for (std::thread& t : threads) t.join();
  {
    gcmap::ThreadScope attach;
    delete shared;
  }

  std::vector<double> first(rss.begin() + static_cast<long>(warmup_s),
                            rss.begin() + static_cast<long>(warmup_s + window_s));
  std::vector<double> last(rss.end() - static_cast<long>(window_s), rss.end());
  const double m0 = median(first), m1 = median(last);
  const double bound = m0 * 1.2 + 8;
  const bool ok = m1 <= bound;
  std::printf(
      "soak: rss min %.1f max %.1f MiB; median first window %.1f, last window %.1f "
      "(bound %.1f): %s\n",
      *std::min_element(rss.begin(), rss.end()), *std::max_element(rss.begin(), rss.end()), m0, m1,
      bound, ok ? "ok" : "GROWTH");
  if (!ok) {
    std::fprintf(stderr, "soak: FAILED: resident memory grew after warm-up (%.1f -> %.1f MiB)\n",
                 m0, m1);
    return 1;
  }
  std::printf("soak: passed, %llu ops\n", static_cast<unsigned long long>(g_ops.load()));
  return 0;
}
