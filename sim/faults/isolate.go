package faults

import (
	"time"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/rng"
)

// isolate: a node — a client, or one time in five the server — is cut
// off every other, then rejoins.
func isolate(p *plan, r *rng.Stream, at, end time.Duration) {
	name := p.client(r).Node().Name
	if r.Chance(0.2) {
		name = sim.ServerName
	}
	p.at(at, name, "fault.isolate", "", func() { p.w.Net.Isolate(name) })
	p.at(end, name, "fault.isolate.heal", "", func() { p.w.Net.Rejoin(name) })
}
