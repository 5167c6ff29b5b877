// Package scenarios registers the named scenarios: a story, a world
// configuration per seed, and an Install that assembles the world from a
// workload (sim/workload), a fault schedule (sim/faults) and the recorder
// (sim/observe).
package scenarios

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/syncsim/syncsim/sim"
)

// Scenario is a named, seeded program of workload and faults.
type Scenario struct {
	Name  string
	Story string
	// Config returns the world configuration for a seed.
	Config func(seed uint64) sim.Config
	// Install puts the workload and fault schedule on a new world (and its
	// recorder, if the scenario records a history for the oracles).
	Install func(w *sim.World) error
}

// RunOptions change how RunWith runs a scenario's seed.
type RunOptions struct {
	// Mutants names the deliberate engine bugs (package mutant) to switch
	// on; they go into the world's Config.Mutants.
	Mutants []string
	// Log, if set, receives every trace event as it is recorded (the
	// world's Config.Log): it changes nothing in the run or its hash.
	Log slog.Handler
}

var registry = map[string]Scenario{}

// Register adds a scenario; a name may be registered once.
func Register(s Scenario) error {
	if s.Name == "" || s.Config == nil || s.Install == nil {
		return fmt.Errorf("scenarios: Register %q: needs a name, Config and Install", s.Name)
	}
	if _, dup := registry[s.Name]; dup {
		return fmt.Errorf("scenarios: Register %q: name already taken", s.Name)
	}
	registry[s.Name] = s
	return nil
}

// Names lists the registered scenarios, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup finds a scenario by name.
func Lookup(name string) (Scenario, error) {
	s, ok := registry[name]
	if !ok {
		return Scenario{}, fmt.Errorf("scenarios: no scenario %q (have: %s)", name, strings.Join(Names(), ", "))
	}
	return s, nil
}

// Run builds the scenario's world for seed, writes its trace to out (nil
// for hash only) and runs it. The result carries the recorded history;
// judging it (oracle.Check) is the caller's next step.
func (s Scenario) Run(seed uint64, out io.Writer) (sim.Result, error) {
	return s.RunWith(seed, out, RunOptions{})
}

// RunWith is Run with options: the mutants switched on, and where views
// go. An unknown mutant is an error naming it.
func (s Scenario) RunWith(seed uint64, out io.Writer, opts RunOptions) (sim.Result, error) {
	w, err := s.World(seed, out, opts)
	if err != nil {
		return sim.Result{}, err
	}
	return w.Run(), nil
}

// World builds the scenario's world for seed, writing its trace to out
// (nil for hash only), and installs the scenario on it, without running
// it: a caller that drives the clock itself (simrun replay --until) runs
// it part way and looks at it (World.Inspect). Run's result is RunWith's.
func (s Scenario) World(seed uint64, out io.Writer, opts RunOptions) (*sim.World, error) {
	cfg := s.Config(seed)
	cfg.Scenario = s.Name
	if len(opts.Mutants) > 0 {
		cfg.Mutants = append(slices.Clone(cfg.Mutants), opts.Mutants...)
	}
	if opts.Log != nil {
		cfg.Log = opts.Log
	}
	w, err := sim.New(cfg, out)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %s seed %d: %w", s.Name, seed, err)
	}
	if err := s.Install(w); err != nil {
		return nil, err
	}
	return w, nil
}

// PingEchoConfig is the toy world for a seed: 1 to 6 clients with skewed
// clocks on a jittery, lossy network with failing disks.
func PingEchoConfig(seed uint64) sim.Config {
	cfg := sim.DefaultConfig(seed)
	cfg.Clients = 1 + int(seed%6)
	cfg.MaxClockSkew = 30 * time.Second
	cfg.Deadline = 5 * time.Minute
	cfg.Network.DropRate = 0.002
	cfg.Network.RefuseRate = 0.05
	cfg.Disk.WriteErrorRate = 0.01
	cfg.Disk.SyncErrorRate = 0.01
	cfg.Disk.TornWriteRate = 0.5
	return cfg
}

func init() {
	_ = Register(Scenario{
		Name:    "pingecho",
		Story:   "toy ping/echo clients on a faulty network and disks: exercises the kernel",
		Config:  PingEchoConfig,
		Install: DefaultPingEcho().Install,
	})
}
