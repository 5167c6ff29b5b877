package scenarios

import (
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/sim"
)

// scheduleFaults draws the toy workload's fault timeline up to heal from
// the world's fault stream. Every fault ends on its own (partitions heal,
// bursts stop, crashed clients restart), and the heal at the end undoes
// whatever is still in force. Once stress mode has been on, *stressed is
// set: duplicates and replays may arrive long after it ends.
func (p PingEcho) scheduleFaults(w *sim.World, clients []*pinger, heal time.Duration, stressed *bool) {
	r := w.Faults()
	net := w.Net
	client := func() *pinger { return clients[r.IntN(len(clients))] }
	for at := r.Exp(p.FaultEvery); at < heal; at += r.Exp(p.FaultEvery) {
		lasts := r.Between(time.Second, 3*p.FaultEvery)
		end := min(at+lasts, heal)
		switch kind := r.IntN(10); kind {
		case 0:
			c := client().node.Name
			w.At(at, c, "fault.partition", func() { net.Partition(c, sim.ServerName) })
			w.At(end, c, "fault.partition.heal", func() { net.Heal(c, sim.ServerName) })
		case 1:
			c := client().node.Name
			from, to := c, sim.ServerName
			if r.Chance(0.5) {
				from, to = to, from
			}
			w.At(at, c, "fault.partition.oneway", func() { net.PartitionOneWay(from, to) }, slog.String("from", from))
			w.At(end, c, "fault.partition.heal", func() { net.Heal(from, to) })
		case 2:
			name := client().node.Name
			if r.Chance(0.2) {
				name = sim.ServerName
			}
			w.At(at, name, "fault.isolate", func() { net.Isolate(name) })
			w.At(end, name, "fault.isolate.heal", func() { net.Rejoin(name) })
		case 3:
			name := client().node.Name
			w.At(at, name, "fault.clog", func() { net.Clog(name, lasts) }, slog.Duration("for", lasts))
		case 4:
			rate := 0.01 + 0.2*r.Float64()
			w.At(at, "", "fault.drops", func() { net.SetDropRate(rate) }, slog.Float64("rate", rate))
			w.At(end, "", "fault.drops.end", func() { net.SetDropRate(w.Config.Network.DropRate) })
		case 5:
			rate := r.Float64()
			w.At(at, "", "fault.refuse", func() { net.SetRefuseRate(rate) }, slog.Float64("rate", rate))
			w.At(end, "", "fault.refuse.end", func() { net.SetRefuseRate(w.Config.Network.RefuseRate) })
		case 6:
			dup, reorder := 0.2*r.Float64(), 0.2*r.Float64()
			w.At(at, "", "fault.stress", func() {
				*stressed = true
				net.SetDuplicateRate(dup)
				net.SetReorderRate(reorder)
			})
			w.At(end, "", "fault.stress.end", func() {
				net.SetDuplicateRate(0)
				net.SetReorderRate(0)
			})
		case 7:
			c := client()
			w.At(at, c.node.Name, "fault.crash", c.crash)
			w.At(end, c.node.Name, "fault.restart", c.restart)
		case 8:
			c := client()
			step := r.Between(-time.Minute, time.Minute)
			w.At(at, c.node.Name, "fault.clock.step", func() { c.node.Local.Step(step) }, slog.Duration("by", step))
		case 9:
			c := client()
			ppm := r.Int64Range(-500, 500)
			w.At(at, c.node.Name, "fault.clock.drift", func() { c.node.Local.SetDrift(ppm) }, slog.Int64("ppm", ppm))
		}
	}
}
