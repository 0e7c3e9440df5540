// The process's memory as the kernel sees it: resident set now and its peak.
// Both are cheap enough for a 50 ms sampler (one read of /proc/self/statm,
// one getrusage).
#pragma once

#include <cstdint>

namespace storm {

uint64_t rss_bytes();       // VmRSS, from /proc/self/statm
uint64_t peak_rss_bytes();  // VmHWM, from getrusage(RUSAGE_SELF).ru_maxrss

}  // namespace storm
