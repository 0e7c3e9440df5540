// The workload's definition, word for word the same as
// bench/storm/src/workload_def.h (generator, ids, keys, payload, checksum),
// and the mutator loops of bench/storm/src/worker.h. The smoke test compares
// this program's checksum with the C++ systems', so any drift shows.
package main

import "unsafe"

const (
	sessionWords = 25 // 200-byte payload
	nodeWords    = 7  // 8-byte next + 56 bytes = 64-byte node
	ringNodes    = 3
	keyLen       = 21 // "sess:" + 16 hex digits
	blockOps     = 20 // 18 lookups, 1 insert, 1 erase per block
	brokenRing   = 0xBADC0FFEE0DDF00D
)

// Node and Session: the same shapes as the C++ systems' (64 and 216 bytes).
type Node struct {
	next    *Node
	payload [nodeWords]uint64
}

type Session struct {
	id      uint64
	payload [sessionWords]uint64
	ring    *Node
}

// mix64 is the splitmix64 finalizer, a bijection on 64-bit words.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

type rng struct{ state uint64 }

func newRng(seed uint64, thread uint) rng {
	return rng{seed ^ (0xD1B54A32D192ED03 * (uint64(thread) + 1))}
}

func (r *rng) next() uint64 {
	r.state += 0x9E3779B97F4A7C15
	return mix64(r.state)
}

func (r *rng) below(n uint64) uint64 { return r.next() % n }

func sessionID(seed uint64, thread uint, k uint64) uint64 {
	return mix64(seed + uint64(thread)<<48 + k)
}

const hexDigits = "0123456789abcdef"

func formatKey(buf *[keyLen]byte, id uint64) {
	buf[0], buf[1], buf[2], buf[3], buf[4] = 's', 'e', 's', 's', ':'
	for i := 0; i < 16; i++ {
		buf[5+i] = hexDigits[(id>>(60-4*uint(i)))&15]
	}
}

// view lets lookups and deletes use the key buffer without copying it into a
// new string (neither keeps the key), as the C++ side passes a string_view.
func view(buf *[keyLen]byte) string {
	b := buf[:]
	return *(*string)(unsafe.Pointer(&b))
}

func sessionWord(id uint64, i uint) uint64 { return id ^ ((uint64(i) + 1) * 0x9E3779B97F4A7C15) }
func nodeWord(id uint64, k, j uint) uint64 {
	return (id + uint64(k)) ^ ((uint64(j) + 1) * 0xC2B2AE3D27D4EB4F)
}

func newSession(id uint64) *Session {
	s := &Session{id: id}
	for i := range s.payload {
		s.payload[i] = sessionWord(id, uint(i))
	}
	var nodes [ringNodes]*Node
	for k := range nodes {
		n := &Node{}
		for j := range n.payload {
			n.payload[j] = nodeWord(id, uint(k), uint(j))
		}
		nodes[k] = n
	}
	for k := range nodes {
		nodes[k].next = nodes[(k+1)%ringNodes]
	}
	s.ring = nodes[0]
	return s
}

func expectedContent(id uint64) uint64 {
	var s uint64
	for i := uint(0); i < sessionWords; i++ {
		s += sessionWord(id, i)
	}
	for k := uint(0); k < ringNodes; k++ {
		for j := uint(0); j < nodeWords; j++ {
			s += nodeWord(id, k, j)
		}
	}
	return s
}

func contentSum(s *Session) uint64 {
	var sum uint64
	for _, w := range s.payload {
		sum += w
	}
	n := s.ring
	for k := 0; k < ringNodes; k++ {
		for _, w := range n.payload {
			sum += w
		}
		n = n.next
	}
	if n != s.ring {
		return brokenRing
	}
	return sum
}

func checksumTerm(id, content uint64) uint64 { return mix64(id) + content }

type phaseStats struct {
	lookup, insert, erase           histogram
	lookups, inserts, erases        uint64
	lookupMisses, eraseMisses, wall uint64
}

func (p *phaseStats) ops() uint64 { return p.lookups + p.inserts + p.erases }

func (p *phaseStats) merge(o *phaseStats) {
	p.lookup.merge(&o.lookup)
	p.insert.merge(&o.insert)
	p.erase.merge(&o.erase)
	p.lookups += o.lookups
	p.inserts += o.inserts
	p.erases += o.erases
	p.lookupMisses += o.lookupMisses
	p.eraseMisses += o.eraseMisses
	if o.wall > p.wall {
		p.wall = o.wall
	}
}

type verifyResult struct {
	size, iterated, keyMismatches, checksum, expectedSize, expectedChecksum uint64
}

const (
	phaseLoad = iota
	phaseSteady
	phaseStorm
	phaseAfter
	phaseCollect
	phaseVerify
	phaseCount
)

var phaseNames = [phaseCount]string{"load", "steady", "storm", "after", "collect", "verify"}

// worker is one mutator goroutine with its own map.
type worker struct {
	opt     *options
	h       *harness
	index   uint
	n       uint64
	rng     rng
	created uint64
	present []uint64
	m       map[string]*Session
	stats   [4]phaseStats
	verify  verifyResult
}

func newWorker(opt *options, h *harness, index uint) *worker {
	n := opt.n / uint64(opt.threads)
	if uint64(index) < opt.n%uint64(opt.threads) {
		n++
	}
	return &worker{opt: opt, h: h, index: index, n: n, rng: newRng(opt.seed, index),
		m: make(map[string]*Session)}
}

