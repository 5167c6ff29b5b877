// Package simtest is a scripted harness for the sync engine, in the
// spirit of etcd's rafttest: a World with N clients on one shared realm
// and a server, which a test (or a scenario file, sim/script) drives step
// by step — write, read, wait, pause, crash, cut off, operate the server,
// advance virtual time — and whose replicas and server state it can read
// at any point. Everything goes through the sync workload's processes
// (sim/workload) and is recorded by one observe.Recorder, so the history
// a run returns is judged by the oracles exactly like a random run's.
//
// A Harness is single-threaded and deterministic, like the World under it.
package simtest

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/client"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/faults"
	"github.com/syncsim/syncsim/sim/observe"
	"github.com/syncsim/syncsim/sim/workload"
)

// Options shape a harness.
type Options struct {
	// Path is the shared realm's path ("/shared" if empty).
	Path string
	// Modes gives client i < len(Modes) its reset mode; the others draw
	// one from their stream.
	Modes []client.ClientResetMode
	// TTL is the server's client maximum offline time (0: the workload's
	// LifecycleTTL).
	TTL time.Duration
}

// Harness is a world of scripted sync clients and a server.
type Harness struct {
	W   *sim.World
	Rec *observe.Recorder
	Run *workload.SyncRun
}

// ErrClient is returned for a client index out of range.
var ErrClient = errors.New("no such client")

// New makes a world from cfg and installs a harness on it.
func New(cfg sim.Config, o Options) (*Harness, error) {
	w, err := sim.New(cfg, nil)
	if err != nil {
		return nil, err
	}
	return Install(w, o)
}

// Install puts a harness on w: the recorder (whose history the run
// returns), the server, and one client per client node, each logging in
// and opening the realm. Clients make no writes of their own.
func Install(w *sim.World, o Options) (*Harness, error) {
	if o.Path == "" {
		o.Path = "/shared"
	}
	rec := observe.NewRecorder(w.Clock, sim.ServerName, w.Fail)
	w.SetHistory(rec.History())
	w.Net.SetTap(rec.Wire())
	run, err := workload.Sync{Path: o.Path, Scripted: true, Lifecycle: true, Modes: o.Modes, TTL: o.TTL}.Install(w, rec)
	if err != nil {
		return nil, fmt.Errorf("simtest: %w", err)
	}
	return &Harness{W: w, Rec: rec, Run: run}, nil
}

// N is the number of clients.
func (h *Harness) N() int { return len(h.Run.Clients()) }

// Client is client i, or an error naming it if there is none.
func (h *Harness) Client(i int) (*workload.Client, error) {
	cs := h.Run.Clients()
	if i < 0 || i >= len(cs) {
		return nil, fmt.Errorf("simtest: client %d: %w (clients: %d)", i, ErrClient, len(cs))
	}
	return cs[i], nil
}

// Server is the server process (and its realm's lifecycle).
func (h *Harness) Server() *workload.Server { return h.Run.Server() }

// Now is the virtual time.
func (h *Harness) Now() time.Duration { return time.Duration(h.W.Clock.Now()) }

// Advance runs the world for d of virtual time.
func (h *Harness) Advance(d time.Duration) { h.W.Clock.RunFor(d) }

// Finish runs the world to its deadline and returns its result (the
// history in Result.History).
func (h *Harness) Finish() sim.Result { return h.W.Run() }

// fault traces and records a fault on node now, then runs fn.
func (h *Harness) fault(node, kind, realm string, fn func(), attrs ...slog.Attr) {
	h.W.Record(node, kind, attrs...)
	h.Rec.Fault(kind, node, realm, attrs...)
	fn()
}

// clientDo runs fn on client i.
func (h *Harness) clientDo(i int, fn func(c *workload.Client) error) error {
	c, err := h.Client(i)
	if err != nil {
		return err
	}
	return fn(c)
}

// Write runs fn as one write transaction on client i's realm.
func (h *Harness) Write(i int, fn func(tx *replica.Tx) error) error {
	return h.clientDo(i, func(c *workload.Client) error { return c.Apply(fn) })
}

// WriteRandom runs one random transaction on client i (false: its realm
// was not open, or a reset is pending).
func (h *Harness) WriteRandom(i int) (bool, error) {
	c, err := h.Client(i)
	if err != nil {
		return false, err
	}
	return c.WriteRandom(), nil
}

// Read reads a field of client i's replica, recorded in the history.
func (h *Harness) Read(i int, class string, pk changeset.PK, field string) (changeset.Value, bool, error) {
	c, err := h.Client(i)
	if err != nil {
		return changeset.Value{}, false, err
	}
	return c.Read(class, pk, field)
}

