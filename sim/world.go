// Package sim is the deterministic world: one server and N clients on one
// virtual clock, one simulated network and a simulated disk each, all driven
// by one seed. A World hands each node the engine's seams (clock, transport,
// storage), runs a single-threaded event loop to a simulated deadline or an
// event budget, and records a trace whose hash witnesses the run.
//
// Everything a World does is a function of its Config: the same Config gives
// the same trace hash on any machine and under any GOMAXPROCS. Parallelism
// belongs above it: many Worlds, one per goroutine.
package sim

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/history"
	"github.com/syncsim/syncsim/sim/clock"
	"github.com/syncsim/syncsim/sim/disk"
	"github.com/syncsim/syncsim/sim/network"
	"github.com/syncsim/syncsim/sim/rng"
	"github.com/syncsim/syncsim/sim/trace"
)

// ServerName is the server node's name (and network address).
const ServerName = "server"

// ClientName is the name of client i.
func ClientName(i int) string { return fmt.Sprintf("client/%d", i) }

// World is one simulated run. It is not safe for concurrent use.
type World struct {
	Config  Config
	Clock   *clock.Clock
	Rand    *rng.Stream // the root stream; fork named streams from it
	Trace   *trace.Recorder
	Net     *network.Network
	Server  *Node
	Clients []*Node

	faults   *rng.Stream
	failures []error
	// history is what the world's recorder writes (nil: none); atEnd runs
	// when the run ends, before the trace closes.
	history *history.History
	atEnd   []func()
	// inspect prints the installed workload's state (nil: the scenario
	// has no inspector); see SetInspector.
	inspect func(io.Writer)
}

// Node is one process of the world: its local clock, disk and network
// endpoint, and its own random stream.
type Node struct {
	Name  string
	Local *clock.Local
	Disk  *disk.Disk
	Net   env.Transport
	Rand  *rng.Stream
	w     *World
}

// New builds a world from cfg. If out is not nil, the trace is written to it
// (header, events, footer on Close).
func New(cfg Config, out io.Writer) (*World, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	root := rng.New(cfg.Seed)
	hdr := trace.Header{Seed: cfg.Seed, Scenario: cfg.Scenario, Build: cfg.Build}
	if b, err := cfg.MarshalJSON(); err == nil {
		hdr.Config = b
	}
	rec, err := trace.NewRecorder(out, hdr)
	if err != nil {
		return nil, err
	}
	w := &World{Config: cfg, Clock: clock.New(), Rand: root, Trace: rec, faults: root.Fork("faults")}
	if cfg.Log != nil {
		rec.Mirror(cfg.Log)
	}
	w.Net, err = network.New(w.Clock, root.Fork("network"), rec, cfg.Network)
	if err != nil {
		return nil, fmt.Errorf("sim: Config.Network: %w", err)
	}
	skew := root.Fork("skew")
	w.Server, err = w.newNode(ServerName, 0)
	if err != nil {
		return nil, err
	}
	for i := 0; i < cfg.Clients; i++ {
		off := time.Duration(0)
		if cfg.MaxClockSkew > 0 {
			off = skew.Between(-cfg.MaxClockSkew, cfg.MaxClockSkew)
		}
		n, err := w.newNode(ClientName(i), off)
		if err != nil {
			return nil, err
		}
		w.Clients = append(w.Clients, n)
	}
	w.Record("", "world.start", slog.Uint64("seed", cfg.Seed), slog.Int("clients", cfg.Clients))
	return w, nil
}

func (w *World) newNode(name string, offset time.Duration) (*Node, error) {
	n := &Node{Name: name, Local: w.Clock.NewLocal(offset), Net: w.Net.Node(name), Rand: w.Rand.Fork(name), w: w}
	now := func() int64 { return int64(w.Clock.Now()) }
	d, err := disk.New(w.Rand.Fork("disk/"+name), name, now, w.Trace, w.Config.Disk)
	if err != nil {
		return nil, fmt.Errorf("sim: Config.Disk: %w", err)
	}
	n.Disk = d
	if offset != 0 {
		w.Record(name, "clock.offset", slog.Duration("offset", offset))
	}
	return n, nil
}

// Record adds an event to the trace at the current virtual time.
func (w *World) Record(node, kind string, attrs ...slog.Attr) {
	w.Trace.Record(int64(w.Clock.Now()), node, kind, attrs...)
}

