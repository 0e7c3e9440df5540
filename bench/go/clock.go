// Monotonic time and the ticks-to-nanoseconds ratio, measured like the C++
// harness's TickClock: a 20 ms spin for phase deadlines, refined over the
// whole run for reporting.
package main

import "time"

var processStart = time.Now()

// nowNs is monotonic nanoseconds since the process started.
func nowNs() uint64 { return uint64(time.Since(processStart)) }

type tickCalibration struct {
	t0, ns0   uint64
	nsPerTick float64
}

var tickClock tickCalibration

func (c *tickCalibration) start() {
	c.ns0 = nowNs()
	c.t0 = ticks()
	ns1 := nowNs()
	for ns1-c.ns0 < 20_000_000 {
		ns1 = nowNs()
	}
	t1 := ticks()
	c.nsPerTick = float64(ns1-c.ns0) / float64(t1-c.t0)
}

func (c *tickCalibration) finish() {
	ns1 := nowNs()
	t1 := ticks()
	if t1 > c.t0 && ns1 > c.ns0 {
		c.nsPerTick = float64(ns1-c.ns0) / float64(t1-c.t0)
	}
}

func (c *tickCalibration) ticksForNs(ns float64) uint64 { return uint64(ns / c.nsPerTick) }
