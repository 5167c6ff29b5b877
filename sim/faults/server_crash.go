package faults

import (
	"time"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/rng"
)

// serverCrash: the server crashes, then restarts after 1 to 20 s (or at
// the heal).
func serverCrash(p *plan, r *rng.Stream, at, _ time.Duration) {
	s := p.t.Server
	p.at(at, sim.ServerName, "fault.crash", "", s.Crash)
	p.at(min(at+r.Between(time.Second, 20*time.Second), p.heal), sim.ServerName, "fault.restart", "", s.Restart)
}
