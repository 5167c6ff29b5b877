package network

import (
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/sim/clock"
)

// Partition cuts both directions between nodes a and b: their open
// connections break and dials between them are refused until Heal.
func (n *Network) Partition(a, b string) {
	n.record("", "net.partition", slog.String("a", a), slog.String("b", b))
	n.cut[link{a, b}] = true
	n.cut[link{b, a}] = true
	n.breakBetween(a, b)
}

// PartitionOneWay cuts the direction from -> to only. A connection needs
// both directions, so the open connections between the two nodes break and
// dials between them, either way, are refused until Heal.
func (n *Network) PartitionOneWay(from, to string) {
	n.record("", "net.partition-oneway", slog.String("from", from), slog.String("to", to))
	n.cut[link{from, to}] = true
	n.breakBetween(from, to)
}

// Heal removes the partitions between a and b, in both directions. It does
// not undo Isolate (see Rejoin).
func (n *Network) Heal(a, b string) {
	n.record("", "net.heal", slog.String("a", a), slog.String("b", b))
	delete(n.cut, link{a, b})
	delete(n.cut, link{b, a})
}

// Isolate cuts a node off from every other node, present or future: its
// connections to other nodes break and dials to or from it are refused
// until Rejoin or HealAll. Loopback connections survive.
func (n *Network) Isolate(name string) {
	n.record(name, "net.isolate")
	n.isolated[name] = true
	for _, c := range n.connsOf(name) {
		if c.state == open && c.ends[0].local != c.ends[0].remote {
			n.breakConn(c, "partition")
		}
	}
}

// Rejoin undoes Isolate.
func (n *Network) Rejoin(name string) {
	n.record(name, "net.rejoin")
	delete(n.isolated, name)
}

// HealAll removes every partition, isolation and clog; held messages are
// released at once, in order.
func (n *Network) HealAll() {
	n.record("", "net.heal-all")
	clear(n.cut)
	clear(n.isolated)
	if len(n.clogNode)+len(n.clogLink) == 0 {
		return
	}
	clear(n.clogNode)
	clear(n.clogLink)
	for _, c := range sortedConns(n.live) {
		c.rearm()
	}
}

// breakBetween breaks the open connections between two distinct nodes.
func (n *Network) breakBetween(a, b string) {
	if a == b {
		return
	}
	for _, c := range n.connsOf(a) {
		if c.state == open && (c.ends[0].local == b || c.ends[0].remote == b) {
			n.breakConn(c, "partition")
		}
	}
}

// Clog holds every message from or to the node for d from now, replacing
// any earlier clog of the node (d <= 0 ends it now; d is capped at
// MaxDelay). Held messages are released in order when the clog ends;
// connections do not break and dials are not affected.
func (n *Network) Clog(name string, d time.Duration) {
	n.record(name, "net.clog", slog.Duration("for", d))
	setClog(n.clogNode, name, n.clk.Now(), d)
	for _, c := range n.connsOf(name) {
		c.rearm()
	}
}

// ClogLink is Clog for the messages from one node to another only.
func (n *Network) ClogLink(from, to string, d time.Duration) {
	n.record("", "net.clog-link", slog.String("from", from), slog.String("to", to), slog.Duration("for", d))
	setClog(n.clogLink, link{from, to}, n.clk.Now(), d)
	for _, c := range n.connsOf(from) {
		c.rearm()
	}
}

func setClog[K comparable](m map[K]clock.Time, k K, now clock.Time, d time.Duration) {
	if d <= 0 {
		delete(m, k)
		return
	}
	m[k] = now.Add(min(d, MaxDelay))
}

// release is when the clogs holding messages from -> to end, or zero if
// none does. Expired clogs are forgotten on the way.
func (n *Network) release(from, to string) clock.Time {
	now := n.clk.Now()
	var r clock.Time
	for _, name := range [2]string{from, to} {
		if t, ok := n.clogNode[name]; ok {
			if t > now {
				r = max(r, t)
			} else {
				delete(n.clogNode, name)
			}
		}
	}
	l := link{from, to}
	if t, ok := n.clogLink[l]; ok {
		if t > now {
			r = max(r, t)
		} else {
			delete(n.clogLink, l)
		}
	}
	return r
}

// Disconnect breaks every open connection of the node at once, as if its
// cable were pulled; both ends are told. The node keeps listening.
func (n *Network) Disconnect(name string) {
	n.record(name, "net.disconnect")
	for _, c := range n.connsOf(name) {
		if c.state == open {
			n.breakConn(c, "disconnect")
		}
	}
}

// Crash models the node's process dying: it stops listening, its open
// connections break (the peers are told after their detection delay), its
// pending dials are dropped, and its own side gets no callback at all.
func (n *Network) Crash(name string) {
	n.record(name, "net.crash")
	nd := n.nodes[name]
	if nd == nil {
		return
	}
	nd.accept = nil
	for _, c := range sortedConns(nd.conns) {
		for i := range c.ends {
			if c.ends[i].node == nd {
				if !c.ends[i].silent && c.state == open && n.tap != nil {
					n.tap.Closed(c.id, name) // its sessions die with it
				}
				c.ends[i].silent = true
			}
		}
		if c.state == dialing {
			c.ends[0].closed = true
			n.retire(c)
		} else {
			n.breakConn(c, "crash")
		}
	}
}

// Unlisten stops the node accepting connections; established ones stay.
func (n *Network) Unlisten(name string) {
	n.record(name, "net.unlisten")
	if nd := n.nodes[name]; nd != nil {
		nd.accept = nil
	}
}

// SetOptions replaces the options for everything that follows (messages
// already in flight keep their arrival times). Invalid options are refused
// and the current ones kept.
func (n *Network) SetOptions(o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	n.opts = o
	n.record("", "net.options", o.attrs()...)
	return nil
}

// SetDropRate sets Options.DropRate.
func (n *Network) SetDropRate(p float64) error {
	o := n.opts
	o.DropRate = p
	return n.setRate(o, "DropRate", p)
}

// SetRefuseRate sets Options.RefuseRate.
func (n *Network) SetRefuseRate(p float64) error {
	o := n.opts
	o.RefuseRate = p
	return n.setRate(o, "RefuseRate", p)
}

// SetDuplicateRate sets Options.DuplicateRate.
func (n *Network) SetDuplicateRate(p float64) error {
	o := n.opts
	o.DuplicateRate = p
	return n.setRate(o, "DuplicateRate", p)
}

// SetReorderRate sets Options.ReorderRate.
func (n *Network) SetReorderRate(p float64) error {
	o := n.opts
	o.ReorderRate = p
	return n.setRate(o, "ReorderRate", p)
}

func (n *Network) setRate(o Options, field string, p float64) error {
	if err := o.Validate(); err != nil {
		return err
	}
	n.opts = o
	n.record("", "net.set", slog.String("field", field), slog.Float64("value", p))
	return nil
}
