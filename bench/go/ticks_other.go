//go:build !amd64

// Elsewhere than amd64, ticks are monotonic nanoseconds (like the C++ side).
package main

const tickSource = "clock_gettime(CLOCK_MONOTONIC)"

func ticks() uint64 { return nowNs() }
