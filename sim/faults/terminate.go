package faults

import (
	"time"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/rng"
)

// terminate: the realm's sync is terminated, and enabled again 30 s later
// (or at end, if sooner).
func terminate(p *plan, _ *rng.Stream, at, end time.Duration) {
	realm := p.t.Realm
	p.at(at, sim.ServerName, "fault.terminate", realm.Path(), p.op(realm.Terminate))
	p.at(min(at+30*time.Second, end), sim.ServerName, "fault.enable", realm.Path(), p.op(realm.Enable))
}
