package faults

import (
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/rng"
)

// backup: a backup of the realm now, a restore of the latest backup at
// end.
func backup(p *plan, _ *rng.Stream, at, end time.Duration) {
	realm := p.t.Realm
	p.at(at, sim.ServerName, "fault.backup", realm.Path(), p.op(realm.Backup))
	p.at(end, sim.ServerName, "fault.restore", realm.Path(), p.op(realm.RestoreLatest))
}

// op runs a lifecycle operation; one the server refuses is traced.
func (p *plan) op(fn func() error) func() {
	return func() {
		if err := fn(); err != nil {
			p.w.Record(sim.ServerName, "fault.refused", slog.String("error", err.Error()))
		}
	}
}
