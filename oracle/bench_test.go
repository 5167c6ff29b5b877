package oracle

import (
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
	"github.com/syncsim/syncsim/history"
)

// largeConfig is the size of the standard workload S (DESIGN §7): 4 clients
// × 500 changesets, with connection drops that leave about ten upload
// replies unseen.
var largeConfig = genConfig{seed: 1, clients: 4, changesets: 500, drops: 10}

// Porcupine must never time out on a history the size of workload S.
func TestSyncLogCheckFinishesOnWorkloadSizedHistory(t *testing.T) {
	h := generate(largeConfig)
	unknown := 0
	for _, u := range h.Uploads {
		if u.Outcome == history.OutcomeUnknown {
			unknown++
		}
	}
	require.GreaterOrEqual(t, unknown, 8, "dropped replies")
	rep, err := Check(h, Options{Timeout: DefaultTimeout})
	require.NoError(t, err)
	require.True(t, rep.Pass(), "%v", rep.Verdicts)
}

func BenchmarkSyncLogCheck(b *testing.B) {
	h := generate(largeConfig)
	ops, _ := syncLogOps(h)
	b.ReportMetric(float64(len(ops)), "ops")
	for b.Loop() {
		if res := porcupine.CheckOperationsTimeout(syncLogModel(), ops, DefaultTimeout); res != porcupine.Ok {
			b.Fatalf("sync-log check: %s", res)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	h := generate(largeConfig)
	for b.Loop() {
		rep, err := Check(h, Options{})
		if err != nil || !rep.Pass() {
			b.Fatalf("check: %v %v", err, rep.Verdicts)
		}
	}
}
