// Go's GC pauses. Summaries per phase come from the runtime/metrics
// histogram /gc/pauses:seconds (every stop-the-world pause of a GC cycle,
// measured by the runtime from the stop request until the world restarts;
// its buckets are about 6% wide, so percentiles carry that resolution),
// differenced at each phase boundary; the total comes from
// MemStats.PauseTotalNs (exact). The pause events for the plot come from
// MemStats.PauseNs/PauseEnd, which Go keeps per cycle (both pauses of a
// cycle summed), read at phase boundaries only (ReadMemStats stops the world).
package main

import (
	"math"
	"runtime"
	"runtime/metrics"
)

const pauseMetric = "/gc/pauses:seconds"
const schedMetric = "/sched/latencies:seconds"

type gcSnapshot struct {
	counts     []uint64
	buckets    []float64
	pauseTotal uint64
}

type gcTracker struct {
	t0Unix   int64 // processStart in Unix ns, to place PauseEnd on the run's clock
	t0       uint64
	lastGC   uint32
	events   [][2]interface{}
	overflow bool
}

func readPauses() gcSnapshot {
	s := []metrics.Sample{{Name: pauseMetric}}
	metrics.Read(s)
	h := s[0].Value.Float64Histogram()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return gcSnapshot{append([]uint64(nil), h.Counts...), h.Buckets, ms.PauseTotalNs}
}

// histogramToNs turns a runtime/metrics time histogram into our histogram
// (bucket midpoints, in ns).
func histogramToNs(counts []uint64, buckets []float64) histogram {
	var h histogram
	for i, c := range counts {
		if c == 0 {
			continue
		}
		lo, hi := buckets[i], buckets[i+1]
		v := (lo + hi) / 2
		if math.IsInf(lo, -1) || lo < 0 {
			v = hi
		} else if math.IsInf(hi, 1) {
			v = lo
		}
		h.recordN(uint64(v*1e9), c)
	}
	return h
}

func gcSummary(from, to gcSnapshot) obj {
	diff := make([]uint64, len(to.counts))
	for i := range diff {
		diff[i] = to.counts[i] - from.counts[i]
	}
	h := histogramToNs(diff, to.buckets)
	return obj{"count": h.count, "p50_ns": h.percentile(0.5), "p99_ns": h.percentile(0.99),
		"max_ns": h.max, "total_ns": to.pauseTotal - from.pauseTotal}
}

// collectEvents appends the cycles that ended since the last call.
func (g *gcTracker) collectEvents() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.NumGC-g.lastGC > 256 {
		g.overflow = true
		g.lastGC = ms.NumGC - 256
	}
	for ; g.lastGC < ms.NumGC; g.lastGC++ {
		i := g.lastGC % 256
		end := int64(ms.PauseEnd[i]) - g.t0Unix // ns since process start
		start := float64(end-int64(ms.PauseNs[i])) - float64(g.t0)
		g.events = append(g.events, [2]interface{}{math.Round(start*1e-5) / 1e4, ms.PauseNs[i]})
	}
}

func schedLatency() obj {
	s := []metrics.Sample{{Name: schedMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return obj{}
	}
	hh := s[0].Value.Float64Histogram()
	h := histogramToNs(hh.Counts, hh.Buckets)
	return obj{"count": h.count, "p50_ns": h.percentile(0.5), "p99_ns": h.percentile(0.99), "max_ns": h.max}
}
