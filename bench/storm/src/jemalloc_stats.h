// jemalloc facts for the systems that run on it (std_unordered, absl_flat,
// and gcmap's, whose heap pages come from jemalloc): is malloc() really
// jemalloc in this process (it is not under ASan, which intercepts malloc),
// and how many bytes the application has allocated (stats.allocated, after
// an `epoch` refresh). Only gcmap_storm links this; gcmap_storm_boehm does not
// link jemalloc at all.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

namespace storm::jemalloc {

// True if a malloc() in this process is counted by jemalloc.
bool is_malloc();
// Bytes allocated by the application through jemalloc (stats.allocated).
uint64_t allocated();
// {"allocator", "jemalloc_is_malloc", "opt.*" settings}
nlohmann::json info();

}  // namespace storm::jemalloc
