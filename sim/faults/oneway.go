package faults

import (
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/rng"
)

// oneWay: one direction between a client and the server is cut, then
// heals.
func oneWay(p *plan, r *rng.Stream, at, end time.Duration) {
	c := p.client(r).Node().Name
	from, to := c, sim.ServerName
	if r.Chance(0.5) {
		from, to = to, from
	}
	p.at(at, c, "fault.partition.oneway", "", func() { p.w.Net.PartitionOneWay(from, to) }, slog.String("from", from))
	p.at(end, c, "fault.partition.heal", "", func() { p.w.Net.Heal(from, to) })
}
