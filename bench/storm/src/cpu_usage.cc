// /proc/stat and getrusage readers for cpu_usage.h.
#include "cpu_usage.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "gcmap/base/clock.h"

namespace storm {

CpuSnapshot cpu_snapshot() {
  CpuSnapshot s;
  s.t_ns = gcmap::base::now_ns();
  if (FILE* f = std::fopen("/proc/stat", "r")) {
    unsigned long long user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                       steal = 0;
    if (std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle,
                    &iowait, &irq, &softirq, &steal) == 8) {
      s.busy_ticks = user + nice + sys + irq + softirq + steal;
      s.steal_ticks = steal;
    }
    std::fclose(f);
  }
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  s.self_cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
  return s;
}

OtherCpu other_cpu(const CpuSnapshot& from, const CpuSnapshot& to) {
  const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  OtherCpu o;
  const double busy_s = static_cast<double>(to.busy_ticks - from.busy_ticks) / hz;
  o.other_cpu_s = std::max(0.0, busy_s - (to.self_cpu_s - from.self_cpu_s));
  o.steal_s = static_cast<double>(to.steal_ticks - from.steal_ticks) / hz;
  const double wall_s = static_cast<double>(to.t_ns - from.t_ns) * 1e-9;
  const double cpus = std::max(1u, std::thread::hardware_concurrency());
  o.other_share = wall_s > 0 ? o.other_cpu_s / (wall_s * cpus) : 0.0;
  return o;
}

}  // namespace storm
