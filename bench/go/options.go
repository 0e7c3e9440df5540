// The same flags as the C++ harness (bench/storm/src/options.h), with the
// same defaults and the same --quick sizes.
package main

import (
	"flag"
	"fmt"
	"os"
)

type options struct {
	system       string
	n            uint64
	threads      uint
	steadyS      float64
	afterS       float64
	steadyOps    uint64
	afterOps     uint64
	stormPercent uint
	lookupEvery  uint
	seed         uint64
	sampleMs     uint
	quick        bool
	list         bool
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "gcmap_storm_go: "+format+"\n", args...)
	flag.Usage()
	os.Exit(2)
}

func parseOptions() *options {
	o := &options{}
	flag.StringVar(&o.system, "system", "go", "the system to run (only 'go' here)")
	flag.Uint64Var(&o.n, "n", 1_000_000, "entries inserted by LOAD, split across threads")
	flag.UintVar(&o.threads, "threads", 1, "mutator goroutines, one map each")
	flag.Float64Var(&o.steadyS, "steady-s", 5, "STEADY duration, seconds")
	flag.Float64Var(&o.afterS, "after-s", 5, "AFTER duration, seconds")
	flag.Uint64Var(&o.steadyOps, "steady-ops", 0, "exact ops per thread in STEADY (0: use time)")
	flag.Uint64Var(&o.afterOps, "after-ops", 0, "exact ops per thread in AFTER (0: use time)")
	flag.UintVar(&o.stormPercent, "storm-percent", 50, "share of the present entries the STORM erases")
	flag.UintVar(&o.lookupEvery, "lookup-every", 64, "one timed lookup per this many storm erases (0: none)")
	flag.Uint64Var(&o.seed, "seed", 1, "workload seed; same seed = same keys everywhere")
	flag.UintVar(&o.sampleMs, "sample-ms", 50, "RSS / heap-in-use sampling period")
	flag.BoolVar(&o.quick, "quick", false, "CI size: n=2000, steady-ops=after-ops=20000, sample-ms=5")
	flag.BoolVar(&o.list, "list", false, "print the available systems")
	flag.Parse()
	if flag.NArg() != 0 {
		fail("unexpected argument %q", flag.Arg(0))
	}
	given := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if o.quick {
		if !given["n"] {
			o.n = 2000
		}
		if !given["steady-ops"] {
			o.steadyOps = 20000
		}
		if !given["after-ops"] {
			o.afterOps = 20000
		}
		if !given["sample-ms"] {
			o.sampleMs = 5
		}
	}
	o.steadyOps = (o.steadyOps + blockOps - 1) / blockOps * blockOps
	o.afterOps = (o.afterOps + blockOps - 1) / blockOps * blockOps
	switch {
	case o.threads < 1 || o.threads > 64:
		fail("--threads must be in [1, 64]")
	case o.n < 2*uint64(o.threads) || o.n > 1<<40:
		fail("--n must be at least 2 per thread")
	case o.stormPercent > 100:
		fail("--storm-percent must be in [0, 100]")
	case o.sampleMs < 1:
		fail("--sample-ms must be at least 1")
	case o.steadyS < 0 || o.afterS < 0 || o.steadyS > 3600 || o.afterS > 3600:
		fail("durations must be in [0, 3600] seconds")
	case !o.list && o.system != "go":
		fail("this binary runs only --system=go, not %q", o.system)
	}
	return o
}
