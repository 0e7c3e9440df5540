// Pause times of Go's collector against the live heap size, while a mutator
// keeps mutating: the Go side of bench/gc/pause_bench (same graph, same
// mutation, same output line).
//
//   pause --live-mb 256 --seconds 10 [--gogc 100]
//
// The live heap: 64-byte nodes with four tree children (a complete 4-ary
// tree) and two random cross edges. The mutator relinks cross edges to random
// nodes found by random walks from the root, and a quarter of the time
// replaces one with a fresh node. Pauses come from runtime.MemStats.PauseNs
// (every stop-the-world pause of a cycle, Go's own measure).
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"runtime"
	"runtime/debug"
	"sort"
	"time"
)

type node struct {
	p    [6]*node
	a, b uint64
}

func main() {
	liveMB := flag.Int("live-mb", 64, "live heap in MB")
	seconds := flag.Float64("seconds", 10, "measurement time")
	gogc := flag.Int("gogc", 100, "GOGC")
	flag.Parse()

	n := *liveMB * 1024 * 1024 / 64
	debug.SetGCPercent(-1)
	nodes := make([]*node, n)
	for i := range nodes {
		nodes[i] = &node{}
	}
	rng := rand.New(rand.NewSource(42))
	for i := 0; i < n; i++ {
		for c := 0; c < 4; c++ {
			if child := i*4 + 1 + c; child < n {
				nodes[i].p[c] = nodes[child]
			}
		}
		for c := 0; c < 2; c++ {
			nodes[i].p[4+c] = nodes[rng.Intn(n)]
		}
	}
	root := nodes[0]
	nodes = nil
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	debug.SetGCPercent(*gogc)

	r := rand.New(rand.NewSource(1))
	walk := func(levels int) *node {
		x := root
		for d := 0; d < levels; d++ {
			next := x.p[r.Intn(4)]
			if next == nil {
				break
			}
			x = next
		}
		return x
	}
	ops := 0
	deadline := time.Now().Add(time.Duration(*seconds * float64(time.Second)))
	start := time.Now()
	for time.Now().Before(deadline) {
		for k := 0; k < 4096; k++ {
			x := walk(1 + r.Intn(8))
			slot := 4 + r.Intn(2)
			if r.Intn(4) == 0 {
				x.p[slot] = &node{}
			} else {
				x.p[slot] = walk(6)
			}
			ops++
		}
	}
	wall := time.Since(start).Seconds()

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	cycles := ms.NumGC - base.NumGC
	// PauseNs is a ring of the last 256 pauses: the measurement's are the
	// newest ones, one or two per cycle (Go 1.19 records the two STW phases
	// of a cycle as one entry: sweep termination + mark termination).
	count := int(cycles)
	if count > 256 {
		count = 256
	}
	pauses := make([]float64, 0, count)
	for i := 0; i < count; i++ {
		idx := (int(ms.NumGC) - 1 - i + 256) % 256
		pauses = append(pauses, float64(ms.PauseNs[idx])/1e3)
	}
	sort.Float64s(pauses)
	pct := func(p float64) float64 {
		if len(pauses) == 0 {
			return 0
		}
		i := int(p * float64(len(pauses)))
		if i >= len(pauses) {
			i = len(pauses) - 1
		}
		return pauses[i]
	}
	max := 0.0
	if len(pauses) > 0 {
		max = pauses[len(pauses)-1]
	}
	fmt.Printf("live_mb=%d system=go cycles=%d pauses=%d p50_us=%.1f p99_us=%.1f max_us=%.1f ops_per_s=%.0f heap_in_use_mb=%.0f\n",
		*liveMB, cycles, len(pauses), pct(0.5), pct(0.99), max, float64(ops)/wall, float64(ms.HeapInuse)/1048576)
}
