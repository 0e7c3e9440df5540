// The storm harness's command line: every workload number is a flag, with the
// defaults of the benchmark issue (N = 1,000,000, 5 s steady, 50% storm, one
// lookup per 64 erases, 5 s after). bench/go/ parses the same flags with the
// same meaning, so one command line drives every system.
#pragma once

#include <cstdint>
#include <string>

namespace storm {

struct Options {
  std::string system;           // --system=NAME
  uint64_t n = 1'000'000;       // --n: entries inserted by LOAD (split across threads)
  unsigned threads = 1;         // --threads: mutator threads, one map each
  double steady_s = 5.0;        // --steady-s: STEADY duration
  double after_s = 5.0;         // --after-s: AFTER duration
  uint64_t steady_ops = 0;      // --steady-ops: if > 0, STEADY runs exactly this many ops per
                                // thread (rounded up to a multiple of 20) instead of steady_s
  uint64_t after_ops = 0;       // --after-ops: the same for AFTER
  unsigned storm_percent = 50;  // --storm-percent: share of the present entries erased
  unsigned lookup_every = 64;   // --lookup-every: one timed lookup per this many storm erases
  uint64_t seed = 1;            // --seed: same seed, same key sequence, in every system
  unsigned sample_ms = 50;      // --sample-ms: RSS / heap sampling period
  bool quick = false;           // --quick: tiny sizes for CI (see apply_quick)
  bool list = false;            // --list: print the available systems and exit
  bool help = false;            // --help
};

// The op mix is decided per block of 20 ops (18 lookups, 1 insert, 1 erase),
// so op counts are always a multiple of this.
inline constexpr uint64_t kBlockOps = 20;

// Parses argv; on a malformed or unknown flag prints the reason and the usage
// to stderr and exits with status 2 (never silently falls back).
Options parse_options(int argc, char** argv);

// The usage text (flags and defaults).
std::string usage();

}  // namespace storm
