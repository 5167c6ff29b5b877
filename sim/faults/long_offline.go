package faults

import (
	"time"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/rng"
)

// longOffline: a client is offline for LongOfflineFor (or until the heal,
// if sooner; not the fault's drawn end, which is shorter than any maximum
// offline time): past the server's maximum offline time, its file expires. The
// realm is compacted a second before the client comes back, so that a
// file that should have expired by then meets a compaction that decides
// it (else the other faults' compactions rarely fall in that window).
func longOffline(p *plan, r *rng.Stream, at, _ time.Duration) {
	name := p.client(r).Node().Name
	back := min(at+p.o.LongOfflineFor, p.heal)
	p.at(at, name, "fault.offline.long", "", func() { p.w.Net.Isolate(name) })
	if realm := p.t.Realm; realm != nil && back-time.Second > at {
		p.at(back-time.Second, sim.ServerName, "fault.compact", realm.Path(), p.op(realm.Compact))
	}
	p.at(back, name, "fault.online", "", func() { p.w.Net.Rejoin(name) })
}
