package faults

import (
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/sim/rng"
)

// refuse: a burst of refused dials, at a rate up to 1; then the world's
// own rate again.
func refuse(p *plan, r *rng.Stream, at, end time.Duration) {
	rate := r.Float64()
	net := p.w.Net
	p.at(at, "", "fault.refuse", "", func() { net.SetRefuseRate(rate) }, slog.Float64("rate", rate))
	p.at(end, "", "fault.refuse.end", "", func() { net.SetRefuseRate(p.w.Config.Network.RefuseRate) })
}
