package faults

import (
	"time"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/rng"
)

// compaction: the realm's history is compacted (files offline past the
// server's maximum offline time expire).
func compaction(p *plan, _ *rng.Stream, at, _ time.Duration) {
	realm := p.t.Realm
	p.at(at, sim.ServerName, "fault.compact", realm.Path(), p.op(realm.Compact))
}