func (w *worker) nextID() uint64 {
	id := sessionID(w.opt.seed, w.index, w.created)
	w.created++
	return id
}

func (w *worker) take(i uint64) uint64 {
	id := w.present[i]
	last := len(w.present) - 1
	w.present[i] = w.present[last]
	w.present = w.present[:last]
	return id
}

func (w *worker) run() {
	w.h.sync(w.index)
	w.load()
	w.h.sync(w.index)
	w.mixed(&w.stats[phaseSteady], w.opt.steadyOps, w.opt.steadyS)
	w.h.sync(w.index)
	w.storm()
	w.h.sync(w.index)
	w.mixed(&w.stats[phaseAfter], w.opt.afterOps, w.opt.afterS)
	w.h.sync(w.index) // forced collection and the end snapshot happen here
	w.check()
	w.h.sync(w.index)
}

func (w *worker) load() {
	ps := &w.stats[phaseLoad]
	var buf [keyLen]byte
	w.present = make([]uint64, 0, w.n+w.n/8)
	begin := nowNs()
	for k := uint64(0); k < w.n; k++ {
		id := w.nextID()
		formatKey(&buf, id)
		t0 := ticks()
		w.m[string(buf[:])] = newSession(id)
		ps.insert.record(ticks() - t0)
		w.present = append(w.present, id)
	}
	ps.inserts = w.n
	ps.wall = nowNs() - begin
}

func (w *worker) mixed(ps *phaseStats, maxOps uint64, seconds float64) {
	var buf [keyLen]byte
	begin := nowNs()
	now := ticks()
	deadline := now + tickClock.ticksForNs(seconds*1e9)
	var ops uint64
	for (maxOps != 0 && ops < maxOps) || (maxOps == 0 && now < deadline) {
		r := w.rng.next()
		ins := uint(r % blockOps)
		era := uint((r >> 8) % (blockOps - 1))
		if era >= ins {
			era++
		}
		for p := uint(0); p < blockOps; p++ {
			switch p {
			case ins:
				id := w.nextID()
				formatKey(&buf, id)
				t0 := ticks()
				w.m[string(buf[:])] = newSession(id)
				now = ticks()
				ps.insert.record(now - t0)
				w.present = append(w.present, id)
			case era:
				id := w.take(w.rng.below(uint64(len(w.present))))
				formatKey(&buf, id)
				k := view(&buf)
				before := len(w.m) // delete reports nothing; a miss leaves len unchanged
				t0 := ticks()
				delete(w.m, k)
				now = ticks()
				ps.erase.record(now - t0)
				if len(w.m) == before {
					ps.eraseMisses++
				}
			default:
				id := w.present[w.rng.below(uint64(len(w.present)))]
				formatKey(&buf, id)
				t0 := ticks()
				s, found := w.m[view(&buf)]
				var got uint64
				if found {
					got = s.id
				}
				now = ticks()
				ps.lookup.record(now - t0)
				if !found || got != id {
					ps.lookupMisses++
				}
			}
		}
		ops += blockOps
	}
	ps.lookups += ops / blockOps * (blockOps - 2)
	ps.inserts += ops / blockOps
	ps.erases += ops / blockOps
	ps.wall = nowNs() - begin
}

func (w *worker) storm() {
	size := uint64(len(w.present))
	count := size * uint64(w.opt.stormPercent) / 100
	if count > size-2 {
		count = size - 2
	}
	victims := make([]uint64, count)
	for i := range victims {
		victims[i] = w.take(w.rng.below(uint64(len(w.present))))
	}
	var lookups []uint64
	if w.opt.lookupEvery != 0 {
		lookups = make([]uint64, count/uint64(w.opt.lookupEvery))
	}
	for i := range lookups {
		lookups[i] = w.present[w.rng.below(uint64(len(w.present)))]
	}

	ps := &w.stats[phaseStorm]
	var buf [keyLen]byte
	every := w.opt.lookupEvery
	var since uint
	next := 0
	begin := nowNs()
	for _, v := range victims {
		formatKey(&buf, v)
		k := view(&buf)
		before := len(w.m)
		delete(w.m, k)
		if len(w.m) == before {
			ps.eraseMisses++
		}
		if every != 0 {
			since++
			if since == every {
				since = 0
				id := lookups[next]
				next++
				formatKey(&buf, id)
				t0 := ticks()
				s, found := w.m[view(&buf)]
				var got uint64
				if found {
					got = s.id
				}
				ps.lookup.record(ticks() - t0)
				if !found || got != id {
					ps.lookupMisses++
				}
			}
		}
	}
	ps.wall = nowNs() - begin
	ps.erases = count
	ps.lookups = uint64(next)
}

func (w *worker) check() {
	var buf [keyLen]byte
	v := &w.verify
	v.size = uint64(len(w.m))
	for k, s := range w.m {
		v.iterated++
		formatKey(&buf, s.id)
		if k != string(buf[:]) {
			v.keyMismatches++
		}
		v.checksum += checksumTerm(s.id, contentSum(s))
	}
	v.expectedSize = uint64(len(w.present))
	for _, id := range w.present {
		v.expectedChecksum += checksumTerm(id, expectedContent(id))
	}
}
