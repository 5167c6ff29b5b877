package faults

import (
	"time"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/rng"
)

// recovery: the server's recovery mode is turned off (resets cannot
// recover unsynced changes), then on again.
func recovery(p *plan, _ *rng.Stream, at, end time.Duration) {
	realm := p.t.Realm
	p.at(at, sim.ServerName, "fault.recovery.off", realm.Path(), p.op(func() error { return realm.SetRecoveryMode(false) }))
	p.at(end, sim.ServerName, "fault.recovery.on", realm.Path(), p.op(func() error { return realm.SetRecoveryMode(true) }))
}