// WaitUpload begins a wait for client i's upload completion; done gets
// its outcome.
func (h *Harness) WaitUpload(i int, done func(error)) error {
	return h.clientDo(i, func(c *workload.Client) error { return c.WaitUpload(done) })
}

// WaitDownload begins a wait for client i's download completion; done
// gets its outcome.
func (h *Harness) WaitDownload(i int, done func(error)) error {
	return h.clientDo(i, func(c *workload.Client) error { return c.WaitDownload(done) })
}

// ClientState is client i's replica state (nil: its realm is not open).
func (h *Harness) ClientState(i int) (*store.State, error) {
	c, err := h.Client(i)
	if err != nil {
		return nil, err
	}
	return c.State(), nil
}

// ServerState is the server's state of the realm (false: the server is
// down, or has no realm yet).
func (h *Harness) ServerState() (*store.State, bool) { return h.Server().State() }

// Pause pauses (on) or resumes client i's sync session.
func (h *Harness) Pause(i int, on bool) error {
	return h.clientDo(i, func(c *workload.Client) error {
		kind := "fault.pause"
		if !on {
			kind = "fault.resume"
		}
		h.fault(c.Node().Name, kind, "", func() { c.Pause(on) })
		return nil
	})
}

// Crash crashes client i's process (and its disk); Restart starts it
// again.
func (h *Harness) Crash(i int) error {
	return h.clientDo(i, func(c *workload.Client) error {
		h.fault(c.Node().Name, "fault.crash", "", c.Crash)
		return nil
	})
}

// Restart starts client i's crashed process again.
func (h *Harness) Restart(i int) error {
	return h.clientDo(i, func(c *workload.Client) error {
		h.fault(c.Node().Name, "fault.restart", "", c.Restart)
		return nil
	})
}

// Offline cuts client i off the network (on) or lets it rejoin.
func (h *Harness) Offline(i int, on bool) error {
	return h.clientDo(i, func(c *workload.Client) error {
		name := c.Node().Name
		if on {
			h.fault(name, "fault.offline", "", func() { h.W.Net.Isolate(name) })
		} else {
			h.fault(name, "fault.online", "", func() { h.W.Net.Rejoin(name) })
		}
		return nil
	})
}

// Partition cuts client i and the server apart.
func (h *Harness) Partition(i int) error {
	return h.clientDo(i, func(c *workload.Client) error {
		name := c.Node().Name
		h.fault(name, "fault.partition", "", func() { h.W.Net.Partition(name, sim.ServerName) })
		return nil
	})
}

// PartitionOneWay cuts one direction between client i and the server:
// toServer cuts what the client sends, otherwise what it receives.
func (h *Harness) PartitionOneWay(i int, toServer bool) error {
	return h.clientDo(i, func(c *workload.Client) error {
		from, to := c.Node().Name, sim.ServerName
		if !toServer {
			from, to = to, from
		}
		h.fault(c.Node().Name, "fault.partition.oneway", "", func() { h.W.Net.PartitionOneWay(from, to) },
			slog.String("from", from))
		return nil
	})
}

// HealPartition heals the partitions between client i and the server.
func (h *Harness) HealPartition(i int) error {
	return h.clientDo(i, func(c *workload.Client) error {
		name := c.Node().Name
		h.fault(name, "fault.partition.heal", "", func() {
			h.W.Net.Heal(name, sim.ServerName)
			h.W.Net.Heal(sim.ServerName, name)
		})
		return nil
	})
}

// Clog holds client i's messages back for d.
func (h *Harness) Clog(i int, d time.Duration) error {
	return h.clientDo(i, func(c *workload.Client) error {
		name := c.Node().Name
		h.fault(name, "fault.clog", "", func() { h.W.Net.Clog(name, d) }, slog.Duration("for", d))
		return nil
	})
}

// ClockStep steps client i's local clock by d (either way).
func (h *Harness) ClockStep(i int, d time.Duration) error {
	return h.clientDo(i, func(c *workload.Client) error {
		n := c.Node()
		h.fault(n.Name, "fault.clock.step", "", func() { n.Local.Step(d) }, slog.Duration("by", d))
		return nil
	})
}

// ClockDrift makes client i's local clock drift by ppm from now on.
func (h *Harness) ClockDrift(i int, ppm int64) error {
	return h.clientDo(i, func(c *workload.Client) error {
		n := c.Node()
		h.fault(n.Name, "fault.clock.drift", "", func() { n.Local.SetDrift(ppm) }, slog.Int64("ppm", ppm))
		return nil
	})
}

