// gcmap_storm_go: system 6 of the delete-storm benchmark, Go's built-in
// map[string]*Session under the same workload, flags and JSON line as the C++
// harness (bench/storm; its README documents the schema). Built offline with
// the standard library only (build.sh); `gcmap_storm --system=go` execs it.
//
// Goroutine layout: one goroutine per --threads, each with its own map; the
// main goroutine is the phase barrier (it stamps phases, takes snapshots,
// runs the forced runtime.GC() after AFTER) and a sampler goroutine records
// RSS and heap every --sample-ms and prints progress every second.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

type obj = map[string]interface{}

type harness struct {
	arrive  chan struct{}
	release []chan struct{}
}

func (h *harness) sync(i uint) {
	h.arrive <- struct{}{}
	<-h.release[i]
}

type sampler struct {
	mu      sync.Mutex
	samples [][3]interface{}
	phase   int
	start   uint64
	stop    chan struct{}
	done    chan struct{}
}

func (s *sampler) setPhase(p int, start uint64) {
	s.mu.Lock()
	s.phase, s.start = p, start
	s.mu.Unlock()
}

func (s *sampler) run(t0 uint64, period time.Duration) {
	defer close(s.done)
	tick := time.NewTicker(period)
	defer tick.Stop()
	lastProgress := nowNs()
	for {
		now := nowNs()
		rss := rssBytes()
		s.mu.Lock()
		s.samples = append(s.samples, [3]interface{}{secsSince(now, t0), rss, heapInUse()})
		phase, start := s.phase, s.start
		s.mu.Unlock()
		if now-lastProgress >= 1e9 {
			lastProgress = now
			fmt.Fprintf(os.Stderr, "[storm %6.1fs] %-16s %-7s %5.1fs  rss %6.0f MB\n",
				float64(now-t0)*1e-9, "go", phaseNames[phase], float64(now-start)*1e-9, float64(rss)/1048576)
		}
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
	}
}

func secsSince(t, t0 uint64) float64 {
	if t < t0 {
		return 0
	}
	return math.Round(float64(t-t0)*1e-5) / 1e4
}

func secs(ns uint64) float64 { return math.Round(float64(ns)*1e-6) / 1e3 }

func histJSON(h *histogram, nsPerTick float64) obj {
	ns := func(t uint64) uint64 { return uint64(math.Round(float64(t) * nsPerTick)) }
	return obj{"count": h.count, "p50": ns(h.percentile(0.5)), "p99": ns(h.percentile(0.99)),
		"p999": ns(h.percentile(0.999)), "max": ns(h.max), "mean": math.Round(h.mean()*nsPerTick*10) / 10}
}

func firstLineWith(path, prefix string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			return strings.TrimPrefix(sc.Text(), prefix)
		}
	}
	return ""
}

func machine() obj {
	var u syscall.Utsname
	syscall.Uname(&u)
	var rel []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		rel = append(rel, byte(c))
	}
	return obj{"cpus": runtime.NumCPU(), "cpu_model": firstLineWith("/proc/cpuinfo", "model name\t: "),
		"os": strings.Trim(firstLineWith("/etc/os-release", "PRETTY_NAME="), "\""), "kernel": string(rel)}
}

