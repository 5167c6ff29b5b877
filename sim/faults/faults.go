// Package faults schedules the faults of a world: one file per fault kind,
// each with its rate in Options and its own random stream, forked by name
// from the World's fault stream, so that adding a kind, or changing the
// rate of one, does not reshuffle the schedules of the others (in the
// style of TigerBeetle's src/testing). A rate of 0 turns a kind off.
//
// Faults act on their targets through the small interfaces below (Client,
// Session, Server, Realm), which the workload implements. Every fault is
// traced (World.At) and, given a Recorder, recorded in the history.
package faults

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/rng"
)

// Options are the rates of the fault kinds, in mean faults per simulated
// minute until the heal (a Poisson process each), and how they are drawn.
type Options struct {
	// The network and the client processes.
	Offline     float64 // a client cut off the network for a while (offline.go)
	Pause       float64 // a client's sync session paused, then resumed (pause.go)
	ClientCrash float64 // a client process crashes, then restarts (crash.go)
	ServerCrash float64 // the server crashes, then restarts (server_crash.go)
	Drops       float64 // a burst of message drops (drops.go)
	Duplicates  float64 // a burst of duplicated messages (duplicates.go)
	ClockStep   float64 // a client's clock steps (clock_step.go)
	Partition   float64 // a client and the server cut apart (partition.go)
	OneWay      float64 // one direction between a client and the server cut (oneway.go)
	Isolate     float64 // a node, the server now and then, cut off (isolate.go)
	Clog        float64 // a node's messages held back for a while (clog.go)
	Refuse      float64 // a burst of refused dials (refuse.go)
	Stress      float64 // duplicates and reordering together (stress.go)
	ClockDrift  float64 // a client's clock drifts (clock_drift.go)

	// The server's lifecycle, on its realm (Targets.Realm).
	Backup      float64 // a backup now, a restore of the latest later (backup.go)
	Terminate   float64 // sync terminated, then enabled again (terminate.go)
	Compaction  float64 // the history compacted (compaction.go)
	Role        float64 // a client's user given a limited role for a while (role.go)
	Recovery    float64 // the server's recovery mode off, then on (recovery.go)
	LongOffline float64 // a client offline for LongOfflineFor (long_offline.go)

	// Lasts bounds how long a fault lasts: each is undone after 1 s to
	// Lasts, or at the heal.
	Lasts time.Duration
	// MaxClockStep bounds a clock step, either way.
	MaxClockStep time.Duration
	// DropRates and DuplicateRates are the ranges a burst's rate is drawn
	// from.
	DropRates, DuplicateRates [2]float64
	// LongOfflineFor is how long a long offline period lasts (at most
	// until the heal): past the server's maximum offline time.
	LongOfflineFor time.Duration
}

// Client is a client process a fault can strike.
type Client interface {
	Node() *sim.Node
	Crash()
	Restart()
}

// Session is a client process with a sync session and a user.
type Session interface {
	Client
	Pause(on bool)
	User() string
}

// Server is a server process a fault can crash.
type Server interface {
	Crash()
	Restart()
}

// Realm is the lifecycle operations on the server's realm. An operation
// while the server is down does not happen (and returns nil); one the
// server refuses returns its error, which is traced as fault.refused.
type Realm interface {
	Path() string
	Backup() error
	RestoreLatest() error
	Terminate() error
	Enable() error
	Compact() error
	SetRole(user, role string) error
	SetRecoveryMode(on bool) error
}

// Recorder records a fault in the history (observe.Recorder).
type Recorder interface {
	Fault(kind, node, realm string, attrs ...slog.Attr)
}

// Targets are what the faults strike.
type Targets struct {
	Clients  []Client
	Sessions []Session // for pauses and role changes
	Server   Server    // for server crashes
	Realm    Realm     // for the lifecycle kinds
	// OnStress, if set, is called when stress mode begins: duplicates and
	// replays may arrive long after it ends.
	OnStress func()
}

// At schedules a fault (or the heal) at virtual time at on node ("" for
// the network or the world): traced as kind with attrs and, if rec is not
// nil, recorded in the history; then fn runs.
func At(w *sim.World, rec Recorder, at time.Duration, node, kind, realm string, fn func(), attrs ...slog.Attr) {
	w.At(at, node, kind, func() {
		if rec != nil {
			rec.Fault(kind, node, realm, attrs...)
		}
		fn()
	}, attrs...)
}

// plan is a schedule being drawn.
type plan struct {
	w    *sim.World
	o    Options
	t    Targets
	rec  Recorder
	heal time.Duration
	// from is when the schedule begins; label, if set, names the stream
	// its kinds fork from (ScheduleWindow).
	from  time.Duration
	label string
}

