// The TSC read used to time each map operation (see ticks_amd64.s).
package main

const tickSource = "rdtsc (lfence; rdtsc), calibrated against CLOCK_MONOTONIC over the run"

func ticks() uint64
