package workload

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/clock"
)

// PingEcho is the toy workload that exercises the kernel before the engine
// runs on it: the server echoes every message; each client dials the server,
// sends numbered pings at random intervals, checks that echoes come back in
// order on each connection, persists its echo count with fsync, reconnects
// with backoff after a break, and may crash and restart.
//
// What it checks as it runs: in-order delivery per connection (unless the
// network's stress mode may duplicate or reorder), that fsynced state
// survives a crash, and, after the heal, that every client is connected
// and receiving echoes again: each has an echo in the last minute before
// the deadline (liveness).
type PingEcho struct {
	// PingEvery is the mean interval between pings (exponential).
	PingEvery time.Duration
}

// liveWindow is how recent every client's last echo must be at the
// deadline: longer than the largest backoff plus many ping intervals.
const liveWindow = time.Minute

// ErrPingEcho marks a failure the toy workload detected.
var ErrPingEcho = errors.New("pingecho")

// PingEchoRun is one installed PingEcho workload.
type PingEchoRun struct {
	clients  []*Pinger
	stressed *bool
}

// Install sets up the echo server and the clients on w; heal is when the
// world heals (the liveness check names it).
func (p PingEcho) Install(w *sim.World, heal time.Duration) (*PingEchoRun, error) {
	if p.PingEvery <= 0 {
		return nil, fmt.Errorf("workload: PingEcho %+v: the interval must be positive", p)
	}
	srv := w.Server
	if err := srv.Net.Listen(srv.Name, func(c env.Conn) env.Handler { return echoHandler{} }); err != nil {
		return nil, fmt.Errorf("workload: pingecho server: %w", err)
	}
	run := &PingEchoRun{clients: make([]*Pinger, len(w.Clients)), stressed: new(bool)}
	for i, n := range w.Clients {
		run.clients[i] = &Pinger{node: n, p: p, stressed: run.stressed}
		run.clients[i].start()
	}
	w.At(w.Config.Deadline-time.Nanosecond, "", "pingecho.check", func() {
		since := w.Clock.Now().Add(-liveWindow)
		for _, c := range run.clients {
			if c.lastEcho < since || c.echoes == 0 {
				w.Fail(fmt.Errorf("%w: %s: no echo in the last %v before the deadline (heal at %v, last echo at %v)",
					ErrPingEcho, c.node.Name, liveWindow, heal, c.lastEcho))
			}
		}
	})
	return run, nil
}

// Clients are the client processes, one per client node.
func (run *PingEchoRun) Clients() []*Pinger { return run.clients }

// Stressed tells the clients that the network's stress mode has been on:
// duplicates and replays may arrive long after it ends, so order is no
// longer checked.
func (run *PingEchoRun) Stressed() { *run.stressed = true }

// Heal restarts the crashed clients, once the faults are undone.
func (run *PingEchoRun) Heal() {
	for _, c := range run.clients {
		c.Restart()
	}
}

type echoHandler struct{}

func (echoHandler) OnOpen(env.Conn) {}
func (echoHandler) OnMessage(c env.Conn, msg []byte) {
	_ = c.Send(msg) // a closed connection just drops the echo
}
func (echoHandler) OnClose(env.Conn, error) {}

// Pinger is one client process. Each incarnation (start after a crash)
// gets a new generation; callbacks from an older one are ignored. It
// implements faults.Client.
type Pinger struct {
	node      *sim.Node
	p         PingEcho
	gen       int
	dead      bool
	conn      env.Conn
	connected bool
	nextSeq   uint64 // next ping on the current connection
	expect    uint64 // next echo expected on the current connection
	echoes    uint64 // echoes received by this incarnation and its predecessors (persisted)
	synced    uint64 // echo count known to be durable
	backoff   time.Duration
	lastEcho  clock.Time
	timer     env.Timer
	stressed  *bool // stress mode has been on: order is not checked
}

const stateFile = "echoes"

func (c *Pinger) world() *sim.World { return c.node.World() }

func (c *Pinger) start() {
	c.gen++
	c.dead = false
	c.backoff = time.Second
	c.echoes = c.load()
	c.synced = c.echoes
	c.dial()
}

