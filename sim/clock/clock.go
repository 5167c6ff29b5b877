// Package clock is the simulation's virtual time: a single event queue
// ordered by (time, sequence), timers that can be stopped and reset, and
// per-node local clocks with offset, drift and steps.
//
// Nothing here reads the wall clock. Time only moves when the queue is run,
// and it jumps straight to the next event, so idle time costs nothing.
// Events at the same instant fire in the order they were scheduled.
package clock

import (
	"fmt"
	"time"
)

// Time is virtual nanoseconds since the start of the world.
type Time int64

// Add returns t+d.
func (t Time) Add(d time.Duration) Time { return t + Time(d) }

// Sub returns t-u.
func (t Time) Sub(u Time) time.Duration { return time.Duration(t - u) }

// String formats t as a duration since the start, e.g. "1m2.5s".
func (t Time) String() string { return time.Duration(t).String() }

// Never is a time after every real event.
const Never Time = 1<<63 - 1

// Clock is the event queue and the current virtual time.
// It is not safe for concurrent use; the simulation is single-threaded.
type Clock struct {
	now   Time
	seq   uint64
	heap  []entry
	fired uint64
	free  []*Timer // recycled fire-and-forget events
}

// New returns a clock at time zero with an empty queue.
func New() *Clock { return &Clock{heap: make([]entry, 0, 64)} }

// Now is the current virtual time.
func (c *Clock) Now() Time { return c.now }

// Fired is the number of events run so far.
func (c *Clock) Fired() uint64 { return c.fired }

// Pending is the number of events in the queue.
func (c *Clock) Pending() int { return len(c.heap) }

// Timer is a scheduled call. Its zero value is not usable; get one from
// Clock.AfterFunc or Clock.At.
type Timer struct {
	c      *Clock
	at     Time
	seq    uint64
	idx    int // position in the heap, -1 when not queued
	fn     func()
	pooled bool
}

// When is the time the timer is (or was last) set to fire.
func (t *Timer) When() Time { return t.at }

// Pending reports whether the timer is queued.
func (t *Timer) Pending() bool { return t.idx >= 0 }

// AfterFunc schedules fn to run d from now. A negative d counts as zero.
func (c *Clock) AfterFunc(d time.Duration, fn func()) *Timer {
	if d < 0 {
		d = 0
	}
	return c.At(c.now.Add(d), fn)
}

// At schedules fn to run at time t, or now if t is in the past.
func (c *Clock) At(t Time, fn func()) *Timer {
	tm := &Timer{c: c, idx: -1, fn: fn}
	c.push(tm, t)
	return tm
}

// Post schedules fn to run d from now without returning a handle; its event
// record is recycled, so it is the cheapest way to schedule work that is
// never cancelled.
func (c *Clock) Post(d time.Duration, fn func()) {
	if d < 0 {
		d = 0
	}
	var tm *Timer
	if n := len(c.free); n > 0 {
		tm = c.free[n-1]
		c.free = c.free[:n-1]
	} else {
		tm = &Timer{c: c, idx: -1, pooled: true}
	}
	tm.fn = fn
	c.push(tm, c.now.Add(d))
}

// Stop cancels the timer. It reports whether it was pending.
func (t *Timer) Stop() bool {
	if t.idx < 0 {
		return false
	}
	t.c.remove(t.idx)
	return true
}

// Reset reschedules the timer to fire d from now, whether or not it was
// pending or has fired. It reports whether it was pending.
func (t *Timer) Reset(d time.Duration) bool {
	if d < 0 {
		d = 0
	}
	was := t.Stop()
	t.c.push(t, t.c.now.Add(d))
	return was
}

func (c *Clock) push(t *Timer, at Time) {
	if at < c.now {
		at = c.now
	}
	c.seq++
	t.at, t.seq = at, c.seq
	t.idx = len(c.heap)
	c.heap = append(c.heap, entry{at: at, seq: c.seq, t: t, track: !t.pooled})
	c.up(t.idx)
}

