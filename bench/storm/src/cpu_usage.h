// How much CPU the rest of the machine used while a run was measured: the
// machine's busy time from /proc/stat minus this process's own CPU time
// (getrusage), plus the hypervisor's steal time. A benchmark on a 2-core
// machine is only as good as the machine was quiet; the report shows this
// next to every run so a disturbed run is visible instead of silently
// skewing a median.
#pragma once

#include <cstdint>

namespace storm {

struct CpuSnapshot {
  uint64_t busy_ticks = 0;   // user+nice+system+irq+softirq+steal, all CPUs (USER_HZ)
  uint64_t steal_ticks = 0;  // the hypervisor's share
  double self_cpu_s = 0;     // this process, user + system
  uint64_t t_ns = 0;
};

CpuSnapshot cpu_snapshot();

struct OtherCpu {
  double other_cpu_s = 0;  // CPU seconds used by everything but this process
  double other_share = 0;  // other_cpu_s / (wall seconds * cpus)
  double steal_s = 0;
};

OtherCpu other_cpu(const CpuSnapshot& from, const CpuSnapshot& to);

}  // namespace storm
