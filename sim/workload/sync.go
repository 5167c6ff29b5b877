package workload

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/engine/client"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/clock"
	"github.com/syncsim/syncsim/sim/observe"
)

// Sync is the engine workload: a sync server and clients that each log in,
// open one shared realm and write to it at random; now and then a client
// reads a field. At the heal (Heal) writes end; every client then waits
// for its uploads, then for its downloads, and every replica must end with
// the server's state (convergence) before the deadline. Everything the
// clients observed and did is recorded through an observe.Recorder into
// the history the run returns, for the oracles to judge after the run.
type Sync struct {
	// Path is the shared realm's path.
	Path string
	// WriteEvery is each client's mean interval between transactions.
	WriteEvery time.Duration
	// MaxWrites bounds each client's transactions; 0 means no bound.
	MaxWrites int
	// Lifecycle runs the server with a client maximum offline time
	// (LifecycleTTL) and roles, for the server's lifecycle faults, and
	// gives each client a reset mode drawn from its stream.
	Lifecycle bool
	// Scripted clients make no random writes of their own: a script
	// (sim/script, sim/simtest) writes through Client.Apply and
	// Client.WriteRandom; WriteEvery may then be 0.
	Scripted bool
	// Modes, with Lifecycle, gives client i < len(Modes) the reset mode
	// Modes[i] instead of one drawn from its stream.
	Modes []client.ClientResetMode
	// TTL, with Lifecycle, is the server's client maximum offline time
	// (0: LifecycleTTL).
	TTL time.Duration
}

// ErrConvergence marks a world whose replicas did not converge.
var ErrConvergence = errors.New("convergence")

// ErrSync marks an engine failure the workload saw (a session error, a
// write that failed without a disk fault).
var ErrSync = errors.New("sync")

// SyncRun is one installed Sync workload.
type SyncRun struct {
	cfg     Sync
	w       *sim.World
	rec     *observe.Recorder
	server  *Server
	clients []*Client
	healed  bool
	healAt  clock.Time
	// ConvergedAt is when the last replica reached the server's state.
	convergedAt clock.Time
}

// Install sets the workload up on w, recording through rec: the server and
// the clients start, and the clients write until the heal. At the
// deadline, every replica must have converged.
func (s Sync) Install(w *sim.World, rec *observe.Recorder) (*SyncRun, error) {
	if (s.WriteEvery <= 0 && !s.Scripted) || s.Path == "" {
		return nil, fmt.Errorf("workload: Sync %+v: needs a path and a positive interval", s)
	}
	run := &SyncRun{cfg: s, w: w, rec: rec}
	ttl := LifecycleTTL
	if s.TTL > 0 {
		ttl = s.TTL
	}
	run.server = &Server{run: run, life: rec.Lifecycle(s.Path, ttl), down: true}
	if err := run.server.start(); err != nil {
		return nil, err
	}
	for i, n := range w.Clients {
		c := &Client{run: run, node: n, user: fmt.Sprintf("u%d", i), reads: n.Rand.Fork("reads")}
		if s.Lifecycle {
			c.mode = resetModes[n.Rand.Fork("reset-mode").IntN(len(resetModes))]
			if i < len(s.Modes) {
				c.mode = s.Modes[i]
			}
		}
		c.log = rec.Client(observe.ClientOptions{Name: n.Name, Realm: s.Path, Mode: c.mode,
			Open: func() *client.Realm { return c.realm }, Storage: n.Storage(), Clock: n.Clock()})
		run.clients = append(run.clients, c)
		c.start()
		if !s.Scripted {
			c.scheduleWrite()
		}
	}
	// Writes committed before their replica had an ident take the one it
	// has at the end.
	w.AtEnd(func() {
		for _, c := range run.clients {
			c.log.NameWrites()
		}
	})
	w.At(w.Config.Deadline-time.Nanosecond, "", "sync.check", func() {
		if run.convergedAt == 0 {
			run.w.Fail(fmt.Errorf("%w: not every replica reached the server's state by the deadline:%s", ErrConvergence, run.describe()))
		}
	})
	return run, nil
}

// Clients are the client processes, one per client node.
func (run *SyncRun) Clients() []*Client { return run.clients }

// Server is the server process.
func (run *SyncRun) Server() *Server { return run.server }

func (run *SyncRun) describe() string {
	s := ""
	for _, c := range run.clients {
		st := "dead"
		if c.realm != nil {
			ss := c.realm.Session()
			st = fmt.Sprintf("session %v, connection %v, err %v", ss.State(), ss.ConnectionState(), ss.Err())
		}
		s += fmt.Sprintf("\n  %s: %s", c.node.Name, st)
	}
	return s
}

// Heal is the workload's end, once the faults are undone (faults.Heal):
// writes stop, the server and crashed processes restart, paused sessions
// resume; then every client waits for its uploads, and once all have, for
// its downloads; then the replicas are compared with the server.
func (run *SyncRun) Heal() {
	w := run.w
	run.healed = true
	run.healAt = w.Clock.Now()
	run.server.Restart()
	run.server.endLifecycle()
	for _, c := range run.clients {
		c.Restart()
		c.Pause(false)
	}
	// Opening is asynchronous; give every client a moment to open.
	w.Clock.AfterFunc(time.Second, func() {
		run.waitAll("upload", (*Client).waitUpload, func() {
			run.waitAll("download", (*Client).waitDownload, run.compare)
		})
	})
}

// waitAll starts the wait on every client's session and calls then once
// all have completed.
func (run *SyncRun) waitAll(what string, wait func(*Client, func(error)), then func()) {
	left := len(run.clients)
	for _, c := range run.clients {
		var try func()
		try = func() {
			if c.realm == nil { // reopening after a manual reset
				c.node.Clock().AfterFunc(5*time.Second, try)
				return
			}
			wait(c, func(err error) {
				if err != nil {
					if run.cfg.Lifecycle {
						// A reset under way may cancel the wait; wait again.
						run.w.Record(c.node.Name, "sync.wait.again", slog.String("error", err.Error()))
						c.node.Clock().AfterFunc(5*time.Second, try)
						return
					}
					run.w.Fail(fmt.Errorf("%w: %s: %s wait: %w", ErrConvergence, c.node.Name, what, err))
					return
				}
				if left--; left == 0 {
					run.w.Record("", "sync."+what+".complete")
					then()
				}
			})
		}
		try()
	}
}

// compare checks that every replica holds the server's state.
func (run *SyncRun) compare() {
	want, ok := run.server.srv.State(run.cfg.Path)
	if !ok {
		run.w.Fail(fmt.Errorf("%w: the server has no realm %q", ErrConvergence, run.cfg.Path))
		return
	}
	wh := want.Hash()
	var replicas []observe.ReplicaState
	for _, c := range run.clients {
		got := c.realm.State()
		if got.Hash() != wh {
			run.w.Fail(fmt.Errorf("%w: %s differs from the server\n%s\nserver:\n%s", ErrConvergence, c.node.Name, got, want))
			return
		}
		replicas = append(replicas, observe.ReplicaState{Client: c.node.Name, State: got})
	}
	run.rec.Converged(run.cfg.Path, run.healAt, clock.Time(run.w.Config.Deadline), want, replicas)
	run.convergedAt = run.w.Clock.Now()
	run.w.Record("", "sync.converged", slog.String("hash", fmt.Sprintf("%x", wh[:8])),
		slog.Int("objects", want.Size()))
}
