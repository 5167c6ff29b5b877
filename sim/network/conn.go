package network

import (
	"log/slog"
	"math/bits"
	"time"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/sim/clock"
)

// state is a connection's life stage.
type state uint8

const (
	dialing state = iota
	open
	done // refused, broken, or closed by both sides: nothing more is delivered
)

// conn is one connection: its two ends and its two directions. dirs[i]
// carries what ends[i] sends; ends[0] is the dialer.
type conn struct {
	net   *Network
	id    uint64
	state state
	ends  [2]end
	dirs  [2]dir
}

func newConn(n *Network, id uint64, from *node, to string, h env.Handler) *conn {
	c := &conn{net: n, id: id}
	c.ends[0] = end{c: c, side: 0, node: from, local: from.name, remote: to, h: h}
	c.ends[1] = end{c: c, side: 1, local: to, remote: from.name}
	for i := range c.dirs {
		d := &c.dirs[i]
		d.c, d.from = c, uint8(i)
		d.fire = d.deliver
	}
	return c
}

// end is one side of a connection: the env.Conn its node holds.
type end struct {
	c      *conn
	side   uint8
	node   *node // nil on the accepting side until the connection opens
	local  string
	remote string
	h      env.Handler
	// closed: the end neither sends nor receives any more (it closed, the
	// peer's close arrived, the dial was refused or the connection broke).
	closed bool
	// silent: the end gets no more callbacks (its owner closed it, its
	// node crashed, or its accept rejected the connection).
	silent bool
}

// LocalAddr is the name of the end's node.
func (e *end) LocalAddr() string { return e.local }

// RemoteAddr is the name of the peer's node.
func (e *end) RemoteAddr() string { return e.remote }

// Send queues msg for the peer. It returns ErrNotOpen before a dialled
// connection opens and env.ErrClosed once this end is closed or broken.
// What is sent after the peer closed, before its close arrived, is lost.
func (e *end) Send(msg []byte) error {
	if e.closed {
		return env.ErrClosed
	}
	c := e.c
	if c.state == dialing {
		return ErrNotOpen
	}
	n := c.net
	d := &c.dirs[e.side]
	d.sent++
	n.stats.Sent++
	n.stats.BytesSent += uint64(len(msg))
	if c.ends[1-e.side].closed {
		n.stats.Lost++
		return nil
	}
	it := item{at: d.schedule(len(msg)), sent: n.clk.Now(), msg: msg, seq: d.sent}
	if n.opts.ReorderRate > 0 && n.rng.Chance(n.opts.ReorderRate) {
		n.holdBack(e, &it)
	}
	if n.tap != nil {
		n.tap.Sent(c.id, e.local, e.remote, msg)
	}
	if n.opts.TraceMessages && n.rec != nil {
		n.rec.Record(int64(n.clk.Now()), e.local, "net.send", slog.Uint64("conn", c.id),
			slog.Uint64("msg", it.seq), slog.Int("size", len(msg)), slog.Int64("at", int64(it.at)))
	}
	d.insert(it)
	if n.opts.DuplicateRate > 0 {
		n.duplicate(e, it)
	}
	return nil
}

// Close closes this end; see the package documentation. Closing twice, or
// after OnClose, does nothing.
func (e *end) Close() {
	if e.silent {
		return
	}
	e.silent = true
	c := e.c
	n := c.net
	if n.tap != nil {
		n.tap.Closed(c.id, e.local)
	}
	if e.closed {
		return
	}
	e.closed = true
	n.stats.Closed++
	n.record(e.local, "net.close", slog.Uint64("conn", c.id), slog.String("peer", e.remote))
	if c.state == dialing {
		n.retire(c)
		return
	}
	n.stats.Lost += c.dirs[1-e.side].clear()
	if c.ends[1-e.side].closed { // the peer closed first: both sides are done
		n.retire(c)
		return
	}
	d := &c.dirs[e.side]
	fin := item{at: d.schedule(0), fin: true}
	if k := len(d.q); k > d.head {
		fin.at = max(fin.at, d.q[k-1].at) // after every message, held-back ones included
	}
	d.insert(fin)
}

// finish handles a close arriving at end to.
func (n *Network) finish(c *conn, to *end) {
	to.closed = true
	n.retire(c)
	n.record(to.local, "net.closed", slog.Uint64("conn", c.id), slog.String("peer", to.remote))
	if n.tap != nil {
		n.tap.Closed(c.id, to.local)
	}
	to.h.OnClose(to, env.ErrClosed)
}

// breakConn breaks an open connection: everything in flight is lost and
// each end still open learns it after its detection delay.
func (n *Network) breakConn(c *conn, cause string) {
	var ghosts int
	if n.opts.DuplicateRate > 0 {
		ghosts = n.keepGhosts(c)
	}
	lost := n.retire(c)
	n.stats.Broken++
	n.stats.Lost += lost
	n.record("", "net.break", slog.Uint64("conn", c.id), slog.String("a", c.ends[0].local),
		slog.String("b", c.ends[0].remote), slog.String("cause", cause), slog.Uint64("lost", lost))
	if ghosts > 0 {
		n.record("", "net.ghost", slog.Uint64("conn", c.id), slog.Int("kept", ghosts))
	}
	for i := range c.ends {
		e := &c.ends[i]
		if e.closed {
			continue
		}
		e.closed = true
		if e.silent {
			continue
		}
		n.clk.Post(n.opts.DetectDelay.draw(n.rng), func() {
			if !e.silent {
				if n.tap != nil {
					n.tap.Closed(c.id, e.local)
				}
				e.h.OnClose(e, env.ErrBroken)
			}
		})
	}
}

