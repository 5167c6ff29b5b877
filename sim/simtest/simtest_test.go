package simtest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/client"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/oracle"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/simtest"
)

func title(s string) changeset.Value { return changeset.Value{Kind: schema.String, Str: s} }

// An edit made offline reaches the other client once its writer is back
// online, and the run passes every oracle.
func TestHarness_OfflineEditReachesTheOtherClient(t *testing.T) {
	cfg := sim.DefaultConfig(1)
	cfg.Clients = 2
	h, err := simtest.New(cfg, simtest.Options{Modes: []client.ClientResetMode{client.RecoverUnsyncedChanges, client.RecoverUnsyncedChanges}})
	require.NoError(t, err)
	h.Advance(5 * time.Second)
	require.NoError(t, h.Offline(0, true))
	require.NoError(t, h.Write(0, func(tx *replica.Tx) error {
		if err := tx.Create("Task", changeset.IntPK(7)); err != nil {
			return err
		}
		return tx.Set("Task", changeset.IntPK(7), "title", title("x"))
	}))
	h.Advance(time.Minute)
	st, err := h.ClientState(1)
	require.NoError(t, err)
	require.False(t, st.Exists("Task", changeset.IntPK(7)), "client 1 saw an offline write")
	require.NoError(t, h.Offline(0, false))
	h.Advance(time.Minute)
	v, ok, err := h.Read(1, "Task", changeset.IntPK(7), "title")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "x", v.Str)
	h.Heal()
	res := h.Finish()
	require.NoError(t, res.Err)
	require.True(t, h.Converged())
	rep, err := oracle.Check(res.History, oracle.Options{})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
}

func TestHarness_ClientOutOfRange(t *testing.T) {
	h, err := simtest.New(sim.DefaultConfig(1), simtest.Options{})
	require.NoError(t, err)
	require.ErrorIs(t, h.Pause(3, true), simtest.ErrClient)
}