// Nodes is the server followed by the clients.
func (w *World) Nodes() []*Node { return append([]*Node{w.Server}, w.Clients...) }

// Faults is the stream fault schedules draw from.
func (w *World) Faults() *rng.Stream { return w.faults }

// At schedules a fault or other harness action at virtual time at; when it
// fires it is recorded as kind with attrs, then fn runs.
func (w *World) At(at time.Duration, node, kind string, fn func(), attrs ...slog.Attr) {
	w.Clock.At(clock.Time(at), func() {
		w.Record(node, kind, attrs...)
		fn()
	})
}

// Fail records a failure found while the world runs (an invariant a
// workload checks as it goes: an engine error, a reset that broke its
// mode's promise, replicas that never converged). The run continues; Run
// reports it. The oracles' verdicts are not failures of the world: they
// come after the run, from its history.
func (w *World) Fail(err error) {
	w.Record("", "world.fail", slog.String("error", err.Error()))
	w.failures = append(w.failures, err)
}

// SetHistory makes h the history the run returns: the scenario's recorder
// (sim/observe) writes into it as the world runs. The world never judges
// it: the oracles run after the world, on Result.History.
func (w *World) SetHistory(h *history.History) { w.history = h }

// AtEnd registers fn to run when the run ends (at its deadline or when
// its budget ran out), before the trace is closed: a recorder completes
// its history there.
func (w *World) AtEnd(fn func()) { w.atEnd = append(w.atEnd, fn) }

// SetInspector registers fn as the world's state inspector: the
// scenario's workload sets it at Install, and a tool that stops the world
// part way (simrun replay --until) calls Inspect to print every replica's
// and the server's state. fn must only read the state, and print it
// sorted, so that the same world gives the same text.
func (w *World) SetInspector(fn func(io.Writer)) { w.inspect = fn }

// Inspect prints the installed workload's state to out through the
// inspector its scenario set; it reports false, printing nothing, if the
// scenario set none.
func (w *World) Inspect(out io.Writer) bool {
	if w.inspect == nil {
		return false
	}
	w.inspect(out)
	return true
}

// ErrLiveness wraps a run that hit its event budget before its deadline.
var ErrLiveness = errors.New("liveness")

// Result is the outcome of a run.
type Result struct {
	Seed    uint64
	Hash    string        // the trace hash
	Events  uint64        // trace events recorded
	Steps   uint64        // clock events run
	SimTime time.Duration // virtual time reached
	Err     error         // the first failure, or a liveness error, or nil
	// History is what the run recorded (nil if its scenario records none),
	// for the oracles to judge after the run.
	History *history.History
}

// Run runs the world until the deadline or the event budget, whichever
// comes first, then closes the trace.
func (w *World) Run() Result {
	err := w.Clock.Run(clock.Time(w.Config.Deadline), w.Config.EventBudget)
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrLiveness, err)
		w.Fail(err)
	} else {
		w.Clock.RunUntil(clock.Time(w.Config.Deadline))
	}
	for _, fn := range w.atEnd {
		fn()
	}
	w.Record("", "world.end", slog.Uint64("steps", w.Clock.Fired()))
	res := Result{Seed: w.Config.Seed, Events: w.Trace.Events(), Steps: w.Clock.Fired(), SimTime: time.Duration(w.Clock.Now()),
		History: w.history}
	if len(w.failures) > 0 {
		res.Err = w.failures[0]
	}
	res.Hash = w.Trace.Hash()
	if cerr := w.Trace.Close(); cerr != nil && res.Err == nil {
		res.Err = cerr
	}
	return res
}

// Failures are every failure recorded so far.
func (w *World) Failures() []error { return w.failures }

// Clock returns the node's clock seam: Now is the node's local (possibly
// skewed) wall clock; timers run on world time.
func (n *Node) Clock() env.Clock { return nodeClock{n.Local} }

// Storage returns the node's storage seam.
func (n *Node) Storage() env.Storage { return n.Disk }

// World is the world the node lives in.
func (n *Node) World() *World { return n.w }

type nodeClock struct{ l *clock.Local }

func (c nodeClock) Now() env.Time { return env.Time(c.l.Now()) }

func (c nodeClock) AfterFunc(d time.Duration, fn func()) env.Timer {
	return c.l.World().AfterFunc(d, fn)
}