// SetRole gives client i's user role ("" for the default).
func (h *Harness) SetRole(i int, role string) error {
	return h.clientDo(i, func(c *workload.Client) error {
		kind := "fault.role"
		if role == "" {
			kind = "fault.role.end"
		}
		return h.serverOp(kind, func() error { return h.Server().SetRole(c.User(), role) })
	})
}

// serverOp records a lifecycle fault on the server's realm, then runs
// op; what the server refuses is traced and returned.
func (h *Harness) serverOp(kind string, op func() error) error {
	var err error
	h.fault(sim.ServerName, kind, h.Run.Path(), func() { err = op() })
	if err != nil {
		h.W.Record(sim.ServerName, "fault.refused", slog.String("error", err.Error()))
	}
	return err
}

// ServerCrash crashes the server process and its disk.
func (h *Harness) ServerCrash() {
	h.fault(sim.ServerName, "fault.crash", "", h.Server().Crash)
}

// ServerRestart starts the crashed server again.
func (h *Harness) ServerRestart() {
	h.fault(sim.ServerName, "fault.restart", "", h.Server().Restart)
}

// Backup backs the realm up.
func (h *Harness) Backup() error { return h.serverOp("fault.backup", h.Server().Backup) }

// Restore restores the realm from backup n (0: the latest).
func (h *Harness) Restore(n uint64) error {
	if n == 0 {
		return h.serverOp("fault.restore", h.Server().RestoreLatest)
	}
	return h.serverOp("fault.restore", func() error { return h.Server().Restore(n) })
}

// Terminate terminates the realm's sync; Enable turns it on again.
func (h *Harness) Terminate() error { return h.serverOp("fault.terminate", h.Server().Terminate) }

// Enable enables the realm's sync again after Terminate.
func (h *Harness) Enable() error { return h.serverOp("fault.enable", h.Server().Enable) }

// Compact compacts the realm's history (files offline past the TTL
// expire).
func (h *Harness) Compact() error { return h.serverOp("fault.compact", h.Server().Compact) }

// SetRecovery turns the server's recovery mode on or off.
func (h *Harness) SetRecovery(on bool) error {
	kind := "fault.recovery.off"
	if on {
		kind = "fault.recovery.on"
	}
	return h.serverOp(kind, func() error { return h.Server().SetRecoveryMode(on) })
}

// ChangeSchema declares sch on the server.
func (h *Harness) ChangeSchema(sch schema.Schema) error {
	return h.serverOp("fault.schema", func() error { return h.Server().ChangeSchema(sch) })
}

// Network sets the network's drop, duplicate or refuse rate ("drops",
// "duplicates", "refuse").
func (h *Harness) Network(kind string, rate float64) error {
	net := h.W.Net
	set := map[string]func(float64) error{"drops": net.SetDropRate, "duplicates": net.SetDuplicateRate,
		"refuse": net.SetRefuseRate}[kind]
	if set == nil {
		return fmt.Errorf("simtest: network %q: no such rate (drops, duplicates, refuse)", kind)
	}
	var err error
	h.fault("", "fault."+kind, "", func() { err = set(rate) }, slog.Float64("rate", rate))
	if err != nil {
		return fmt.Errorf("simtest: network %s %v: %w", kind, rate, err)
	}
	return nil
}

// HealNetwork undoes every network fault.
func (h *Harness) HealNetwork() { h.fault("", "fault.network.heal", "", func() { faults.Heal(h.W) }) }

// Heal ends the run's faults and writes: the network heals, the server
// and crashed clients restart, paused sessions resume; every client waits
// for its uploads, then its downloads, and the replicas must then equal
// the server's state (checked before the deadline).
func (h *Harness) Heal() {
	h.fault("", "fault.heal", "", func() {
		faults.Heal(h.W)
		h.Run.Heal()
	})
}

// Healed reports whether Heal has begun.
func (h *Harness) Healed() bool { return h.Run.Healed() }

// Converged reports whether the replicas were found equal to the server
// after the heal.
func (h *Harness) Converged() bool { return h.Run.ConvergedAt() != 0 }

// Targets are the harness's processes as fault targets (sim/faults).
func (h *Harness) Targets() faults.Targets {
	t := faults.Targets{Server: h.Server(), Realm: h.Server()}
	for _, c := range h.Run.Clients() {
		t.Clients, t.Sessions = append(t.Clients, c), append(t.Sessions, c)
	}
	return t
}
