// gcmap::HashMap against std::unordered_map and absl::flat_hash_map (all on
// jemalloc, the process allocator here): insert, lookup hit, lookup miss,
// erase and iterate at 1K, 100K and 10M entries, with uint64_t and string
// keys (25 characters: beyond the small-string buffer, like session ids),
// uint64_t values; and bytes per entry.
//
//   build/release/bench/map/map_bench --benchmark_counters_tabular=true
//   python3 bench/map/table.py < out.json      (the README table)
//
// Every operation is timed per entry ("ns/op"). Insert builds a map from
// empty (growth included; the map is destroyed outside the timed region,
// so std and absl do not pay their destructor cascade, and gcmap's garbage
// is collected while later iterations run, as it would be in a service).
// Erase removes every entry of a freshly built map in random order. Lookups
// use keys in random order. Bytes per entry: for gcmap, the live GC heap
// after a full collection (gcmap::stats().heap_marked) plus what the keys
// hold in malloc (jemalloc's stats.allocated, less the GC heap's spans);
// for the others, jemalloc's stats.allocated.
#include <benchmark/benchmark.h>
#include <jemalloc/jemalloc.h>

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "gcmap/gcmap.h"

namespace {

// ---- keys ------------------------------------------------------------------

template <class K>
K make_key(std::mt19937_64& rng);

template <>
uint64_t make_key<uint64_t>(std::mt19937_64& rng) {
  return rng();
}

template <>
std::string make_key<std::string>(std::mt19937_64& rng) {
  char buf[32];
  snprintf(buf, sizeof buf, "sess:%016llx%04x", static_cast<unsigned long long>(rng()),
           static_cast<unsigned>(rng() & 0xffff));
  return std::string(buf);
}

// N distinct keys, and N more that are not among them.
template <class K>
struct KeySet {
  std::vector<K> present;
  std::vector<K> absent;
};

template <class K>
const KeySet<K>& keys(size_t n) {
  static std::unique_ptr<KeySet<K>> cached;
  static size_t cached_n = 0;
  if (!cached || cached_n != n) {
    cached.reset();
    auto ks = std::make_unique<KeySet<K>>();
    std::mt19937_64 rng(n * 7919 + sizeof(K));
    std::unordered_map<K, char> seen;
    seen.reserve(2 * n);
    while (ks->present.size() < n) {
      K k = make_key<K>(rng);
      if (seen.emplace(k, 0).second) ks->present.push_back(std::move(k));
    }
    while (ks->absent.size() < n) {
      K k = make_key<K>(rng);
      if (seen.emplace(k, 0).second) ks->absent.push_back(std::move(k));
    }
    cached = std::move(ks);
    cached_n = n;
  }
  return *cached;
}

// ---- the three maps behind one interface -------------------------------------

template <class K>
struct Gcmap {
  using Map = gcmap::HashMap<K, uint64_t>;
  static constexpr const char* kName = "gcmap";
};
template <class K>
struct Std {
  using Map = std::unordered_map<K, uint64_t>;
  static constexpr const char* kName = "std";
};
template <class K>
struct Absl {
  using Map = absl::flat_hash_map<K, uint64_t>;
  static constexpr const char* kName = "absl";
};

template <class Map, class K>
inline void insert(Map& m, const K& k, uint64_t v) {
  m.insert_or_assign(k, v);
}
template <class Map, class K>
inline const uint64_t* lookup(const Map& m, const K& k) {
  auto it = m.find(k);
  return it == m.end() ? nullptr : &it->second;
}

// One built map at a time, shared by the lookup and iteration benchmarks.
template <class Impl, class K>
typename Impl::Map& built(size_t n) {
  static std::unique_ptr<typename Impl::Map> cached;
  static size_t cached_n = 0;
  if (!cached || cached_n != n) {
    cached.reset();
    cached = std::make_unique<typename Impl::Map>();
    const auto& ks = keys<K>(n);
    for (size_t i = 0; i < n; ++i) insert(*cached, ks.present[i], i);
    cached_n = n;
  }
  return *cached;
}

void set_per_op(benchmark::State& state, size_t ops_per_iteration) {
  state.counters["per_op"] = benchmark::Counter(
      static_cast<double>(ops_per_iteration),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// ---- the operations --------------------------------------------------------

template <class Impl, class K>
void BM_Insert(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto& ks = keys<K>(n);
  for (auto _ : state) {
    auto m = std::make_unique<typename Impl::Map>();
    for (size_t i = 0; i < n; ++i) insert(*m, ks.present[i], i);
    benchmark::DoNotOptimize(m.get());
    state.PauseTiming();
    m.reset();
    state.ResumeTiming();
  }
  set_per_op(state, n);
}

template <class Impl, class K>
void BM_LookupHit(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto& ks = keys<K>(n);
  auto& m = built<Impl, K>(n);
  // A random order over the keys (a permutation).
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(1));
  size_t i = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    const uint64_t* v = lookup(m, ks.present[order[i]]);
    sum += *v;
    if (++i == n) i = 0;
  }
  benchmark::DoNotOptimize(sum);
  set_per_op(state, 1);
}

template <class Impl, class K>
void BM_LookupMiss(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto& ks = keys<K>(n);
  auto& m = built<Impl, K>(n);
  size_t i = 0, found = 0;
  for (auto _ : state) {
    found += lookup(m, ks.absent[i]) != nullptr;
    if (++i == n) i = 0;
  }
  if (found != 0) state.SkipWithError("a missing key was found");
  set_per_op(state, 1);
}

template <class Impl, class K>
void BM_Erase(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto& ks = keys<K>(n);
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(2));
  for (auto _ : state) {
    state.PauseTiming();
    auto m = std::make_unique<typename Impl::Map>();
    for (size_t i = 0; i < n; ++i) insert(*m, ks.present[i], i);
    state.ResumeTiming();
    for (size_t i = 0; i < n; ++i) m->erase(ks.present[order[i]]);
    benchmark::DoNotOptimize(m.get());
    state.PauseTiming();
    m.reset();
    state.ResumeTiming();
  }
  set_per_op(state, n);
}

