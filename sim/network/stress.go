package network

import (
	"log/slog"
	"slices"
)

// Limits of the stress mode's replay across reconnects.
const (
	// ReplayWindow is how many recently sent messages each direction
	// remembers as candidates for replay after a break.
	ReplayWindow = 16
	// MaxGhosts is how many ghosts a (sender, receiver) pair keeps.
	MaxGhosts = 64
)

// holdBack delays a message by a reorder draw, without moving the arrival
// floor of the messages that follow, so they may overtake it.
func (n *Network) holdBack(e *end, it *item) {
	extra := n.rng.Between(1, n.opts.reorderWindow())
	it.at = it.at.Add(extra)
	n.stats.Reordered++
	n.record(e.local, "net.reorder", slog.Uint64("conn", e.c.id), slog.Uint64("msg", it.seq), slog.Duration("delay", extra))
}

// duplicate remembers a message sent by e for replay, and by chance
// queues a copy arriving one latency draw after it.
func (n *Network) duplicate(e *end, it item) {
	d := &e.c.dirs[e.side]
	if len(d.recent) == ReplayWindow {
		d.recent = append(d.recent[:0], d.recent[1:]...)
	}
	d.recent = append(d.recent, slices.Clone(it.msg))
	if !n.rng.Chance(n.opts.DuplicateRate) {
		return
	}
	n.stats.Duplicated++
	n.record(e.local, "net.duplicate", slog.Uint64("conn", e.c.id), slog.Uint64("msg", it.seq))
	d.insert(item{at: it.at.Add(n.opts.Latency.draw(n.rng)), sent: it.sent, msg: slices.Clone(it.msg), seq: it.seq, copy: true})
}

// keepGhosts turns, by chance, the recent messages of a breaking
// connection into ghosts of their node pair. It returns how many it kept.
func (n *Network) keepGhosts(c *conn) int {
	kept := 0
	for i := range c.dirs {
		e := &c.ends[i]
		l := link{e.local, e.remote}
		for _, m := range c.dirs[i].recent {
			if !n.rng.Chance(n.opts.DuplicateRate) {
				continue
			}
			g := append(n.ghosts[l], m)
			if len(g) > MaxGhosts {
				g = g[1:]
			}
			n.ghosts[l] = g
			kept++
		}
	}
	return kept
}

// replayGhosts queues the ghosts of the new connection's node pairs on it,
// in their original order.
func (n *Network) replayGhosts(c *conn) {
	if len(n.ghosts) == 0 {
		return
	}
	for i := range c.dirs {
		e := &c.ends[i]
		l := link{e.local, e.remote}
		g := n.ghosts[l]
		if len(g) == 0 {
			continue
		}
		delete(n.ghosts, l)
		d := &c.dirs[i]
		at := n.clk.Now()
		for _, m := range g {
			at = max(at, n.clk.Now().Add(n.opts.Latency.draw(n.rng)))
			d.insert(item{at: at, sent: n.clk.Now(), msg: m, copy: true})
		}
		n.stats.Replayed += uint64(len(g))
		n.record(e.local, "net.replay", slog.Uint64("conn", c.id), slog.String("to", e.remote), slog.Int("count", len(g)))
	}
}
