// Package network is the simulated network: connection-oriented,
// message-oriented links between named nodes, like the websocket transport
// of the real system, running on the virtual clock (sim/clock) and faulted
// on demand. It implements the engine's seams env.Transport and env.Conn.
//
// # Nodes and connections
//
// A node is a name; Network.Node returns its env.Transport. Addresses are
// node names: a node listens on its own name, and dialing "server" reaches
// the node called "server". A dial resolves after Options.ConnectLatency:
// it is refused (the dialer gets OnClose(ErrRefused), never OnOpen) when
// the target does not listen, when a partition separates the two nodes in
// either direction, when the listener's accept returns a nil handler, or by
// chance (Options.RefuseRate). Otherwise the listener's accept gets the
// open incoming connection and, in the same instant, the dialer gets
// OnOpen. Sending before OnOpen fails with ErrNotOpen. A node may dial
// itself (loopback), which no partition affects.
//
// # Delivery
//
// Each direction of a connection is a queue. A message of n bytes first
// waits for the messages sent before it to be transmitted (n/Bandwidth
// seconds each, when Bandwidth > 0), then travels for a Latency draw. Its
// arrival is never earlier than the arrival of the message sent before it,
// and arrivals at the same instant are delivered in send order, so in the
// default mode a direction delivers exactly what was sent, in order, with
// no duplicates, or a prefix of it when the connection breaks.
//
// Close is like a FIN: the closing side gets no callback and no more
// messages; the peer gets the messages already sent, then OnClose(ErrClosed)
// one latency later. What the peer sends meanwhile is lost; once the close
// has arrived its Send returns env.ErrClosed.
//
// # Breaks
//
// A connection breaks when a delivery draws Options.DropRate, when a
// partition or isolation separates its nodes (a real TCP connection cannot
// survive a partition: its retransmissions time out), on Disconnect, and on
// Crash of either node. At the break every message in flight on it, in both
// directions, is lost and Send returns env.ErrClosed; each end learns of it
// through OnClose(ErrBroken) after its own Options.DetectDelay draw, unless
// it called Close first.
//
// # Faults at run time
//
// Partition (symmetric), PartitionOneWay, Isolate and Rejoin, Heal and
// HealAll; Clog and ClogLink hold every message from or to a node (or on
// one directed link) for a while and release them in order when the clog
// ends; Disconnect breaks all of a node's connections; Crash models a
// process crash: the node stops listening, its connections break, its
// pending dials are dropped and its own side gets no callback at all.
// SetOptions and the rate setters change the options for what follows.
//
// # Stress mode
//
// DuplicateRate and ReorderRate (both zero by default) go beyond real
// sockets to stress the engine's idempotence:
//   - a sent message is, with probability ReorderRate, held back by an
//     extra delay uniform in (0, ReorderWindow], so later messages may
//     overtake it;
//   - a sent message is, with probability DuplicateRate, delivered twice
//     on its connection: the copy arrives one Latency draw after the
//     original;
//   - while DuplicateRate > 0 each direction remembers copies of its last
//     ReplayWindow messages; when the connection breaks, each of them is,
//     with probability DuplicateRate, kept as a ghost of its (sender node,
//     receiver node) pair (at most MaxGhosts per pair, the oldest dropped
//     first). When a connection between the same two nodes next opens,
//     whichever side dials, the ghosts are delivered on it, in their
//     original order, to the receiver node's end, each one a Latency draw
//     after the open, interleaved by arrival time with the new traffic.
//     A ghost is replayed at most once.
//
// # Trace
//
// Every connection event and every fault applied is recorded through the
// Recorder (kinds "net.*", attributes in a fixed order): the determinism
// witness. Message sends and deliveries are recorded only with
// Options.TraceMessages. Randomness comes only from the Stream given to
// New, and is drawn only for the faults and distributions switched on.
package network

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/sim/clock"
	"github.com/syncsim/syncsim/sim/rng"
)

// Recorder receives the network's trace events; *trace.Recorder is one.
type Recorder interface {
	Record(t int64, node, kind string, attrs ...slog.Attr)
}

