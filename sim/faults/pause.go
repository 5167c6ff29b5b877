package faults

import (
	"time"

	"github.com/syncsim/syncsim/sim/rng"
)

// pause: a client's sync session is paused, then resumed.
func pause(p *plan, r *rng.Stream, at, end time.Duration) {
	c := p.session(r)
	p.at(at, c.Node().Name, "fault.pause", "", func() { c.Pause(true) })
	p.at(end, c.Node().Name, "fault.resume", "", func() { c.Pause(false) })
}
