// RSS and peak RSS the way the C++ harness reads them (/proc/self/statm,
// getrusage), and the Go heap in use from runtime/metrics (no stop-the-world,
// unlike runtime.ReadMemStats, so the 50 ms sampler does not perturb the run).
package main

import (
	"bytes"
	"os"
	"runtime/metrics"
	"strconv"
	"syscall"
)

var pageSize = uint64(os.Getpagesize())

func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(string(f[1]), 10, 64)
	return pages * pageSize
}

func peakRssBytes() uint64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return uint64(ru.Maxrss) * 1024
}

const heapMetric = "/memory/classes/heap/objects:bytes" // = MemStats.HeapAlloc

func heapInUse() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

type memorySnapshot struct{ rss, peak, heap uint64 }

func snapshot() memorySnapshot { return memorySnapshot{rssBytes(), peakRssBytes(), heapInUse()} }

func (m memorySnapshot) json() obj {
	return obj{"rss_bytes": m.rss, "peak_rss_bytes": m.peak, "heap_bytes": m.heap}
}