// ErrNotOpen is returned by Send on a dialled connection before its OnOpen.
var ErrNotOpen = errors.New("network: connection not open yet")

// Stats counts what the network did since New.
type Stats struct {
	Dials   uint64 // Dial calls
	Opened  uint64 // connections established
	Refused uint64 // dials refused
	Closed  uint64 // Close calls on a dialing or open connection
	Broken  uint64 // connections broken (drop, partition, disconnect, crash)

	Sent           uint64 // messages accepted by Send
	Delivered      uint64 // messages delivered by OnMessage (copies included)
	Lost           uint64 // messages sent but never delivered
	BytesSent      uint64
	BytesDelivered uint64

	Duplicated uint64 // stress mode: copies made on the same connection
	Reordered  uint64 // stress mode: messages held back
	Replayed   uint64 // stress mode: ghosts replayed on a newer connection
}

// Network is a set of nodes and the connections between them.
// It is not safe for concurrent use; the simulation is single-threaded.
type Network struct {
	clk   *clock.Clock
	rng   *rng.Stream
	rec   Recorder
	opts  Options
	stats Stats

	nodes  map[string]*node
	live   map[uint64]*conn // dialing and open connections, by id
	nextID uint64

	cut      map[link]bool // one-way partitions
	isolated map[string]bool
	clogNode map[string]clock.Time // node -> end of its clog
	clogLink map[link]clock.Time
	ghosts   map[link][][]byte

	tap Tap
}

// Tap watches the messages crossing the network, as a packet capture
// would: what each node sent and what each node received. It must not
// change the messages.
type Tap interface {
	// Sent is called when from sends msg on connection conn to to.
	Sent(conn uint64, from, to string, msg []byte)
	// Delivered is called when msg, sent at time sent, reaches to, just
	// before to's handler gets it. copied says the stress mode made this
	// delivery (a duplicate, or a message of an old connection replayed).
	Delivered(conn uint64, from, to string, msg []byte, sent clock.Time, copied bool)
	// Closed is called when node's end of connection conn ends: node
	// closed it, or learnt (OnClose) that the peer closed it or that it
	// broke. From then on node has no session on it.
	Closed(conn uint64, node string)
}

// SetTap installs t (nil removes it).
func (n *Network) SetTap(t Tap) { n.tap = t }

// link is a directed pair of nodes.
type link struct{ from, to string }

