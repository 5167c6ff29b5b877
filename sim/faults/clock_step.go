package faults

import (
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/sim/rng"
)

// clockStep: a client's clock steps by up to MaxClockStep, either way.
func clockStep(p *plan, r *rng.Stream, at, _ time.Duration) {
	n := p.client(r).Node()
	step := r.Between(-p.o.MaxClockStep, p.o.MaxClockStep)
	p.at(at, n.Name, "fault.clock.step", "", func() { n.Local.Step(step) }, slog.Duration("by", step))
}
