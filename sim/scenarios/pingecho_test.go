package scenarios_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/faults"
	"github.com/syncsim/syncsim/sim/scenarios"
	"github.com/syncsim/syncsim/sim/workload"
)

// TestPingEcho_CatchesANetworkThatReorders: the toy's order check is not
// vacuous. A network that reorders from the start, unknown to the
// workload, is caught on most seeds.
func TestPingEcho_CatchesANetworkThatReorders(t *testing.T) {
	caught := 0
	for seed := uint64(0); seed < 20; seed++ {
		cfg := scenarios.PingEchoConfig(seed)
		cfg.Network.ReorderRate = 0.3
		cfg.Network.ReorderWindow = 5 * time.Second
		w, err := sim.New(cfg, nil)
		require.NoError(t, err)
		pe := scenarios.DefaultPingEcho()
		pe.Faults = faults.Options{}
		require.NoError(t, pe.Install(w))
		if res := w.Run(); res.Err != nil {
			assert.ErrorIs(t, res.Err, workload.ErrPingEcho)
			caught++
		}
	}
	assert.GreaterOrEqual(t, caught, 15)
}

// TestPingEcho_CatchesAClientThatNeverComesBack: the liveness check fails
// a world whose client stays partitioned past the heal.
func TestPingEcho_CatchesAClientThatNeverComesBack(t *testing.T) {
	cfg := scenarios.PingEchoConfig(1)
	w, err := sim.New(cfg, nil)
	require.NoError(t, err)
	pe := scenarios.DefaultPingEcho()
	pe.Faults = faults.Options{}
	require.NoError(t, pe.Install(w))
	// Partition for good just after the heal point.
	w.At(cfg.Deadline*8/10, "client/0", "test.partition", func() { w.Net.Partition("client/0", sim.ServerName) })
	res := w.Run()
	require.ErrorIs(t, res.Err, workload.ErrPingEcho)
	assert.Contains(t, res.Err.Error(), "client/0: no echo")
}
