package scenarios_test

import (
	"testing"
	"time"

	"github.com/syncsim/syncsim/oracle"

	"github.com/syncsim/syncsim/history"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/scenarios"
)

func recordSync(t *testing.T, seed uint64) *history.History {
	cfg := scenarios.SyncConfig(seed)
	w, err := sim.New(cfg, nil)
	require.NoError(t, err)
	require.NoError(t, scenarios.DefaultSync().Install(w))
	res := w.Run()
	require.NoError(t, res.Err)
	return res.History
}

// TestObservedHistory_IsWhatTheWireShowed: the history recorded from the
// wire has acknowledged uploads, downloads carrying changesets, new file
// idents and the convergence record, and the oracles pass it.
func TestObservedHistory_IsWhatTheWireShowed(t *testing.T) {
	h := recordSync(t, 5)
	var acked, unknown, entries int
	for _, u := range h.Uploads {
		switch u.Outcome {
		case history.OutcomeOK:
			acked++
		case history.OutcomeUnknown:
			unknown++
		}
	}
	for _, d := range h.Downloads {
		entries += len(d.Entries)
	}
	assert.Positive(t, acked)
	assert.Positive(t, entries)
	assert.NotEmpty(t, h.NewFiles)
	assert.NotEmpty(t, h.WaitUploads)
	assert.NotEmpty(t, h.WaitDownloads)
	require.NotNil(t, h.Convergence)
	rep, err := oracle.Check(h, oracle.Options{})
	require.NoError(t, err)
	assert.True(t, rep.Pass(), "%+v", rep.Verdicts)
}

// TestObservedHistory_TamperedIsConvicted: the oracles judge real engine
// histories, not only hand-made ones: drop one delivered changeset from a
// download (a lost write) or deliver one twice (integrated twice) and the
// sync-log oracle convicts.
func TestObservedHistory_TamperedIsConvicted(t *testing.T) {
	tamper := map[string]func(h *history.History){
		"a changeset missing from a download": func(h *history.History) {
			for i := range h.Downloads {
				if d := &h.Downloads[i]; len(d.Entries) > 1 {
					d.Entries = d.Entries[1:]
					return
				}
			}
		},
		"a changeset downloaded twice": func(h *history.History) {
			for i := range h.Downloads {
				if d := &h.Downloads[i]; len(d.Entries) > 1 {
					d.Entries[1] = d.Entries[0]
					return
				}
			}
		},
	}
	for name, f := range tamper {
		t.Run(name, func(t *testing.T) {
			h := recordSync(t, 5)
			f(h)
			rep, err := oracle.Check(h, oracle.Options{})
			require.NoError(t, err)
			v, ok := rep.Verdict(oracle.OracleSyncLog)
			require.True(t, ok)
			assert.False(t, v.Pass)
		})
	}
}

// TestJudge_ATimeLimitChangesTheVerdictNotTheTrace: the oracles judge after
// the run, so a porcupine check that runs out of wall-clock time changes
// the verdict (undecided is a failure) but cannot reach the trace: the same
// seed gives the same trace hash whether its history is judged with a
// nanosecond or with the default limit, or not at all.
func TestJudge_ATimeLimitChangesTheVerdictNotTheTrace(t *testing.T) {
	sc := scenarios.Standard()
	first, err := sc.Run(3, nil)
	require.NoError(t, err)
	require.NoError(t, first.Err)

	tiny, err := oracle.Check(first.History, oracle.Options{Timeout: time.Nanosecond})
	require.NoError(t, err)
	v, ok := tiny.Verdict(oracle.OracleSyncLog)
	require.True(t, ok)
	assert.False(t, v.Pass, "a check stopped after a nanosecond is undecided, not a pass")
	assert.True(t, v.TimedOut)

	again, err := sc.Run(3, nil)
	require.NoError(t, err)
	full, err := oracle.Check(again.History, oracle.Options{})
	require.NoError(t, err)
	assert.NoError(t, full.Err())
	assert.Equal(t, first.Hash, again.Hash, "the verdict must not change the trace")
}
