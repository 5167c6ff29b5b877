package sim

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/syncsim/syncsim/engine/mutant"
	"github.com/syncsim/syncsim/sim/disk"
	"github.com/syncsim/syncsim/sim/network"
)

// Config is everything a World is made from. Two worlds with equal Configs
// run identically.
type Config struct {
	Seed     uint64
	Scenario string // recorded in the trace header
	Build    string // recorded in the trace header
	Clients  int    // number of client nodes, at least 1

	Network network.Options
	Disk    disk.Options

	// MaxClockSkew bounds each client's initial local clock offset, drawn
	// uniformly from [-MaxClockSkew, MaxClockSkew].
	MaxClockSkew time.Duration
	// Deadline is the simulated time the run stops at.
	Deadline time.Duration
	// EventBudget bounds the events a run may execute before its deadline;
	// running out is a liveness failure.
	EventBudget uint64

	// Mutants names the deliberate engine bugs (package mutant) the
	// scenario switches on in the server and clients it makes; none by
	// default.
	Mutants []string `json:",omitempty"`

	// Log, if set, receives every trace event as a debug slog record.
	Log slog.Handler `json:"-"`
}

// DefaultConfig is a small world with no faults.
func DefaultConfig(seed uint64) Config {
	return Config{
		Seed:        seed,
		Clients:     3,
		Network:     DefaultNetwork(),
		Deadline:    10 * time.Minute,
		EventBudget: 10_000_000,
	}
}

// DefaultNetwork is a LAN-to-WAN network without faults: 5–50 ms latency
// with a 10 ms tail, 20–100 ms to connect, 1–5 s to notice a break.
func DefaultNetwork() network.Options {
	return network.Options{
		Latency:        network.Delay{Min: 5 * time.Millisecond, Max: 50 * time.Millisecond, Tail: 10 * time.Millisecond},
		ConnectLatency: network.Uniform(20*time.Millisecond, 100*time.Millisecond),
		DetectDelay:    network.Uniform(time.Second, 5*time.Second),
	}
}

// Validate checks the configuration and names the first bad field.
func (c Config) Validate() error {
	switch {
	case c.Clients < 1:
		return fmt.Errorf("sim: Config.Clients = %d: need at least one client", c.Clients)
	case c.Clients > 100_000:
		return fmt.Errorf("sim: Config.Clients = %d: more than 100000 clients", c.Clients)
	case c.MaxClockSkew < 0:
		return fmt.Errorf("sim: Config.MaxClockSkew = %v: negative", c.MaxClockSkew)
	case c.Deadline <= 0:
		return fmt.Errorf("sim: Config.Deadline = %v: must be positive", c.Deadline)
	case c.EventBudget == 0:
		return fmt.Errorf("sim: Config.EventBudget = 0: must be positive")
	}
	if err := c.Network.Validate(); err != nil {
		return fmt.Errorf("sim: Config.Network: %w", err)
	}
	if err := c.Disk.Validate(); err != nil {
		return fmt.Errorf("sim: Config.Disk: %w", err)
	}
	if _, err := c.MutantSet(); err != nil {
		return err
	}
	return nil
}

// MutantSet is the set of Mutants; an unknown name is an error naming the
// field and the name.
func (c Config) MutantSet() (mutant.Set, error) {
	s, err := mutant.Parse(c.Mutants)
	if err != nil {
		return 0, fmt.Errorf("sim: Config.Mutants: %w", err)
	}
	return s, nil
}

// MarshalJSON encodes the configuration for the trace header.
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	return json.Marshal(plain(c))
}
