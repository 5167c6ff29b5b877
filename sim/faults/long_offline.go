package faults

import (
	"time"

	"github.com/syncsim/syncsim/sim/rng"
)

// longOffline: a client is offline for LongOfflineFor (or until end, if
// sooner): past the server's maximum offline time, its file expires.
func longOffline(p *plan, r *rng.Stream, at, end time.Duration) {
	name := p.client(r).Node().Name
	p.at(at, name, "fault.offline.long", "", func() { p.w.Net.Isolate(name) })
	p.at(min(at+p.o.LongOfflineFor, end), name, "fault.online", "", func() { p.w.Net.Rejoin(name) })
}
