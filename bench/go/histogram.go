// A port of gcmap::base::LocalHistogram (alloc/include/gcmap/base/histogram.h):
// log-linear buckets, 64 per power of two, percentiles answered with the
// bucket midpoint (within 0.8%), max exact. Same buckets and same percentile
// rule as the C++ harness, so the two sides' figures are comparable.
package main

import "math/bits"

const (
	histSubBits = 6
	histSub     = 1 << histSubBits
	histBuckets = (64 - histSubBits + 1) * histSub
)

type histogram struct {
	counts          [histBuckets]uint64
	count, sum, max uint64
}

func bucketOf(v uint64) int {
	if v < histSub {
		return int(v)
	}
	e := 63 - bits.LeadingZeros64(v)
	sub := (v >> (e - histSubBits)) & (histSub - 1)
	return (e-histSubBits+1)*histSub + int(sub)
}

func bucketLow(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	e := i/histSub + histSubBits - 1
	sub := uint64(i % histSub)
	return (uint64(1) << e) | (sub << (e - histSubBits))
}

func bucketWidth(i int) uint64 {
	if i < histSub {
		return 1
	}
	e := i/histSub + histSubBits - 1
	return uint64(1) << (e - histSubBits)
}

func (h *histogram) record(v uint64) {
	h.counts[bucketOf(v)]++
	h.count++
	h.sum += v
	if v > h.max {
		h.max = v
	}
}

// recordN records n samples of value v.
func (h *histogram) recordN(v, n uint64) {
	if n == 0 {
		return
	}
	h.counts[bucketOf(v)] += n
	h.count += n
	h.sum += v * n
	if v > h.max {
		h.max = v
	}
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.count += o.count
	h.sum += o.sum
	if o.max > h.max {
		h.max = o.max
	}
}

func (h *histogram) mean() float64 {
	if h.count == 0 {
		return 0
	}
	return float64(h.sum) / float64(h.count)
}

func (h *histogram) percentile(p float64) uint64 {
	n := h.count
	if n == 0 {
		return 0
	}
	if p >= 1 {
		return h.max
	}
	rank := uint64(p * float64(n))
	if rank >= n {
		rank = n - 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen > rank {
			mid := bucketLow(i) + bucketWidth(i)/2
			if mid > h.max {
				return h.max
			}
			return mid
		}
	}
	return h.max
}
