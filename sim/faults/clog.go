package faults

import (
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/sim/rng"
)

// clog: a client's messages are held back until end, then flow again.
func clog(p *plan, r *rng.Stream, at, end time.Duration) {
	name := p.client(r).Node().Name
	lasts := end - at
	p.at(at, name, "fault.clog", "", func() { p.w.Net.Clog(name, lasts) }, slog.Duration("for", lasts))
}
