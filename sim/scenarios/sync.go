package scenarios

import (
	"fmt"
	"time"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/faults"
	"github.com/syncsim/syncsim/sim/observe"
	"github.com/syncsim/syncsim/sim/workload"
)

// Sync is a world of the sync workload: its clients write to one shared
// realm while Faults strike — offline periods, pauses, connection drops,
// duplicate and replayed messages, clock skew and steps, client and server
// crashes, and, in the resets scenario, the server's lifecycle faults —
// until HealAt; then the faults are undone and every replica must
// converge with the server. An observe.Recorder records the run's history
// for the oracles to judge after it.
type Sync struct {
	Workload workload.Sync
	// Faults are the rates of the fault kinds (zero: no faults).
	Faults faults.Options
	// Offline lists fixed offline periods, on top of the random faults.
	Offline []Offline
	// HealAt is the fraction of the deadline at which faults and writes stop.
	HealAt float64
}

// Offline is a fixed offline period of one client.
type Offline struct {
	Client   int
	From, To time.Duration
}

// SyncFaults are the sync scenario's faults: about one a 15 s, offline
// periods twice as often as each other kind.
func SyncFaults() faults.Options {
	return faults.Options{Offline: 1, Pause: 0.5, ClientCrash: 0.5, ServerCrash: 0.5, Drops: 0.5, Duplicates: 0.5,
		ClockStep: 0.5, Lasts: time.Minute, MaxClockStep: 2 * time.Minute,
		DropRates: [2]float64{0.02, 0.12}, DuplicateRates: [2]float64{0.05, 0.25}}
}

// ResetsFaults are the resets scenario's faults: the sync scenario's and
// the server's lifecycle faults, about one a 15 s in all, offline periods
// twice as often as each other kind.
func ResetsFaults() faults.Options {
	o := SyncFaults()
	const each = 4.0 / 14 // per minute: one fault a 15 s among 14 equal shares
	o.Offline = 2 * each
	o.Pause, o.ClientCrash, o.ServerCrash, o.Drops, o.Duplicates, o.ClockStep = each, each, each, each, each, each
	o.Backup, o.Terminate, o.Compaction, o.Role, o.Recovery, o.LongOffline = each, each, each, each, each, each
	o.LongOfflineFor = 2 * workload.LifecycleTTL
	return o
}

// DefaultSync is the randomised convergence world with every fault on.
func DefaultSync() Sync {
	return Sync{Workload: workload.Sync{Path: "/shared", WriteEvery: 3 * time.Second}, Faults: SyncFaults(), HealAt: 0.5}
}

// ResetsSync is the resets scenario's world: the sync world with the
// server's lifecycle faults and every reset mode.
func ResetsSync() Sync {
	s := DefaultSync()
	s.Workload.Lifecycle = true
	s.Faults = ResetsFaults()
	return s
}

// StandardSync is workload S: 4 clients write up to 500 times each, one
// write every 0.6 s on average, with two offline periods, healed at 60%
// of the run.
func StandardSync() Sync {
	return Sync{Workload: workload.Sync{Path: "/shared", WriteEvery: 600 * time.Millisecond, MaxWrites: 500},
		HealAt: 0.6, Offline: []Offline{{0, time.Minute, 2 * time.Minute}, {1, 3 * time.Minute, 4 * time.Minute}}}
}

// Install assembles the world on w: the recorder, the workload, the fault
// schedule up to the heal, and the heal.
func (s Sync) Install(w *sim.World) error {
	if s.HealAt <= 0 || s.HealAt >= 1 {
		return fmt.Errorf("scenarios: Sync %+v: HealAt in (0,1)", s)
	}
	rec := observe.NewRecorder(w.Clock, sim.ServerName, w.Fail)
	w.SetHistory(rec.History())
	w.Net.SetTap(rec.Wire())
	run, err := s.Workload.Install(w, rec)
	if err != nil {
		return err
	}
	w.SetInspector(run.Inspect)
	heal := time.Duration(float64(w.Config.Deadline) * s.HealAt)
	t := faults.Targets{Server: run.Server()}
	if s.Workload.Lifecycle {
		t.Realm = run.Server()
	}
	for _, c := range run.Clients() {
		t.Clients, t.Sessions = append(t.Clients, c), append(t.Sessions, c)
	}
	if err := faults.Schedule(w, s.Faults, t, rec, heal); err != nil {
		return err
	}
	for _, o := range s.Offline {
		if o.Client < 0 || o.Client >= len(t.Clients) || o.From >= o.To {
			return fmt.Errorf("scenarios: Sync.Offline %+v: no such client or an empty period", o)
		}
		faults.OfflinePeriod(w, rec, t.Clients[o.Client], o.From, o.To)
	}
	faults.At(w, rec, heal, "", "fault.heal", "", func() {
		faults.Heal(w)
		run.Heal()
	})
	return nil
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

// ResetsConfig is the world of the resets scenario: as SyncConfig, with a
// longer run so that resets have time to complete before the heal.
func ResetsConfig(seed uint64) sim.Config {
	cfg := SyncConfig(seed)
	cfg.Deadline = 30 * time.Minute
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

func init() {
	_ = Register(Scenario{
		Name: "resets",
		Story: "the sync workload with the server's lifecycle faults (restore, terminate, compaction, role changes, " +
			"recovery off) and every reset mode; all converge after heal",
		Config:  ResetsConfig,
		Install: ResetsSync().Install,
	})
	_ = Register(Standard())
	_ = Register(Scenario{
		Name:    "sync",
		Story:   "clients write to one shared realm through offline periods, drops, duplicates, skew and crashes; all converge after heal",
		Config:  SyncConfig,
		Install: DefaultSync().Install,
	})
}
