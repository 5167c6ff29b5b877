package scenarios_test

import (
	"testing"

	"github.com/syncsim/syncsim/oracle"

	"github.com/syncsim/syncsim/history"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/scenarios"
)

// recorded runs seed of the sync (or, with lifecycle, the resets)
// scenario and returns the history it recorded.
func recorded(t *testing.T, seed uint64, lifecycle bool) *history.History {
	t.Helper()
	cfg, s := scenarios.SyncConfig(seed), scenarios.DefaultSync()
	if lifecycle {
		cfg, s = scenarios.ResetsConfig(seed), scenarios.ResetsSync()
	}
	w, err := sim.New(cfg, nil)
	require.NoError(t, err)
	require.NoError(t, s.Install(w))
	h := w.Run().History
	require.NotNil(t, h.Convergence, "seed %d did not converge: %v", seed, w.Failures())
	require.NoError(t, h.Validate())
	return h
}

// TestRecordedWrites_AreTheChangesetsTheirClientsUploaded: every write has
// a unique id and its effects, and its changeset — named by the file ident
// the replica got, even when it was committed before — is one its client
// uploaded and the server acknowledged; reads, faults and the server's
// final state are recorded too.
func TestRecordedWrites_AreTheChangesetsTheirClientsUploaded(t *testing.T) {
	h := recorded(t, 3, false)
	acked := map[string]map[history.ChangesetID]bool{}
	for _, u := range h.Uploads {
		if u.Outcome == history.OutcomeOK {
			if acked[u.Client] == nil {
				acked[u.Client] = map[history.ChangesetID]bool{}
			}
			for _, id := range u.IDs {
				acked[u.Client][id] = true
			}
		}
	}
	require.NotEmpty(t, h.Writes)
	ids := map[history.WriteID]bool{}
	for _, w := range h.Writes {
		assert.False(t, ids[w.ID], "write id %d twice", w.ID)
		ids[w.ID] = true
		assert.NotEmpty(t, w.Fields, "write %d", w.ID)
		assert.True(t, acked[w.Client][w.Changeset], "write %d of %s: changeset %v never acknowledged", w.ID, w.Client, w.Changeset)
	}
	assert.NotEmpty(t, h.Reads)
	assert.NotEmpty(t, h.Faults)
	require.Len(t, h.Convergence.Final, 1)
	assert.NotEmpty(t, h.Convergence.Final[0].Objects)
}

// TestRecordedResets_EveryResetWithWhatTheClientResetOracleNeeds: over a
// few seeds of the resets scenario every kind of harness operation is
// recorded, every client reset has its check (same client and call), every
// automatic one its fresh copy and every manual one its backup copy, and
// the client-reset oracle judges them all and passes.
func TestRecordedResets_EveryResetWithWhatTheClientResetOracleNeeds(t *testing.T) {
	var all history.History
	outcomes := map[history.ResetOutcome]int{}
	for seed := uint64(0); seed < 3; seed++ {
		h := recorded(t, seed, true)
		require.Len(t, h.ResetChecks, len(h.Resets))
		for i, r := range h.Resets {
			rc := h.ResetChecks[i]
			assert.Equal(t, []any{r.Client, r.Call, r.Outcome}, []any{rc.Client, rc.Call, rc.Outcome})
			outcomes[r.Outcome]++
			switch r.Outcome {
			case history.ResetRecovered, history.ResetDiscarded:
				assert.NotNil(t, rc.Fresh, "seed %d: %s's reset at %d", seed, r.Client, r.Call)
				assert.NotZero(t, r.NewFile)
			case history.ResetManual:
				assert.NotNil(t, rc.Backup, "seed %d: %s's reset at %d", seed, r.Client, r.Call)
			}
		}
		res := oracle.CheckResets(h)
		assert.True(t, res.Pass, "seed %d: %v", seed, res.Failures)
		assert.Equal(t, len(h.ResetChecks), res.Judged)
		all.Backups = append(all.Backups, h.Backups...)
		all.Restores = append(all.Restores, h.Restores...)
		all.Terminates = append(all.Terminates, h.Terminates...)
		all.Compactions = append(all.Compactions, h.Compactions...)
		all.Reverts = append(all.Reverts, h.Reverts...)
	}
	assert.Positive(t, outcomes[history.ResetRecovered])
	assert.Positive(t, outcomes[history.ResetDiscarded])
	assert.Positive(t, outcomes[history.ResetManual])
	assert.NotEmpty(t, all.Backups)
	assert.NotEmpty(t, all.Restores)
	assert.NotEmpty(t, all.Terminates)
	assert.NotEmpty(t, all.Compactions)
	assert.NotEmpty(t, all.Reverts)
}
