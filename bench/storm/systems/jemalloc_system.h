// The common part of the systems whose memory is plain malloc/free on
// jemalloc: heap in use is jemalloc's stats.allocated, there is no collector
// (no pauses, no forced collection), and start() warns when malloc() is not
// jemalloc in this process (sanitizer builds), since the numbers would then
// describe another allocator.
#pragma once

#include <cstdio>

#include "jemalloc_stats.h"
#include "system.h"

namespace storm {

class JemallocSystem : public System {
 public:
  void start(const Options&) override {
    if (!jemalloc::is_malloc())
      std::fprintf(stderr, "[storm] warning: malloc() is not jemalloc in this process\n");
  }
  uint64_t heap_in_use() override { return jemalloc::allocated(); }
  nlohmann::json info() override { return jemalloc::info(); }
};

}  // namespace storm
