package scenarios

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/syncsim/syncsim/oracle"

	"github.com/syncsim/syncsim/history"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/client"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/server"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/clock"
	"github.com/syncsim/syncsim/sim/observe"
	"github.com/syncsim/syncsim/sim/rng"
)

// Sync is the engine workload: a sync server and clients that each log in,
// open one shared realm and write to it at random, while faults strike —
// offline periods, pauses, connection drops, duplicate and replayed
// messages, clock skew and steps, client and server crashes; now and then
// a client reads a field. At HealAt the faults stop and writes end; every
// client then waits for its uploads, then for its downloads, and every
// replica must end with the server's state (convergence) before the
// deadline. Everything the clients observed, did and were done to is
// recorded (the wire, record.go) and every oracle judges it.
type Sync struct {
	// Path is the shared realm's path.
	Path string
	// WriteEvery is each client's mean interval between transactions.
	WriteEvery time.Duration
	// Faults enables the fault schedule; FaultEvery is its mean interval.
	Faults     bool
	FaultEvery time.Duration
	// ServerCrashes allows server crashes among the faults.
	ServerCrashes bool
	// HealAt is the fraction of the deadline at which faults and writes stop.
	HealAt float64
	// MaxWrites bounds each client's transactions; 0 means no bound.
	MaxWrites int
	// Offline lists fixed offline periods, on top of the random faults.
	Offline []Offline
	// History, if set, receives the recorded history (else a fresh one is
	// used); the oracles judge it when the replicas have converged.
	History *history.History
	// Lifecycle adds the server's lifecycle faults to the schedule —
	// backups and restores, terminate and re-enable, compaction with a
	// client maximum offline time, role changes, recovery mode off and on —
	// and gives each client a reset mode drawn from its stream.
	Lifecycle bool
	// ViewDir, if set, is where the oracles write porcupine's HTML view of
	// each linearizability failure.
	ViewDir string
}

// Offline is a fixed offline period of one client.
type Offline struct {
	Client   int
	From, To time.Duration
}

// DefaultSync is the randomised convergence workload with every fault on.
func DefaultSync() Sync {
	return Sync{Path: "/shared", WriteEvery: 3 * time.Second, Faults: true, FaultEvery: 15 * time.Second,
		ServerCrashes: true, HealAt: 0.5}
}

// ErrConvergence marks a world whose replicas did not converge.
var ErrConvergence = errors.New("convergence")

// ErrSync marks an engine failure the workload saw (a session error, a
// write that failed without a disk fault).
var ErrSync = errors.New("sync")

// syncRun is one installed Sync workload.
type syncRun struct {
	cfg     Sync
	w       *sim.World
	srv     *server.Server
	srvDown bool
	clients []*syncClient
	healed  bool
	healAt  clock.Time
	backups []uint64 // the server backups taken, oldest first
	// ConvergedAt is when the last replica reached the server's state.
	convergedAt clock.Time
	// h is the history the oracles judge.
	h *history.History
	// wire is the network tap recording the clients' side of h.
	wire *observe.Wire
}

// syncClient is one client process: its host, app and open realm.
type syncClient struct {
	run    *syncRun
	node   *sim.Node
	user   string
	host   *client.Host
	app    *client.App
	realm  *client.Realm
	dead   bool
	paused bool
	writes int
	// seen holds the ids of the changesets downloaded into the replica, in
	// any incarnation (integration is durable before it is reported), and
	// after a client reset those the fresh copy downloaded.
	seen map[history.ChangesetID]bool
	// mode is the client's reset mode.
	mode client.ClientResetMode
	// reads draws the fields the client reads; log is what it records
	// (record.go).
	reads *rng.Stream
	log   clientLog
}

// Committed is the replica observer's: it catches the changeset a write
// transaction commits (record.go).
func (c *syncClient) Committed(cs *changeset.Changeset) {
	if c.log.writing {
		c.log.committed = cs
	}
}

// Integrated records the ids of a download's changesets.
func (c *syncClient) Integrated(d *protocol.Download) {
	for i := range d.Changesets {
		cs := &d.Changesets[i].Changeset
		c.seen[history.ChangesetID{File: cs.OriginFileIdent, Version: cs.Version}] = true
	}
}

// own names the replica's own changesets up to version.
func own(rep *replica.Replica, version uint64) []history.ChangesetID {
	ident, _ := rep.Ident()
	ids := make([]history.ChangesetID, 0, version)
	for v := uint64(1); v <= version; v++ {
		ids = append(ids, history.ChangesetID{File: ident, Version: v})
	}
	return ids
}

