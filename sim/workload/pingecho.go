// Package scenarios holds the workloads and fault schedules that run in a
// World: named scenarios with a story, and the generators that draw them.
package scenarios

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
// survives a crash, and, after the heal point, that every client is
// connected and receiving echoes again: each has an echo in the last
// minute before the deadline (liveness).
type PingEcho struct {
	// PingEvery is the mean interval between pings (exponential).
	PingEvery time.Duration
	// Faults enables the random fault schedule: partitions of every kind,
	// clogs, drop and refuse bursts, stress mode, client crashes, clock steps.
	Faults bool
	// FaultEvery is the mean interval between faults.
	FaultEvery time.Duration
	// HealAt is the fraction of the deadline after which faults stop and the
	// network heals; clients must then be live again before the deadline.
	HealAt float64
}

// DefaultPingEcho has every fault on.
func DefaultPingEcho() PingEcho {
	return PingEcho{PingEvery: 2 * time.Second, Faults: true, FaultEvery: 10 * time.Second, HealAt: 0.7}
}

// liveWindow is how recent every client's last echo must be at the
// deadline: longer than the largest backoff plus many ping intervals.
const liveWindow = time.Minute

// ErrPingEcho marks a failure the toy workload detected.
var ErrPingEcho = errors.New("pingecho")

// Install sets up the server, the clients and the fault schedule on w.
func (p PingEcho) Install(w *sim.World) error {
	if p.PingEvery <= 0 || p.FaultEvery <= 0 || p.HealAt <= 0 || p.HealAt >= 1 {
		return fmt.Errorf("scenarios: PingEcho %+v: intervals must be positive and HealAt in (0,1)", p)
	}
	srv := w.Server
	if err := srv.Net.Listen(srv.Name, func(c env.Conn) env.Handler { return echoHandler{} }); err != nil {
		return fmt.Errorf("scenarios: pingecho server: %w", err)
	}
	clients := make([]*pinger, len(w.Clients))
	stressed := new(bool)
	for i, n := range w.Clients {
		clients[i] = &pinger{node: n, p: p, stressed: stressed}
		clients[i].start()
	}
	heal := time.Duration(float64(w.Config.Deadline) * p.HealAt)
	if p.Faults {
		p.scheduleFaults(w, clients, heal, stressed)
	}
	w.At(heal, "", "fault.heal", func() {
		w.Net.HealAll()
		w.Net.SetDuplicateRate(0)
		w.Net.SetReorderRate(0)
		w.Net.SetDropRate(0)
		w.Net.SetRefuseRate(0)
		for _, c := range clients {
			if c.dead {
				c.restart()
			}
		}
	})
	w.At(w.Config.Deadline-time.Nanosecond, "", "pingecho.check", func() {
		since := w.Clock.Now().Add(-liveWindow)
		for _, c := range clients {
			if c.lastEcho < since || c.echoes == 0 {
				w.Fail(fmt.Errorf("%w: %s: no echo in the last %v before the deadline (heal at %v, last echo at %v)",
					ErrPingEcho, c.node.Name, liveWindow, heal, c.lastEcho))
			}
		}
	})
	return nil
}

type echoHandler struct{}

func (echoHandler) OnOpen(env.Conn) {}
func (echoHandler) OnMessage(c env.Conn, msg []byte) {
	_ = c.Send(msg) // a closed connection just drops the echo
}
func (echoHandler) OnClose(env.Conn, error) {}

// pinger is one client process. Each incarnation (start after a crash) gets
// a new generation; callbacks from an older one are ignored.
type pinger struct {
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

func (c *pinger) world() *sim.World { return c.node.World() }

func (c *pinger) start() {
	c.gen++
	c.dead = false
	c.backoff = time.Second
	c.echoes = c.load()
	c.synced = c.echoes
	c.dial()
}

// load reads the persisted echo count; a missing, short or unreadable file
// counts as zero only if nothing was ever synced.
func (c *pinger) load() uint64 {
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

func (c *pinger) persist() {
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

func (c *pinger) dial() {
	c.nextSeq, c.expect = 0, 0
	c.conn = c.node.Net.Dial(sim.ServerName, &pingConn{c: c, gen: c.gen})
}

func (c *pinger) schedulePing() {
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

func (c *pinger) crash() {
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

func (c *pinger) restart() {
	if c.dead {
		c.start()
	}
}

type pingConn struct {
	c   *pinger
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