// load reads the persisted echo count; a missing, short or unreadable file
// counts as zero only if nothing was ever synced.
func (c *Pinger) load() uint64 {
	f, err := c.node.Disk.Open(stateFile)
	if err != nil {
		return c.synced
	}
	defer f.Close()
	var b [8]byte
	if n, _ := f.ReadAt(b[:], 0); n == 8 {
		v := binary.LittleEndian.Uint64(b[:])
		if v < c.synced {
			c.world().Fail(fmt.Errorf("%w: %s: echo count %d read back after crash, but %d was fsynced", ErrPingEcho, c.node.Name, v, c.synced))
		}
		return v
	}
	if c.synced > 0 {
		c.world().Fail(fmt.Errorf("%w: %s: echo count lost after crash, %d was fsynced", ErrPingEcho, c.node.Name, c.synced))
	}
	return c.synced
}

func (c *Pinger) persist() {
	f, err := c.node.Disk.Open(stateFile)
	if err != nil {
		return
	}
	defer f.Close()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], c.echoes)
	if _, err := f.WriteAt(b[:], 0); err != nil {
		return
	}
	if f.Sync() == nil {
		c.synced = c.echoes
	}
}

func (c *Pinger) dial() {
	c.nextSeq, c.expect = 0, 0
	c.conn = c.node.Net.Dial(sim.ServerName, &pingConn{c: c, gen: c.gen})
}

func (c *Pinger) schedulePing() {
	gen := c.gen
	c.timer = c.node.Clock().AfterFunc(c.node.Rand.Exp(c.p.PingEvery), func() {
		if c.gen != gen || !c.connected {
			return
		}
		msg := make([]byte, 8+c.node.Rand.IntN(64))
		binary.LittleEndian.PutUint64(msg, c.nextSeq)
		c.nextSeq++
		if c.conn.Send(msg) == nil {
			c.schedulePing()
		}
	})
}

// Node is the client's node.
func (c *Pinger) Node() *sim.Node { return c.node }

// Crash crashes the client process and its disk.
func (c *Pinger) Crash() {
	if c.dead {
		return
	}
	c.dead, c.connected = true, false
	c.gen++
	if c.timer != nil {
		c.timer.Stop()
	}
	c.world().Net.Crash(c.node.Name)
	c.node.Disk.Crash()
}

// Restart starts a crashed client process again.
func (c *Pinger) Restart() {
	if c.dead {
		c.start()
	}
}

type pingConn struct {
	c   *Pinger
	gen int
}

func (h *pingConn) OnOpen(conn env.Conn) {
	c := h.c
	if c.gen != h.gen {
		conn.Close()
		return
	}
	c.connected = true
	c.backoff = time.Second
	c.schedulePing()
}

func (h *pingConn) OnMessage(conn env.Conn, msg []byte) {
	c := h.c
	if c.gen != h.gen || conn != c.conn {
		return
	}
	w := c.world()
	if len(msg) < 8 {
		w.Fail(fmt.Errorf("%w: %s: echo of %d bytes, want at least 8", ErrPingEcho, c.node.Name, len(msg)))
		return
	}
	seq := binary.LittleEndian.Uint64(msg)
	if seq != c.expect && !*c.stressed {
		w.Fail(fmt.Errorf("%w: %s: echo %d arrived when %d was next: reordered or lost inside a live connection", ErrPingEcho, c.node.Name, seq, c.expect))
	}
	c.expect = seq + 1
	c.echoes++
	c.lastEcho = w.Clock.Now()
	w.Record(c.node.Name, "pingecho.echo", slog.Uint64("seq", seq))
	if c.echoes%8 == 0 {
		c.persist()
	}
}

func (h *pingConn) OnClose(conn env.Conn, err error) {
	c := h.c
	if c.gen != h.gen || conn != c.conn {
		return
	}
	c.connected = false
	gen := c.gen
	// Exponential backoff with jitter subtracting up to a quarter.
	d := c.backoff - time.Duration(c.node.Rand.Uint64N(uint64(c.backoff/4)+1))
	c.backoff = min(2*c.backoff, 30*time.Second)
	c.timer = c.node.Clock().AfterFunc(d, func() {
		if c.gen == gen && !c.dead {
			c.dial()
		}
	})
}
