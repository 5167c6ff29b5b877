package faults

import (
	"time"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/rng"
)

// partition: a client and the server are cut apart, then heal.
func partition(p *plan, r *rng.Stream, at, end time.Duration) {
	c := p.client(r).Node().Name
	p.at(at, c, "fault.partition", "", func() { p.w.Net.Partition(c, sim.ServerName) })
	p.at(end, c, "fault.partition.heal", "", func() { p.w.Net.Heal(c, sim.ServerName) })
}