// retire ends a connection's life: its queues are emptied, its timers
// stopped and it is forgotten by the network and its nodes. It returns the
// number of messages that were in flight.
func (n *Network) retire(c *conn) uint64 {
	c.state = done
	lost := c.dirs[0].clear() + c.dirs[1].clear()
	for i := range c.dirs {
		c.dirs[i].q, c.dirs[i].recent = nil, nil
	}
	delete(n.live, c.id)
	for i := range c.ends {
		if nd := c.ends[i].node; nd != nil {
			delete(nd.conns, c.id)
		}
	}
	return lost
}

// rearm re-schedules the deliveries of an open connection, after clogs changed.
func (c *conn) rearm() {
	if c.state != open {
		return
	}
	for i := range c.dirs {
		if d := &c.dirs[i]; d.head < len(d.q) {
			d.arm()
		}
	}
}

// item is a message (or a close notice) in flight.
type item struct {
	at   clock.Time // arrival
	sent clock.Time // when it was sent (or replayed)
	msg  []byte
	seq  uint64 // 1-based send index in its direction; 0 for a replayed ghost
	fin  bool
	copy bool // a duplicate or a replayed ghost: the stress mode made it
}

// dir is one direction of a connection: the messages in flight, sorted by
// arrival (stable: equal arrivals keep their insertion order), and the one
// reusable timer that delivers the head.
type dir struct {
	c      *conn
	from   uint8 // index of the sending end
	q      []item
	head   int // q[head:] is in flight
	timer  *clock.Timer
	fire   func()     // d.deliver, bound once
	busy   clock.Time // when the last byte of the previous message has left
	lastAt clock.Time // arrival of the latest in-order message
	sent   uint64
	recent [][]byte // stress mode: copies of the last messages sent
}

// schedule returns the arrival time of the next in-order message of size
// bytes: after its transmission, one latency later, and not before the
// previous one.
func (d *dir) schedule(size int) clock.Time {
	n := d.c.net
	t := n.clk.Now()
	if bw := n.opts.Bandwidth; bw > 0 {
		t = max(t, d.busy).Add(txTime(size, bw))
		d.busy = t
	}
	t = max(t.Add(n.opts.Latency.draw(n.rng)), d.lastAt)
	d.lastAt = t
	return t
}

// txTime is how long size bytes take at bw bytes per second.
func txTime(size int, bw int64) time.Duration {
	hi, lo := bits.Mul64(uint64(size), uint64(time.Second))
	if hi >= uint64(bw) {
		return MaxDelay
	}
	q, _ := bits.Div64(hi, lo, uint64(bw))
	return time.Duration(min(q, uint64(MaxDelay)))
}

// insert adds it in arrival order, after the items arriving at the same
// time, and re-arms the timer if it became the head.
func (d *dir) insert(it item) {
	if len(d.q) == cap(d.q) && d.head > 0 && d.head >= len(d.q)/2 {
		k := copy(d.q, d.q[d.head:])
		clear(d.q[k:])
		d.q, d.head = d.q[:k], 0
	}
	i := len(d.q)
	for i > d.head && d.q[i-1].at > it.at {
		i--
	}
	d.q = append(d.q, item{})
	copy(d.q[i+1:], d.q[i:])
	d.q[i] = it
	if i == d.head {
		d.arm()
	}
}

// arm sets the timer to the head's arrival, or to the end of a clog
// holding this direction.
func (d *dir) arm() {
	n := d.c.net
	at := d.q[d.head].at
	if len(n.clogNode)+len(n.clogLink) > 0 {
		e := &d.c.ends[d.from]
		at = max(at, n.release(e.local, e.remote))
	}
	if d.timer == nil {
		d.timer = n.clk.At(at, d.fire)
	} else {
		d.timer.Reset(at.Sub(n.clk.Now()))
	}
}

// deliver is the timer's function: it hands the head to the receiving end.
func (d *dir) deliver() {
	c := d.c
	n := c.net
	it := d.q[d.head]
	if !it.fin && n.opts.DropRate > 0 && n.rng.Chance(n.opts.DropRate) {
		n.breakConn(c, "drop")
		return
	}
	d.q[d.head] = item{}
	d.head++
	if d.head == len(d.q) {
		d.q, d.head = d.q[:0], 0
	}
	to := &c.ends[1-d.from]
	if it.fin {
		n.finish(c, to)
		return
	}
	n.stats.Delivered++
	n.stats.BytesDelivered += uint64(len(it.msg))
	if n.opts.TraceMessages && n.rec != nil {
		n.rec.Record(int64(n.clk.Now()), to.local, "net.deliver", slog.Uint64("conn", c.id),
			slog.Uint64("msg", it.seq), slog.Int("size", len(it.msg)))
	}
	if d.head < len(d.q) {
		d.arm()
	}
	if n.tap != nil {
		n.tap.Delivered(c.id, to.remote, to.local, it.msg, it.sent, it.copy)
	}
	to.h.OnMessage(to, it.msg)
}

// clear drops everything in flight and stops the timer. It returns the
// number of messages dropped (close notices not counted).
func (d *dir) clear() uint64 {
	var k uint64
	for i := d.head; i < len(d.q); i++ {
		if !d.q[i].fin {
			k++
		}
	}
	clear(d.q)
	d.q, d.head = d.q[:0], 0
	if d.timer != nil {
		d.timer.Stop()
	}
	return k
}