func main() {
	opt := parseOptions()
	if opt.list {
		fmt.Println("go")
		return
	}
	fmt.Fprintf(os.Stderr, "[storm] go: n=%d threads=%d %s\n", opt.n, opt.threads,
		map[bool]string{true: "(quick)", false: ""}[opt.quick])

	tickClock.start()
	t0 := nowNs()
	gc := &gcTracker{t0Unix: processStart.UnixNano(), t0: t0}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gc.lastGC = ms.NumGC
	first := readPauses()

	smp := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go smp.run(t0, time.Duration(opt.sampleMs)*time.Millisecond)

	h := &harness{arrive: make(chan struct{})}
	workers := make([]*worker, opt.threads)
	var wg sync.WaitGroup
	for i := range workers {
		h.release = append(h.release, make(chan struct{}))
		workers[i] = newWorker(opt, h, uint(i))
	}
	for _, w := range workers {
		wg.Add(1)
		go func(w *worker) { defer wg.Done(); w.run() }(w)
	}

	var start, end [phaseCount]uint64
	var gcAt [phaseCount][2]gcSnapshot
	var afterLoad, afterStorm, atEnd memorySnapshot
	forced := false
	var cpuStart, cpuEnd cpuSnapshot
	begin := func(p int) {
		start[p] = nowNs()
		gcAt[p][0] = readPauses()
		smp.setPhase(p, start[p])
	}
	finish := func(p int) {
		end[p] = nowNs()
		gcAt[p][1] = readPauses()
		gc.collectEvents()
		fmt.Fprintf(os.Stderr, "[storm %6.1fs] %-16s %-7s done in %.2f s, rss %.0f MB, heap %.0f MB\n",
			float64(end[p]-t0)*1e-9, "go", phaseNames[p], float64(end[p]-start[p])*1e-9,
			float64(rssBytes())/1048576, float64(heapInUse())/1048576)
	}
	for b := 0; b < 6; b++ {
		for range workers {
			<-h.arrive
		}
		switch b {
		case 0:
			cpuStart = cpuNow()
			begin(phaseLoad)
		case 1:
			finish(phaseLoad)
			afterLoad = snapshot()
			begin(phaseSteady)
		case 2:
			finish(phaseSteady)
			begin(phaseStorm)
		case 3:
			finish(phaseStorm)
			afterStorm = snapshot()
			begin(phaseAfter)
		case 4:
			finish(phaseAfter)
			begin(phaseCollect)
			runtime.GC()
			forced = true
			finish(phaseCollect)
			atEnd = snapshot()
			begin(phaseVerify)
		case 5:
			finish(phaseVerify)
			cpuEnd = cpuNow()
		}
		for i := range workers {
			h.release[i] <- struct{}{}
		}
	}
	wg.Wait()
	last := readPauses()
	close(smp.stop)
	<-smp.done
	tickClock.finish()
	npt := tickClock.nsPerTick

	var ph [4]phaseStats
	var v verifyResult
	for _, w := range workers {
		for p := range ph {
			ph[p].merge(&w.stats[p])
		}
		v.size += w.verify.size
		v.iterated += w.verify.iterated
		v.keyMismatches += w.verify.keyMismatches
		v.checksum += w.verify.checksum
		v.expectedSize += w.verify.expectedSize
		v.expectedChecksum += w.verify.expectedChecksum
	}

	span := func(p int) uint64 { return end[p] - start[p] }
	mops := func(ops, ns uint64) float64 {
		if ns == 0 {
			return 0
		}
		return math.Round(float64(ops)/float64(ns)*1e3*1e4) / 1e4
	}
	gcIn := func(p int) obj { return gcSummary(gcAt[p][0], gcAt[p][1]) }
	mixed := func(p int) obj {
		s := &ph[p]
		var all histogram
		all.merge(&s.lookup)
		all.merge(&s.insert)
		all.merge(&s.erase)
		return obj{"wall_s": secs(span(p)), "ops": s.ops(), "mops": mops(s.ops(), span(p)),
			"latency_ns": obj{"all": histJSON(&all, npt), "lookup": histJSON(&s.lookup, npt),
				"insert": histJSON(&s.insert, npt), "erase": histJSON(&s.erase, npt)},
			"misses": obj{"lookup": s.lookupMisses, "erase": s.eraseMisses}, "gc": gcIn(p)}
	}
	st := &ph[phaseStorm]
	perThread := st.erases / uint64(opt.threads)
	nsPerErase := 0.0
	if perThread > 0 {
		nsPerErase = math.Round(float64(st.wall)/float64(perThread)*10) / 10
	}
	var inserted, erased, lookedUp, lookupMisses, eraseMisses uint64
	for p := range ph {
		inserted += ph[p].inserts
		erased += ph[p].erases
		lookedUp += ph[p].lookups
		lookupMisses += ph[p].lookupMisses
		eraseMisses += ph[p].eraseMisses
	}
	ok := lookupMisses == 0 && eraseMisses == 0 && v.keyMismatches == 0 && v.size == v.expectedSize &&
		v.iterated == v.expectedSize && v.checksum == v.expectedChecksum
	var spans []interface{}
	for p := 0; p < phaseCount; p++ {
		spans = append(spans, []interface{}{phaseNames[p], secsSince(start[p], t0), secsSince(end[p], t0)})
	}
	pauses := make([]interface{}, 0, len(gc.events))
	for _, e := range gc.events {
		pauses = append(pauses, []interface{}{e[0], e[1]})
	}
	samples := make([]interface{}, 0, len(smp.samples))
	for _, s := range smp.samples {
		if s[0].(float64) > secsSince(end[phaseVerify], t0) {
			break // the same cut as the C++ harness: nothing after VERIFY
		}
		samples = append(samples, []interface{}{s[0], s[1], s[2]})
	}
	gogc := os.Getenv("GOGC")
	if gogc == "" {
		gogc = "100"
	}
	runtime.ReadMemStats(&ms)
	mach := machine()
	otherCPU(mach, cpuStart, cpuEnd)

	result := obj{
		"schema":      "gcmap-storm/1",
		"system":      "go",
		"description": "Go " + runtime.Version() + " map[string]*Session (bench/go)",
		"system_info": obj{
			"allocator":       "Go runtime " + runtime.Version(),
			"gogc":            gogc,
			"gomaxprocs":      runtime.GOMAXPROCS(0),
			"gc_cycles":       ms.NumGC,
			"heap_metric":     heapMetric + " (= MemStats.HeapAlloc; dead objects count until swept)",
			"pause_metric":    pauseMetric + " (every STW pause; ~6% bucket resolution), total from MemStats.PauseTotalNs",
			"pause_events":    "per GC cycle from MemStats.PauseNs/PauseEnd (a cycle's two STW pauses summed)",
			"events_overflow": gc.overflow,
			"sched_latency":   schedLatency(),
		},
		"machine": mach,
		"config": obj{"n": opt.n, "threads": opt.threads, "steady_s": opt.steadyS, "after_s": opt.afterS,
			"steady_ops": opt.steadyOps, "after_ops": opt.afterOps, "storm_percent": opt.stormPercent,
			"lookup_every": opt.lookupEvery, "seed": opt.seed, "sample_ms": opt.sampleMs, "quick": opt.quick},
		"clock": obj{"op_latency": tickSource, "ns_per_tick": npt},
		"phases": obj{
			"load": obj{"wall_s": secs(span(phaseLoad)), "ops": ph[phaseLoad].inserts,
				"mops":       mops(ph[phaseLoad].inserts, span(phaseLoad)),
				"latency_ns": obj{"insert": histJSON(&ph[phaseLoad].insert, npt)}, "gc": gcIn(phaseLoad)},
			"steady": mixed(phaseSteady),
			"storm": obj{"wall_s": secs(span(phaseStorm)), "caller_s": secs(st.wall), "erases": st.erases,
				"ns_per_erase": nsPerErase, "latency_ns": obj{"lookup": histJSON(&st.lookup, npt)},
				"misses": obj{"lookup": st.lookupMisses, "erase": st.eraseMisses}, "gc": gcIn(phaseStorm)},
			"after":   mixed(phaseAfter),
			"collect": obj{"wall_s": secs(span(phaseCollect)), "forced": forced, "gc": gcIn(phaseCollect)},
		},
		"gc":     gcSummary(first, last),
		"memory": obj{"after_load": afterLoad.json(), "after_storm": afterStorm.json(), "end": atEnd.json()},
		"work": obj{"inserted": inserted, "erased": erased, "looked_up": lookedUp,
			"lookup_misses": lookupMisses, "erase_misses": eraseMisses, "key_mismatches": v.keyMismatches,
			"final_size": v.size, "iterated": v.iterated, "expected_size": v.expectedSize,
			"checksum":          fmt.Sprintf("0x%016x", v.checksum),
			"expected_checksum": fmt.Sprintf("0x%016x", v.expectedChecksum), "ok": ok},
		"series": obj{"phases": spans, "samples": samples, "pauses": pauses},
	}
	out, err := json.Marshal(result)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gcmap_storm_go:", err)
		os.Exit(1)
	}
	os.Stdout.Write(append(out, '\n'))
}
