package faults

import (
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/sim/rng"
)

// duplicates: a burst of duplicated messages at a rate drawn from
// DuplicateRates; then the world's own rate again.
func duplicates(p *plan, r *rng.Stream, at, end time.Duration) {
	lo, hi := p.o.DuplicateRates[0], p.o.DuplicateRates[1]
	rate := lo + (hi-lo)*r.Float64()
	net := p.w.Net
	p.at(at, "", "fault.duplicates", "", func() { net.SetDuplicateRate(rate) }, slog.Float64("rate", rate))
	p.at(end, "", "fault.duplicates.end", "", func() { net.SetDuplicateRate(p.w.Config.Network.DuplicateRate) })
}