// kind is a fault kind: its name (its stream's), its rate, and how one
// fault of it is placed at at, undone by end, drawing from r.
type kind struct {
	name string
	rate float64
	// missing: a target it needs is missing.
	missing bool
	place   func(p *plan, r *rng.Stream, at, end time.Duration)
}

// Schedule draws every enabled kind's faults up to heal, each from its own
// stream, and places them on w; rec (nil: none) records them in the
// history.
func Schedule(w *sim.World, o Options, t Targets, rec Recorder, heal time.Duration) error {
	return schedule(&plan{w: w, o: o, t: t, rec: rec, heal: heal})
}

// ScheduleWindow is Schedule for the window [from, to): every fault of
// it begins and is undone within it. Each kind draws from a stream forked
// from the fault stream's label child, so that two windows with distinct
// labels draw distinct schedules.
func ScheduleWindow(w *sim.World, o Options, t Targets, rec Recorder, from, to time.Duration, label string) error {
	if from < 0 || to <= from {
		return fmt.Errorf("faults: window [%v, %v): empty", from, to)
	}
	return schedule(&plan{w: w, o: o, t: t, rec: rec, heal: to, from: from, label: label})
}

func schedule(p *plan) error {
	o, t := p.o, p.t
	noClients, noSessions := len(t.Clients) == 0, len(t.Sessions) == 0
	kinds := []kind{
		{"offline", o.Offline, noClients, offline},
		{"pause", o.Pause, noSessions, pause},
		{"crash", o.ClientCrash, noClients, crash},
		{"server-crash", o.ServerCrash, t.Server == nil, serverCrash},
		{"drops", o.Drops, false, drops},
		{"duplicates", o.Duplicates, false, duplicates},
		{"clock-step", o.ClockStep, noClients, clockStep},
		{"partition", o.Partition, noClients, partition},
		{"oneway", o.OneWay, noClients, oneWay},
		{"isolate", o.Isolate, noClients, isolate},
		{"clog", o.Clog, noClients, clog},
		{"refuse", o.Refuse, false, refuse},
		{"stress", o.Stress, false, stress},
		{"clock-drift", o.ClockDrift, noClients, clockDrift},
		{"backup", o.Backup, t.Realm == nil, backup},
		{"terminate", o.Terminate, t.Realm == nil, terminate},
		{"compaction", o.Compaction, t.Realm == nil, compaction},
		{"role", o.Role, t.Realm == nil || noSessions, role},
		{"recovery", o.Recovery, t.Realm == nil, recovery},
		{"long-offline", o.LongOffline, noClients, longOffline},
	}
	for _, k := range kinds {
		if k.rate < 0 || (k.rate > 0 && k.missing) {
			return fmt.Errorf("faults: kind %s at rate %v: a negative rate, or no target for it", k.name, k.rate)
		}
	}
	if o.Lasts < time.Second {
		for _, k := range kinds {
			if k.rate > 0 {
				return fmt.Errorf("faults: Lasts %v: at least a second", o.Lasts)
			}
		}
	}
	for _, k := range kinds {
		if k.rate > 0 {
			p.draw(k)
		}
	}
	return nil
}

// draw places k's faults: a Poisson process at k's rate on k's stream.
func (p *plan) draw(k kind) {
	r := p.w.Faults()
	if p.label != "" {
		r = r.Fork(p.label)
	}
	r = r.Fork(k.name)
	every := time.Duration(float64(time.Minute) / k.rate)
	for at := p.from + r.Exp(every); at < p.heal; at += r.Exp(every) {
		end := min(at+r.Between(time.Second, p.o.Lasts), p.heal)
		k.place(p, r, at, end)
	}
}

// at schedules a fault of the plan (see At).
func (p *plan) at(at time.Duration, node, kind, realm string, fn func(), attrs ...slog.Attr) {
	At(p.w, p.rec, at, node, kind, realm, fn, attrs...)
}

// client picks a client, drawing from r.
func (p *plan) client(r *rng.Stream) Client { return p.t.Clients[r.IntN(len(p.t.Clients))] }

// session picks a session, drawing from r.
func (p *plan) session(r *rng.Stream) Session { return p.t.Sessions[r.IntN(len(p.t.Sessions))] }

// Heal undoes every network fault: partitions heal, and the drop, refuse,
// duplicate and reorder rates go to 0.
func Heal(w *sim.World) {
	w.Net.HealAll()
	w.Net.SetDropRate(0)
	w.Net.SetRefuseRate(0)
	w.Net.SetDuplicateRate(0)
	w.Net.SetReorderRate(0)
}
