package faults

import (
	"time"

	"github.com/syncsim/syncsim/sim/rng"
)

// crash: a client process crashes (its disk loses what it had not
// synced), then restarts.
func crash(p *plan, r *rng.Stream, at, end time.Duration) {
	c := p.client(r)
	p.at(at, c.Node().Name, "fault.crash", "", c.Crash)
	p.at(end, c.Node().Name, "fault.restart", "", c.Restart)
}
