// How much CPU the rest of the machine used during the run, measured like
// the C++ harness (bench/storm/src/cpu_usage.h): /proc/stat busy time minus
// this process's own CPU time, and the hypervisor's steal time.
package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"syscall"
)

const clkTck = 100 // USER_HZ on Linux

type cpuSnapshot struct {
	busy, steal uint64
	self        float64
	t           uint64
}

func cpuNow() cpuSnapshot {
	s := cpuSnapshot{t: nowNs()}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		var user, nice, sys, idle, iowait, irq, softirq, steal uint64
		if n, _ := fmt.Sscanf(string(b), "cpu %d %d %d %d %d %d %d %d", &user, &nice, &sys, &idle, &iowait,
			&irq, &softirq, &steal); n == 8 {
			s.busy = user + nice + sys + irq + softirq + steal
			s.steal = steal
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)*1e-6
	}
	return s
}

// otherCPU adds other_cpu_s, other_cpu_share and steal_s to the machine object.
func otherCPU(m obj, from, to cpuSnapshot) {
	other := math.Max(0, float64(to.busy-from.busy)/clkTck-(to.self-from.self))
	wall := float64(to.t-from.t) * 1e-9
	share := 0.0
	if wall > 0 {
		share = other / (wall * float64(runtime.NumCPU()))
	}
	m["other_cpu_s"] = math.Round(other*1000) / 1000
	m["other_cpu_share"] = math.Round(share*10000) / 10000
	m["steal_s"] = math.Round(float64(to.steal-from.steal)/clkTck*1000) / 1000
}