// New returns a network on clock c drawing randomness from r, recording
// to rec (nil: no recording), with the given options.
func New(c *clock.Clock, r *rng.Stream, rec Recorder, opts Options) (*Network, error) {
	if c == nil || r == nil {
		return nil, fmt.Errorf("network: New needs a clock and a random stream (got clock %v, stream %v)", c != nil, r != nil)
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return &Network{
		clk: c, rng: r, rec: rec, opts: opts,
		nodes:    map[string]*node{},
		live:     map[uint64]*conn{},
		cut:      map[link]bool{},
		isolated: map[string]bool{},
		clogNode: map[string]clock.Time{},
		clogLink: map[link]clock.Time{},
		ghosts:   map[link][][]byte{},
	}, nil
}

// Options returns the current options.
func (n *Network) Options() Options { return n.opts }

// Stats returns the counters so far.
func (n *Network) Stats() Stats { return n.stats }

// record appends a trace event at the current time when there is a recorder.
func (n *Network) record(node, kind string, attrs ...slog.Attr) {
	if n.rec != nil {
		n.rec.Record(int64(n.clk.Now()), node, kind, attrs...)
	}
}

// node is one named host; it is the env.Transport handed to that node.
type node struct {
	net    *Network
	name   string
	accept func(env.Conn) env.Handler // nil when not listening
	conns  map[uint64]*conn
}

// Node returns the transport of the node called name, creating the node on
// first use. Node names should be non-empty: the trace uses "" for the
// network as a whole.
func (n *Network) Node(name string) env.Transport { return n.node(name) }

func (n *Network) node(name string) *node {
	nd := n.nodes[name]
	if nd == nil {
		nd = &node{net: n, name: name, conns: map[uint64]*conn{}}
		n.nodes[name] = nd
	}
	return nd
}

// Listen makes the node accept connections. addr must be the node's own
// name, and a node has at most one listener.
func (nd *node) Listen(addr string, accept func(c env.Conn) env.Handler) error {
	switch {
	case addr != nd.name:
		return fmt.Errorf("network: node %q cannot listen on %q: a node listens on its own name", nd.name, addr)
	case accept == nil:
		return fmt.Errorf("network: node %q: Listen with a nil accept function", nd.name)
	case nd.accept != nil:
		return fmt.Errorf("network: node %q is already listening", nd.name)
	}
	nd.accept = accept
	nd.net.record(nd.name, "net.listen")
	return nil
}

// Dial starts a connection to the node called addr; see the package
// documentation for the outcomes. A nil handler discards every event.
func (nd *node) Dial(addr string, h env.Handler) env.Conn {
	n := nd.net
	if h == nil {
		h = discard{}
	}
	n.nextID++
	c := newConn(n, n.nextID, nd, addr, h)
	n.live[c.id] = c
	nd.conns[c.id] = c
	n.stats.Dials++
	n.record(nd.name, "net.dial", slog.Uint64("conn", c.id), slog.String("to", addr))
	n.clk.Post(n.opts.ConnectLatency.draw(n.rng), func() { n.resolve(c) })
	return &c.ends[0]
}

// resolve decides a dial's outcome at the end of its connect latency.
func (n *Network) resolve(c *conn) {
	if c.state != dialing {
		return // the dialer closed it, or crashed
	}
	from, to := c.ends[0].local, c.ends[0].remote
	target := n.nodes[to]
	switch {
	case target == nil || target.accept == nil:
		n.refuse(c, "no-listener")
		return
	case n.blocked(from, to) || n.blocked(to, from):
		n.refuse(c, "partition")
		return
	case n.opts.RefuseRate > 0 && n.rng.Chance(n.opts.RefuseRate):
		n.refuse(c, "fault")
		return
	}
	c.state = open
	a := &c.ends[1]
	a.node = target
	target.conns[c.id] = c
	h := target.accept(a)
	if h == nil {
		a.silent = true
		n.refuse(c, "rejected")
		return
	}
	a.h = h
	if c.state != open {
		return // broken inside accept; both ends have been told
	}
	n.stats.Opened++
	n.record(from, "net.open", slog.Uint64("conn", c.id), slog.String("to", to))
	n.replayGhosts(c)
	d := &c.ends[0]
	d.h.OnOpen(d)
}

// refuse ends a dial with OnClose(ErrRefused) for the dialer.
func (n *Network) refuse(c *conn, reason string) {
	e := &c.ends[0]
	n.stats.Refused++
	n.record(e.local, "net.refuse", slog.Uint64("conn", c.id), slog.String("to", e.remote), slog.String("reason", reason))
	if c.state != done {
		n.stats.Lost += n.retire(c)
	}
	c.ends[1].closed = true // a rejecting accept may still hold it
	if e.closed {
		return
	}
	e.closed = true
	e.h.OnClose(e, env.ErrRefused)
}

// blocked reports whether messages from one node cannot reach the other.
// Loopback is never blocked.
func (n *Network) blocked(from, to string) bool {
	if from == to {
		return false
	}
	if len(n.isolated) > 0 && (n.isolated[from] || n.isolated[to]) {
		return true
	}
	return len(n.cut) > 0 && n.cut[link{from, to}]
}

// connsOf returns the node's dialing and open connections, sorted by id.
func (n *Network) connsOf(name string) []*conn {
	nd := n.nodes[name]
	if nd == nil {
		return nil
	}
	return sortedConns(nd.conns)
}

func sortedConns(m map[uint64]*conn) []*conn {
	ids := make([]uint64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	cs := make([]*conn, len(ids))
	for i, id := range ids {
		cs[i] = m[id]
	}
	return cs
}

// discard is the handler of a Dial given none.
type discard struct{}

func (discard) OnOpen(env.Conn)            {}
func (discard) OnMessage(env.Conn, []byte) {}
func (discard) OnClose(env.Conn, error)    {}