// entry is a heap slot. It holds the ordering key by value so that sifting
// compares without touching the timers, and it keeps the timer's position
// up to date only for timers that can be stopped (track): a posted event's
// position is never needed, and not writing it saves a memory write per
// level of every sift.
type entry struct {
	at    Time
	seq   uint64
	t     *Timer
	track bool
}

// less orders by time, then by scheduling sequence.
func (a *entry) less(b *entry) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// The queue is a 4-ary min-heap: shallower than a binary heap, and the four
// children of a node sit next to each other in memory.
const arity = 4

func (c *Clock) up(i int) { c.upTo(i, 0) }

// upTo sifts the entry at i up, but not above slot top.
func (c *Clock) upTo(i, top int) {
	h := c.heap
	e := h[i]
	for i > top {
		p := (i - 1) / arity
		if !e.less(&h[p]) {
			break
		}
		h[i] = h[p]
		if h[i].track {
			h[i].t.idx = i
		}
		i = p
	}
	h[i] = e
	if e.track {
		e.t.idx = i
	}
}

// down restores the heap after slot i was filled with an entry that may be
// too late for it. It sifts bottom-up (Floyd): the hole moves to a leaf
// along the smallest children without comparing against the entry, which
// then sifts up from there. The entry is usually the heap's last, which
// belongs near the bottom, so this saves most of the comparisons.
func (c *Clock) down(i int) {
	h := c.heap
	n := len(h)
	e := h[i]
	hole := i
	for {
		first := arity*hole + 1
		if first >= n {
			break
		}
		m := first
		last := min(first+arity, n)
		for j := first + 1; j < last; j++ {
			if h[j].less(&h[m]) {
				m = j
			}
		}
		h[hole] = h[m]
		if h[hole].track {
			h[hole].t.idx = hole
		}
		hole = m
	}
	h[hole] = e
	if e.track {
		e.t.idx = hole
	}
	c.upTo(hole, i)
}

func (c *Clock) remove(i int) {
	h := c.heap
	last := len(h) - 1
	t := h[i].t
	if i != last {
		h[i] = h[last]
		if h[i].track {
			h[i].t.idx = i
		}
	}
	h[last] = entry{}
	c.heap = h[:last]
	t.idx = -1
	if i != last {
		c.down(i)
		c.up(i) // a stopped timer's slot may take an entry that belongs higher
	}
}

// NextAt is the time of the next event, or Never if the queue is empty.
func (c *Clock) NextAt() Time {
	if len(c.heap) == 0 {
		return Never
	}
	return c.heap[0].at
}

// Step runs the next event, advancing time to it. It reports whether there
// was one.
func (c *Clock) Step() bool {
	if len(c.heap) == 0 {
		return false
	}
	t := c.heap[0].t
	c.remove(0)
	c.now = t.at
	c.fired++
	fn := t.fn
	if t.pooled {
		t.fn = nil
		c.free = append(c.free, t)
	}
	fn()
	return true
}

// RunUntil runs every event due at or before deadline, then sets the time
// to deadline (if it is later than now). It returns the number of events run.
func (c *Clock) RunUntil(deadline Time) uint64 {
	start := c.fired
	for len(c.heap) > 0 && c.heap[0].at <= deadline {
		c.Step()
	}
	if deadline > c.now && deadline != Never {
		c.now = deadline
	}
	return c.fired - start
}

// RunFor runs the events of the next d of virtual time.
func (c *Clock) RunFor(d time.Duration) uint64 { return c.RunUntil(c.now.Add(d)) }

// ErrBudget is returned by Run when the event budget is exhausted first.
var ErrBudget = fmt.Errorf("event budget exhausted")

// Run runs events until the queue is empty, the next event is after
// deadline, or budget events have run. It returns ErrBudget (wrapped with
// the time reached) if it stopped because of the budget while events due
// before the deadline were still queued.
func (c *Clock) Run(deadline Time, budget uint64) error {
	start := c.fired
	for len(c.heap) > 0 && c.heap[0].at <= deadline {
		if c.fired-start >= budget {
			return fmt.Errorf("%w: %d events run, stopped at %v", ErrBudget, budget, c.now)
		}
		c.Step()
	}
	return nil
}
