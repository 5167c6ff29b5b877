package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/sim"
)

// TestConfig_InvalidIsRefusedNamingTheField: a bad world configuration is
// an error that names the offending field, never a panic or a hang.
func TestConfig_InvalidIsRefusedNamingTheField(t *testing.T) {
	cases := []struct {
		name  string
		mod   func(c *sim.Config)
		field string
	}{
		{"zero clients", func(c *sim.Config) { c.Clients = 0 }, "Config.Clients"},
		{"negative clients", func(c *sim.Config) { c.Clients = -2 }, "Config.Clients"},
		{"negative skew", func(c *sim.Config) { c.MaxClockSkew = -time.Second }, "Config.MaxClockSkew"},
		{"zero deadline", func(c *sim.Config) { c.Deadline = 0 }, "Config.Deadline"},
		{"zero budget", func(c *sim.Config) { c.EventBudget = 0 }, "Config.EventBudget"},
		{"drop rate above one", func(c *sim.Config) { c.Network.DropRate = 1.5 }, "DropRate"},
		{"negative refuse rate", func(c *sim.Config) { c.Network.RefuseRate = -0.1 }, "RefuseRate"},
		{"write error rate above one", func(c *sim.Config) { c.Disk.WriteErrorRate = 2 }, "WriteErrorRate"},
		{"torn write rate negative", func(c *sim.Config) { c.Disk.TornWriteRate = -1 }, "TornWriteRate"},
		{"unknown mutant", func(c *sim.Config) { c.Mutants = []string{"no-such-bug"} }, `Config.Mutants: mutant: no mutant named "no-such-bug"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := sim.DefaultConfig(1)
			c.mod(&cfg)
			_, err := sim.New(cfg, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.field)
		})
	}
	_, err := sim.New(sim.DefaultConfig(1), nil)
	require.NoError(t, err, "the default configuration is valid")
}

func TestRun_BudgetExhaustedIsALivenessFailure(t *testing.T) {
	cfg := sim.DefaultConfig(1)
	cfg.EventBudget = 100
	w, err := sim.New(cfg, nil)
	require.NoError(t, err)
	var tick func()
	tick = func() { w.Clock.Post(time.Millisecond, tick) }
	w.Clock.Post(0, tick)
	res := w.Run()
	require.ErrorIs(t, res.Err, sim.ErrLiveness)
	assert.Less(t, res.SimTime, cfg.Deadline)
}

func TestNodeClock_NowIsLocalTimersAreWorldTime(t *testing.T) {
	cfg := sim.DefaultConfig(3)
	cfg.MaxClockSkew = time.Minute
	w, err := sim.New(cfg, nil)
	require.NoError(t, err)
	n := w.Clients[0]
	n.Local.Step(-time.Hour)
	before := n.Clock().Now()
	fired := false
	n.Clock().AfterFunc(time.Second, func() { fired = true })
	w.Clock.RunFor(time.Second)
	assert.True(t, fired, "a backward step of the local clock does not delay timers")
	assert.Equal(t, time.Second, n.Clock().Now().Sub(before))
}
