// jemalloc probes through mallctl (see jemalloc_stats.h).
#include "jemalloc_stats.h"

#include <jemalloc/jemalloc.h>

#include <cstdlib>
#include <string>

namespace storm::jemalloc {
namespace {

template <class T>
bool read(const char* name, T& out) {
  size_t sz = sizeof(T);
  return mallctl(name, &out, &sz, nullptr, 0) == 0;
}

}  // namespace

bool is_malloc() {
  uint64_t before = 0, after = 0;
  if (!read("thread.allocated", before)) return false;
  void* volatile p = std::malloc(1 << 16);  // volatile: the allocation must happen
  read("thread.allocated", after);
  std::free(p);
  return after - before >= (1 << 16);
}

uint64_t allocated() {
  uint64_t epoch = 1;
  size_t sz = sizeof(epoch);
  mallctl("epoch", &epoch, &sz, &epoch, sz);  // refresh the merged statistics
  size_t allocated = 0;
  read("stats.allocated", allocated);
  return allocated;
}

nlohmann::json info() {
  const char* version = "";
  read("version", version);
  bool background = false;
  read("opt.background_thread", background);
  ssize_t dirty_decay = -2;
  read("opt.dirty_decay_ms", dirty_decay);
  unsigned narenas = 0;
  read("opt.narenas", narenas);
  const char* thp_mode = "";
  read("opt.thp", thp_mode);
  return {{"allocator", std::string("jemalloc ") + version},
          {"jemalloc_is_malloc", is_malloc()},
          {"jemalloc_opt",
           {{"narenas", narenas},
            {"dirty_decay_ms", dirty_decay},
            {"background_thread", background},
            {"thp", thp_mode}}},
          {"heap_metric", "jemalloc stats.allocated (after an epoch refresh)"}};
}

}  // namespace storm::jemalloc