template <class Impl, class K>
void BM_Iterate(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  auto& m = built<Impl, K>(n);
  uint64_t sum = 0;
  for (auto _ : state) {
    for (auto&& [k, v] : m) sum += v;
  }
  benchmark::DoNotOptimize(sum);
  set_per_op(state, n);
}

// ---- memory ----------------------------------------------------------------

uint64_t jemalloc_allocated() {
  uint64_t epoch = 1;
  size_t sz = sizeof(epoch);
  mallctl("epoch", &epoch, &sz, &epoch, sz);
  size_t allocated = 0;
  sz = sizeof(allocated);
  mallctl("stats.allocated", &allocated, &sz, nullptr, 0);
  return allocated;
}

template <class Impl, class K>
void BM_Memory(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto& ks = keys<K>(n);
  double bytes = 0;
  for (auto _ : state) {
    gcmap::collect();
    const gcmap::Stats g0 = gcmap::stats();
    const uint64_t j0 = jemalloc_allocated();
    auto m = std::make_unique<typename Impl::Map>();
    for (size_t i = 0; i < n; ++i) insert(*m, ks.present[i], i);
    gcmap::collect();
    const gcmap::Stats g1 = gcmap::stats();
    const uint64_t j1 = jemalloc_allocated();
    const double malloc_bytes =
        static_cast<double>(j1 - j0) - (static_cast<double>(g1.heap_in_use) - g0.heap_in_use);
    const double gc_bytes = static_cast<double>(g1.heap_marked) - g0.heap_marked;
    bytes = malloc_bytes + gc_bytes;
    benchmark::DoNotOptimize(m.get());
  }
  state.counters["bytes/entry"] = bytes / static_cast<double>(n);
}

// ---- registration ----------------------------------------------------------

constexpr int64_t kSizes[] = {1'000, 100'000, 10'000'000};

template <template <class> class Impl, class K>
void register_size(const char* key_name, int64_t n) {
  using I = Impl<K>;
  const std::string base = std::string(I::kName) + "/" + key_name + "/";
  const bool huge = n >= 10'000'000;
  auto* b = benchmark::RegisterBenchmark((base + "insert").c_str(), BM_Insert<I, K>)->Arg(n);
  if (huge) b->Iterations(1);
  benchmark::RegisterBenchmark((base + "lookup_hit").c_str(), BM_LookupHit<I, K>)->Arg(n);
  benchmark::RegisterBenchmark((base + "lookup_miss").c_str(), BM_LookupMiss<I, K>)->Arg(n);
  b = benchmark::RegisterBenchmark((base + "erase").c_str(), BM_Erase<I, K>)->Arg(n);
  if (huge) b->Iterations(1);
  b = benchmark::RegisterBenchmark((base + "iterate").c_str(), BM_Iterate<I, K>)->Arg(n);
  if (huge) b->Iterations(3);
  benchmark::RegisterBenchmark((base + "memory").c_str(), BM_Memory<I, K>)->Arg(n)->Iterations(1);
}

// Sizes outermost, so that each key set is generated once.
void register_all() {
  for (int64_t n : kSizes) {
    register_size<Gcmap, uint64_t>("u64", n);
    register_size<Std, uint64_t>("u64", n);
    register_size<Absl, uint64_t>("u64", n);
    register_size<Gcmap, std::string>("str", n);
    register_size<Std, std::string>("str", n);
    register_size<Absl, std::string>("str", n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  gcmap::ThreadScope attach;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
