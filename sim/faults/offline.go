package faults

import (
	"time"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/rng"
)

// offline: a client is cut off the network, then rejoins.
func offline(p *plan, r *rng.Stream, at, end time.Duration) {
	name := p.client(r).Node().Name
	p.at(at, name, "fault.offline", "", func() { p.w.Net.Isolate(name) })
	p.at(end, name, "fault.online", "", func() { p.w.Net.Rejoin(name) })
}

// OfflinePeriod schedules a fixed offline period of c, from from to to,
// recorded by rec (nil: none) like a drawn one.
func OfflinePeriod(w *sim.World, rec Recorder, c Client, from, to time.Duration) {
	name := c.Node().Name
	At(w, rec, from, name, "fault.offline", "", func() { w.Net.Isolate(name) })
	At(w, rec, to, name, "fault.online", "", func() { w.Net.Rejoin(name) })
}
