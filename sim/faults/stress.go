package faults

import (
	"time"

	"github.com/syncsim/syncsim/sim/rng"
)

// stress: the network duplicates and reorders messages (up to 20% each)
// until end. Targets.OnStress hears it begin.
func stress(p *plan, r *rng.Stream, at, end time.Duration) {
	dup, reorder := 0.2*r.Float64(), 0.2*r.Float64()
	net := p.w.Net
	p.at(at, "", "fault.stress", "", func() {
		if p.t.OnStress != nil {
			p.t.OnStress()
		}
		net.SetDuplicateRate(dup)
		net.SetReorderRate(reorder)
	})
	p.at(end, "", "fault.stress.end", "", func() {
		net.SetDuplicateRate(0)
		net.SetReorderRate(0)
	})
}
