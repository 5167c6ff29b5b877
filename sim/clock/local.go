package clock

import "time"

// Local is one node's wall clock: the world's time seen through an offset,
// a drift rate and any steps applied to it. It is what a node reads as "now"
// when it timestamps a write; it may run fast, slow, or jump backwards.
type Local struct {
	c *Clock
	// anchorWorld and anchorLocal pin the linear map from world to local time;
	// drift applies to world time elapsed since anchorWorld.
	anchorWorld Time
	anchorLocal Time
	driftPPM    int64
}

// NewLocal returns a local clock reading the world's time plus offset.
func (c *Clock) NewLocal(offset time.Duration) *Local {
	return &Local{c: c, anchorWorld: c.now, anchorLocal: c.now.Add(offset)}
}

// World is the clock this local clock derives from.
func (l *Local) World() *Clock { return l.c }

// Now is the local reading.
func (l *Local) Now() Time {
	el := int64(l.c.now - l.anchorWorld)
	return l.anchorLocal + Time(el+el/1_000_000*l.driftPPM+(el%1_000_000)*l.driftPPM/1_000_000)
}

// Step moves the local reading by d, which may be negative (a backward step).
func (l *Local) Step(d time.Duration) {
	l.reanchor()
	l.anchorLocal = l.anchorLocal.Add(d)
}

// SetDrift sets the rate error in parts per million: +100 runs 100µs/s fast.
func (l *Local) SetDrift(ppm int64) {
	l.reanchor()
	l.driftPPM = ppm
}

// Offset is the current difference between the local reading and world time.
func (l *Local) Offset() time.Duration { return l.Now().Sub(l.c.now) }

func (l *Local) reanchor() {
	l.anchorLocal = l.Now()
	l.anchorWorld = l.c.now
}
