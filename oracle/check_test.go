package oracle

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
	"github.com/syncsim/syncsim/history"
)

func TestCheckWritesAnnotatedViewOfEachLinearizabilityFailure(t *testing.T) {
	h := build(basic, backupAt2, concurrent, restore, restoreThenResets, func(h *hist) {
		h.Faults = append(h.Faults, history.Fault{Kind: "partition", Target: "a", At: 65, Detail: "a cut off for 20ms"})
		h.refused("a", 3, cur(3, 1), salt2, 150, 155, history.CodeDivergingHistories) // spurious
		publish(h, "b", 0, 10, id(2, 1))
		observe(h, "a", 20, 30) // 2:1 missing
	})
	dir := filepath.Join(t.TempDir(), "views")
	rep, err := Check(h, Options{ViewDir: dir})
	require.NoError(t, err)
	require.False(t, rep.Pass())
	for _, o := range []Oracle{OracleSyncLog, OracleVisibility} {
		v, ok := rep.Verdict(o)
		require.True(t, ok)
		require.False(t, v.Pass)
		require.Len(t, v.Views, 1)
		html, err := os.ReadFile(v.Views[0])
		require.NoError(t, err)
		for _, text := range []string{"fault: partition a", "a cut off for 20ms", "restore to backup 1",
			"backup 1", "client reset (discard)", "client reset (recover)"} {
			require.Contains(t, string(html), text, "%s view", o)
		}
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.Equal(t, []string{"sync-log-000-_r.html", "visibility-000-_r.html"}, names, "no temporary files left")
}

func TestCheckPassesWithoutWritingViews(t *testing.T) {
	dir := t.TempDir()
	rep, err := Check(build(basic, backupAt2, concurrent, restore, restoreThenResets), Options{ViewDir: dir})
	require.NoError(t, err)
	require.True(t, rep.Pass(), "%v", rep.Verdicts)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries)
}

// A check that runs out of time is a failure, never a pass: a model whose
// step waits for the checker to give up stands in for a hard history.
func TestPorcupineTimeoutIsAFailure(t *testing.T) {
	stuck := porcupine.Model{
		Init: func() interface{} { return 0 },
		Step: func(s, _, _ interface{}) (bool, interface{}) { return true, s },
		StepContext: func(ctx context.Context, s, _, _ interface{}) (bool, interface{}) {
			<-ctx.Done()
			return false, s
		},
		DescribeOperation: func(_, _ interface{}) string { return "op" },
	}
	dir := t.TempDir()
	v := Verdict{Oracle: "test", Pass: true}
	err := linCheck{oracle: "test", realm: "/r", model: stuck,
		ops:     []porcupine.Operation{{Input: 1, Call: 0, Return: 1}},
		explain: func([]porcupine.Operation, porcupine.Operation) string { return "" },
	}.run(&v, Options{Timeout: 20 * time.Millisecond, ViewDir: dir})
	require.NoError(t, err)
	require.False(t, v.Pass)
	require.True(t, v.TimedOut)
	require.Contains(t, v.Failures[0], "did not finish within 20ms: undecided, reported as a failure")
	require.FileExists(t, filepath.Join(dir, "test-000-_r.html"))
}

func TestCheckRefusesMalformedHistory(t *testing.T) {
	tests := []struct {
		name string
		h    history.History
		why  string
	}{
		{"upload without changesets", history.History{Uploads: []history.Upload{{Client: "a", Realm: "/r", File: 1, Call: 1, Return: 2, Outcome: history.OutcomeOK}}},
			"upload 0: no changesets"},
		{"changeset of another file", history.History{Uploads: []history.Upload{{Client: "a", Realm: "/r", File: 1, IDs: ids(2, 1), Call: 1, Return: 2, Outcome: history.OutcomeUnknown}}},
			"changeset 2:1 is not the next of file 1"},
		{"return before call", history.History{Downloads: []history.Download{{Client: "a", Realm: "/r", Call: 5, Return: 4, Outcome: history.OutcomeUnknown}}},
			"download 0: call 5 and return 4 are not an interval"},
		{"acknowledged without a reply", history.History{Uploads: []history.Upload{{Client: "a", Realm: "/r", File: 1, IDs: ids(1, 1), Call: 1, Return: history.Infinite, Outcome: history.OutcomeOK, Acked: 1}}},
			`upload 0: outcome "ok" without a reply`},
		{"transient is not a reset code", history.History{Downloads: []history.Download{{Client: "a", Realm: "/r", Call: 1, Return: 2, Outcome: history.OutcomeReset, Code: "transient"}}},
			`download 0: "transient" is not a reset code`},
		{"restore without a backup", history.History{Restores: []history.Restore{{Realm: "/r", Backup: 7, At: 5}}},
			`restore 0: no backup 7 of realm "/r" before it`},
		{"deadline before heal", history.History{Convergence: &history.Convergence{HealAt: 10, Deadline: 5}},
			"deadline 5 before heal 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Check(&tt.h, Options{})
			require.ErrorContains(t, err, tt.why)
		})
	}
}

func TestByRealmSplitsAndSharesGlobalFaults(t *testing.T) {
	h := &history.History{
		Uploads: []history.Upload{{Realm: "/b", Client: "x"}, {Realm: "/a", Client: "y"}},
		Faults:  []history.Fault{{Kind: "partition", At: 1}, {Kind: "restore", Realm: "/b", At: 2}},
		Convergence: &history.Convergence{HealAt: 1, Deadline: 2,
			Servers: []history.ServerState{{Realm: "/a", Hash: "1"}, {Realm: "/b", Hash: "2"}}},
	}
	parts := h.ByRealm()
	require.Len(t, parts, 2)
	require.Equal(t, "/a", parts[0].Realm)
	require.Equal(t, "/b", parts[1].Realm)
	require.Equal(t, "y", parts[0].History.Uploads[0].Client)
	require.Len(t, parts[0].History.Faults, 1)
	require.Len(t, parts[1].History.Faults, 2)
	require.Equal(t, []history.ServerState{{Realm: "/b", Hash: "2"}}, parts[1].History.Convergence.Servers)
}

func TestHistoryRoundTripsThroughJSON(t *testing.T) {
	h := build(basic, backupAt2, concurrent, restore, restoreThenResets, func(h *hist) {
		h.lostUpload("a", 3, salt2, 160, 2)
		publish(h, "a", 0, 10, id(1, 1))
		h.Convergence = &history.Convergence{HealAt: 1, Deadline: 2, Replicas: []history.Replica{{Client: "a", Realm: testRealm, ReachedAt: history.Infinite}}}
	})
	b, err := json.Marshal(h)
	require.NoError(t, err)
	var back history.History
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, h, &back)
}