// integrated names every changeset in the replica, sorted.
func (c *syncClient) integrated() []history.ChangesetID {
	rep := c.realm.Replica()
	ids := own(rep, rep.Version())
	for id := range c.seen {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b history.ChangesetID) int {
		if a.File != b.File {
			return cmp.Compare(a.File, b.File)
		}
		return cmp.Compare(a.Version, b.Version)
	})
	return ids
}

// Install sets the workload up on w.
func (s Sync) Install(w *sim.World) error {
	if s.WriteEvery <= 0 || s.FaultEvery <= 0 || s.HealAt <= 0 || s.HealAt >= 1 || s.Path == "" {
		return fmt.Errorf("scenarios: Sync %+v: needs a path, positive intervals and HealAt in (0,1)", s)
	}
	h := s.History
	if h == nil {
		h = &history.History{}
	}
	run := &syncRun{cfg: s, w: w, h: h}
	wire := observe.NewWire(w.Clock, sim.ServerName, run.h)
	run.wire = wire
	wire.OnReset(run.resetAsked)
	w.Net.SetTap(wire)
	if err := run.startServer(); err != nil {
		return err
	}
	for i, n := range w.Clients {
		c := &syncClient{run: run, node: n, user: fmt.Sprintf("u%d", i), seen: map[history.ChangesetID]bool{},
			reads: n.Rand.Fork("reads"), log: clientLog{carried: map[uint64][]history.WriteID{}}}
		if s.Lifecycle {
			c.mode = resetModes[n.Rand.Fork("reset-mode").IntN(len(resetModes))]
		}
		run.clients = append(run.clients, c)
		c.start()
		c.scheduleWrite()
	}
	heal := time.Duration(float64(w.Config.Deadline) * s.HealAt)
	if s.Faults {
		run.scheduleFaults(heal)
	}
	for _, o := range s.Offline {
		if o.Client < 0 || o.Client >= len(run.clients) || o.From >= o.To {
			return fmt.Errorf("scenarios: Sync.Offline %+v: no such client or an empty period", o)
		}
		name := run.clients[o.Client].node.Name
		run.at(o.From, name, "fault.offline", "", func() { w.Net.Isolate(name) })
		run.at(o.To, name, "fault.online", "", func() { w.Net.Rejoin(name) })
	}
	run.at(heal, "", "fault.heal", "", run.heal)
	w.At(w.Config.Deadline-time.Nanosecond, "", "sync.check", func() {
		if run.convergedAt == 0 {
			run.w.Fail(fmt.Errorf("%w: not every replica reached the server's state by the deadline:%s", ErrConvergence, run.describe()))
		}
	})
	return nil
}

func (run *syncRun) startServer() error {
	n := run.w.Server
	mutants, err := run.w.Config.MutantSet()
	if err != nil {
		return err
	}
	opts := server.Options{Address: sim.ServerName, Mutants: mutants}
	if run.cfg.Lifecycle {
		opts.HistoryTTL = lifecycleTTL
		opts.Roles = lifecycleRoles
	}
	srv, err := server.New(n.Clock(), n.Net, n.Storage(), opts)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("%w: server start: %w", ErrSync, err)
	}
	run.srv, run.srvDown = srv, false
	return nil
}

func (run *syncRun) crashServer() {
	if run.srvDown {
		return
	}
	run.w.Net.Crash(sim.ServerName)
	run.w.Server.Disk.Crash()
	run.srv, run.srvDown = nil, true
}

func (run *syncRun) restartServer() {
	if !run.srvDown {
		return
	}
	if err := run.startServer(); err != nil {
		run.w.Fail(err)
	}
}

// start starts the client process: a new host and app on the node's
// storage; it logs in if no user is cached, then opens the realm.
func (c *syncClient) start() {
	n := c.node
	mutants, err := c.run.w.Config.MutantSet()
	var h *client.Host
	if err == nil {
		h, err = client.NewHost(n.Clock(), n.Net, n.Storage(), n.Rand)
	}
	if err == nil {
		c.host = h
		c.app, err = client.NewApp(h, client.AppConfig{ID: "app", BaseURL: sim.ServerName, BaseFilePath: "app", Mutants: mutants})
	}
	if err != nil {
		c.run.w.Fail(fmt.Errorf("%w: %s: starting: %w", ErrSync, n.Name, err))
		return
	}
	c.dead = false
	if c.app.CurrentUser() != nil {
		c.open()
		return
	}
	c.logIn()
}

