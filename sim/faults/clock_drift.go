package faults

import (
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/sim/rng"
)

// clockDrift: a client's clock drifts by up to 500 ppm, either way, from
// then on.
func clockDrift(p *plan, r *rng.Stream, at, _ time.Duration) {
	n := p.client(r).Node()
	ppm := r.Int64Range(-500, 500)
	p.at(at, n.Name, "fault.clock.drift", "", func() { n.Local.SetDrift(ppm) }, slog.Int64("ppm", ppm))
}
