package faults

import (
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/sim/rng"
)

// drops: a burst of message drops at a rate drawn from DropRates; then
// the world's own rate again.
func drops(p *plan, r *rng.Stream, at, end time.Duration) {
	lo, hi := p.o.DropRates[0], p.o.DropRates[1]
	rate := lo + (hi-lo)*r.Float64()
	net := p.w.Net
	p.at(at, "", "fault.drops", "", func() { net.SetDropRate(rate) }, slog.Float64("rate", rate))
	p.at(end, "", "fault.drops.end", "", func() { net.SetDropRate(p.w.Config.Network.DropRate) })
}