func (c *syncClient) logIn() {
	h := c.host
	c.app.LogIn(client.ProviderToken, "user:"+c.user, func(u *client.User, err error) {
		if c.host != h {
			return // an earlier incarnation's login
		}
		if err != nil {
			// Offline: try again later, like an app would.
			c.node.Clock().AfterFunc(10*time.Second, func() {
				if c.host == h && !c.dead {
					c.logIn()
				}
			})
			return
		}
		c.open()
	})
}

func (c *syncClient) open() {
	h := c.host
	cfg := client.RealmConfig{
		Path:         c.run.cfg.Path,
		Schema:       TaskSchema,
		NewFile:      client.OpenBehavior{Kind: client.OpenImmediately},
		ExistingFile: client.OpenBehavior{Kind: client.OpenImmediately},
		ErrorHandler: func(s *client.Session, err error) {
			var se *client.SyncError
			if c.host == h && !(c.run.cfg.Lifecycle && errors.As(err, &se) && !se.Fatal()) {
				c.run.w.Fail(fmt.Errorf("%w: %s: session error: %w", ErrSync, c.node.Name, err))
			}
		},
	}
	// Without lifecycle faults no reset is due: one is a session error
	// (ErrSync), not something to handle.
	if c.run.cfg.Lifecycle {
		cfg.ClientReset = c.resetConfig(h)
	}
	c.app.Open(cfg, func(r *client.Realm, err error) {
		if c.host != h {
			return
		}
		if err != nil {
			c.run.w.Fail(fmt.Errorf("%w: %s: open: %w", ErrSync, c.node.Name, err))
			return
		}
		c.realm = r
		r.Replica().AddObserver(c)
		if c.paused {
			r.Session().Pause()
		}
	})
}

func (c *syncClient) scheduleWrite() {
	c.node.Clock().AfterFunc(c.node.Rand.Exp(c.run.cfg.WriteEvery), func() {
		if c.run.healed || (c.run.cfg.MaxWrites > 0 && c.writes >= c.run.cfg.MaxWrites) {
			return
		}
		// No writes to a replica whose reset went to the manual handler:
		// the app is about to delete it.
		if !c.dead && c.realm != nil && c.realm.Session().ResetRequired() == nil {
			// A read after the write: at the same instant, the oracles
			// take the write to come first.
			c.write()
			if c.reads.Chance(0.5) {
				c.read()
			}
		}
		c.scheduleWrite()
	})
}

func (c *syncClient) crash() {
	if c.dead {
		return
	}
	c.nameWrites()
	c.resetFailed()
	c.host.Kill()
	c.run.w.Net.Crash(c.node.Name)
	c.node.Disk.Crash()
	c.dead, c.realm, c.host, c.app = true, nil, nil, nil
}

func (c *syncClient) restart() {
	if c.dead {
		c.start()
	}
}

func (c *syncClient) pause(on bool) {
	c.paused = on
	if c.realm == nil {
		return
	}
	if on {
		c.realm.Session().Pause()
	} else {
		c.realm.Session().Resume()
	}
}

// heal ends the faults: the network heals, crashed processes restart,
// paused sessions resume; then every client waits for its uploads, and
// once all have, for its downloads; then the replicas are compared.
func (run *syncRun) heal() {
	w := run.w
	run.healed = true
	run.healAt = w.Clock.Now()
	w.Net.HealAll()
	w.Net.SetDropRate(0)
	w.Net.SetRefuseRate(0)
	w.Net.SetDuplicateRate(0)
	w.Net.SetReorderRate(0)
	run.restartServer()
	run.endLifecycle()
	for _, c := range run.clients {
		c.restart()
		c.pause(false)
	}
	// Opening is asynchronous; give every client a moment to open.
	w.Clock.AfterFunc(time.Second, func() {
		run.waitAll("upload", run.waitUpload, func() {
			run.waitAll("download", run.waitDownload, run.compare)
		})
	})
}

// waitUpload waits for c's upload completion and records the wait. It
// covers the local changesets committed before it began, named by the
// replica's ident when it ended (it may have had none when it began); a
// client reset in between makes it wait for the recovered changeset
// instead, or nothing.
func (run *syncRun) waitUpload(c *syncClient, done func(error)) {
	op := history.WaitUpload{Client: c.node.Name, Realm: run.cfg.Path, Call: int64(run.w.Clock.Now())}
	rep, adoptions := c.realm.Replica(), c.log.adoptions
	version := rep.Version()
	c.realm.Session().WaitForUpload(0, func(err error) {
		op.Return, op.Outcome = int64(run.w.Clock.Now()), waitOutcome(err)
		if c.log.adoptions != adoptions {
			version = rep.Version()
		}
		op.Covered = own(rep, version)
		run.h.WaitUploads = append(run.h.WaitUploads, op)
		done(err)
	})
}

// waitDownload waits for c's download completion and records the wait.
func (run *syncRun) waitDownload(c *syncClient, done func(error)) {
	op := history.WaitDownload{Client: c.node.Name, Realm: run.cfg.Path, Call: int64(run.w.Clock.Now())}
	c.realm.Session().WaitForDownload(0, func(err error) {
		op.Return, op.Outcome, op.Integrated = int64(run.w.Clock.Now()), waitOutcome(err), c.integrated()
		run.h.WaitDownloads = append(run.h.WaitDownloads, op)
		done(err)
	})
}

func waitOutcome(err error) history.WaitOutcome {
	if err != nil {
		return history.WaitFailed
	}
	return history.WaitCompleted
}

// waitAll starts the wait on every client's session and calls then once
// all have completed.
func (run *syncRun) waitAll(what string, wait func(*syncClient, func(error)), then func()) {
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
func (run *syncRun) compare() {
	want, ok := run.srv.State(run.cfg.Path)
	if !ok {
		run.w.Fail(fmt.Errorf("%w: the server has no realm %q", ErrConvergence, run.cfg.Path))
		return
	}
	wh := want.Hash()
	now := int64(run.w.Clock.Now())
	conv := &history.Convergence{HealAt: int64(run.healAt), Deadline: int64(run.w.Config.Deadline),
		Servers: []history.ServerState{{Realm: run.cfg.Path, Hash: fmt.Sprintf("%x", wh)}},
		Final:   []history.FinalState{{Realm: run.cfg.Path, PlainState: observe.State(want)}}}
	for _, c := range run.clients {
		got := c.realm.State().Hash()
		conv.Replicas = append(conv.Replicas, history.Replica{Client: c.node.Name, Realm: run.cfg.Path,
			Hash: fmt.Sprintf("%x", got), Live: true, ReachedAt: now})
		if got != wh {
			run.w.Fail(fmt.Errorf("%w: %s differs from the server\n%s\nserver:\n%s", ErrConvergence, c.node.Name, c.realm.State(), want))
			return
		}
	}
	run.h.Convergence = conv
	run.judge()
	run.convergedAt = run.w.Clock.Now()
	run.w.Record("", "sync.converged", slog.String("hash", fmt.Sprintf("%x", wh[:8])),
		slog.Int("objects", want.Size()))
}

func (run *syncRun) describe() string {
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

// scheduleFaults draws the fault timeline up to heal.
func (run *syncRun) scheduleFaults(heal time.Duration) {
	w := run.w
	r := w.Faults()
	net := w.Net
	pick := func() *syncClient { return run.clients[r.IntN(len(run.clients))] }
	kinds := 8
	if run.cfg.Lifecycle {
		kinds += lifecycleKinds
	}
	for at := r.Exp(run.cfg.FaultEvery); at < heal; at += r.Exp(run.cfg.FaultEvery) {
		end := min(at+r.Between(time.Second, 4*run.cfg.FaultEvery), heal)
		switch k := r.IntN(kinds); k {
		case 0, 1: // an offline period
			c := pick()
			run.at(at, c.node.Name, "fault.offline", "", func() { net.Isolate(c.node.Name) })
			run.at(end, c.node.Name, "fault.online", "", func() { net.Rejoin(c.node.Name) })
		case 2:
			c := pick()
			run.at(at, c.node.Name, "fault.pause", "", func() { c.pause(true) })
			run.at(end, c.node.Name, "fault.resume", "", func() { c.pause(false) })
		case 3:
			c := pick()
			run.at(at, c.node.Name, "fault.crash", "", c.crash)
			run.at(end, c.node.Name, "fault.restart", "", c.restart)
		case 4:
			if !run.cfg.ServerCrashes {
				continue
			}
			run.at(at, sim.ServerName, "fault.crash", "", run.crashServer)
			run.at(min(at+r.Between(time.Second, 20*time.Second), heal), sim.ServerName, "fault.restart", "", run.restartServer)
		case 5:
			rate := 0.02 + 0.1*r.Float64()
			run.at(at, "", "fault.drops", "", func() { net.SetDropRate(rate) }, slog.Float64("rate", rate))
			run.at(end, "", "fault.drops.end", "", func() { net.SetDropRate(w.Config.Network.DropRate) })
		case 6:
			rate := 0.05 + 0.2*r.Float64()
			run.at(at, "", "fault.duplicates", "", func() { net.SetDuplicateRate(rate) }, slog.Float64("rate", rate))
			run.at(end, "", "fault.duplicates.end", "", func() { net.SetDuplicateRate(w.Config.Network.DuplicateRate) })
		case 7:
			c := pick()
			step := r.Between(-2*time.Minute, 2*time.Minute)
			run.at(at, c.node.Name, "fault.clock.step", "", func() { c.node.Local.Step(step) }, slog.Duration("by", step))
		default:
			run.lifecycleFault(k-8, at, end, pick)
		}
	}
}

// SyncConfig is the engine world for a seed: 2 to 8 clients with skewed
// clocks on a jittery network with occasional drops and duplicates.
func SyncConfig(seed uint64) sim.Config {
	cfg := sim.DefaultConfig(seed)
	cfg.Clients = 2 + int(seed%7)
	cfg.MaxClockSkew = time.Minute
	cfg.Deadline = 20 * time.Minute
	cfg.Network.DropRate = 0.005
	cfg.Network.DuplicateRate = 0.01
	return cfg
}

// Standard is the standard workload S of the performance targets: one
// server, 4 clients, 500 transactions each over 10 simulated minutes, 5%
// connection drops and two offline periods. (The restore from backup of
// the full definition comes with the server lifecycle faults.)
func Standard() Scenario {
	return Scenario{
		Name:  "standard",
		Story: "workload S: 4 clients x 500 writes in 10 minutes, 5% drops, two offline periods",
		Config: func(seed uint64) sim.Config {
			cfg := sim.DefaultConfig(seed)
			cfg.Clients = 4
			cfg.MaxClockSkew = 10 * time.Second
			cfg.Deadline = 10 * time.Minute
			cfg.Network.DropRate = 0.05
			return cfg
		},
		Install: StandardSync().Install,
	}
}

// StandardSync is workload S's workload: 4 clients write up to 500 times
// each, one write every 0.6 s on average, with two offline periods and a
// fault a minute until the heal at 60% of the run.
func StandardSync() Sync {
	return Sync{Path: "/shared", WriteEvery: 600 * time.Millisecond, FaultEvery: time.Minute, HealAt: 0.6,
		MaxWrites: 500, Offline: []Offline{{0, time.Minute, 2 * time.Minute}, {1, 3 * time.Minute, 4 * time.Minute}}}
}

// ResetsConfig is the world of the resets scenario: as SyncConfig, with a
// longer run so that resets have time to complete before the heal.
func ResetsConfig(seed uint64) sim.Config {
	cfg := SyncConfig(seed)
	cfg.Deadline = 30 * time.Minute
	return cfg
}

func init() {
	_ = Register(Scenario{
		Name: "resets",
		Story: "the sync workload with the server's lifecycle faults (restore, terminate, compaction, role changes, " +
			"recovery off) and every reset mode; all converge after heal",
		Config:       ResetsConfig,
		Install:      resetsSync("").Install,
		InstallViews: func(w *sim.World, dir string) error { return resetsSync(dir).Install(w) },
	})
	_ = Register(Standard())
	_ = Register(Scenario{
		Name:    "sync",
		Story:   "clients write to one shared realm through offline periods, drops, duplicates, skew and crashes; all converge after heal",
		Config:  SyncConfig,
		Install: DefaultSync().Install,
		InstallViews: func(w *sim.World, dir string) error {
			s := DefaultSync()
			s.ViewDir = dir
			return s.Install(w)
		},
	})
}

// resetsSync is the resets scenario's workload, writing views to viewDir.
func resetsSync(viewDir string) Sync {
	s := DefaultSync()
	s.Lifecycle, s.ViewDir = true, viewDir
	return s
}

// ErrOracle marks a run an oracle convicted.
var ErrOracle = errors.New("oracle")

// judge runs every oracle on the recorded history.
func (run *syncRun) judge() {
	for _, c := range run.clients {
		c.nameWrites()
	}
	rep, err := oracle.Check(run.h, oracle.Options{ViewDir: run.cfg.ViewDir})
	if err != nil {
		run.w.Fail(fmt.Errorf("%w: the recorded history is malformed: %w", ErrOracle, err))
		return
	}
	for _, v := range rep.Verdicts {
		if !v.Pass {
			// The views are files beside the run, not part of it: naming
			// them here would make the trace depend on where they go.
			run.w.Fail(fmt.Errorf("%w: %s: %s", ErrOracle, v.Oracle, strings.Join(v.Failures, "; ")))
		}
	}
	run.w.Record("", "oracle.pass", slog.Int64("uploads", int64(len(run.h.Uploads))), slog.Int64("downloads", int64(len(run.h.Downloads))))
}
