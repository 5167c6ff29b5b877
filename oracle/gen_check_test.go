package oracle

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/syncsim/syncsim/history"
	"pgregory.net/rapid"
)

func drawHistory(t *rapid.T) *history.History {
	return generate(genConfig{
		seed:       rapid.Uint64().Draw(t, "seed"),
		clients:    rapid.IntRange(1, 4).Draw(t, "clients"),
		changesets: rapid.IntRange(1, 30).Draw(t, "changesets"),
		drops:      rapid.IntRange(0, 4).Draw(t, "drops"),
	})
}

// Histories of a correct server pass every oracle.
func TestGeneratedCorrectHistoriesPass(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rep, err := Check(drawHistory(t), Options{})
		require.NoError(t, err)
		require.True(t, rep.Pass(), "%v", rep.Verdicts)
	})
}

// The same histories with one observation corrupted fail the oracle that
// judges it: each corruption below is a violation whatever the history.
func TestGeneratedHistoriesWithAViolationFail(t *testing.T) {
	corruptions := []struct {
		name   string
		oracle Oracle
		apply  func(t *rapid.T, h *history.History) bool // false: nothing to corrupt
	}{
		{"download repeating an entry", OracleSyncLog, func(t *rapid.T, h *history.History) bool {
			d := pick(t, h.Downloads, func(d history.Download) bool { return len(d.Entries) > 0 })
			if d == nil {
				return false
			}
			i := rapid.IntRange(0, len(d.Entries)-1).Draw(t, "entry")
			d.Entries = append(d.Entries[:i+1], d.Entries[i:]...)
			return true
		}},
		{"download containing the client's own changeset", OracleSyncLog, func(t *rapid.T, h *history.History) bool {
			d := pick(t, h.Downloads, func(d history.Download) bool { return d.To.ServerVersion > 0 })
			if d == nil {
				return false
			}
			d.Entries = append(d.Entries, history.Entry{ServerVersion: d.To.ServerVersion, ID: history.ChangesetID{File: d.File, Version: 1}})
			return true
		}},
		{"acknowledgement of a changeset never sent", OracleSyncLog, func(t *rapid.T, h *history.History) bool {
			d := pick(t, h.Downloads, func(history.Download) bool { return true })
			if d == nil {
				return false
			}
			for _, u := range h.Uploads {
				if u.File == d.File {
					d.Acked = max(d.Acked, u.IDs[len(u.IDs)-1].Version)
				}
			}
			d.Acked++
			return true
		}},
		{"published changeset missing from a later download complete", OracleVisibility, func(t *rapid.T, h *history.History) bool {
			type pair struct{ p, o int }
			var pairs []pair
			for i, p := range h.WaitUploads {
				for j, o := range h.WaitDownloads {
					if p.Outcome == history.WaitCompleted && o.Outcome == history.WaitCompleted && len(p.Covered) > 0 && p.Return < o.Call {
						pairs = append(pairs, pair{i, j})
					}
				}
			}
			if len(pairs) == 0 {
				return false
			}
			pr := pairs[rapid.IntRange(0, len(pairs)-1).Draw(t, "pair")]
			gone := h.WaitUploads[pr.p].Covered[rapid.IntRange(0, len(h.WaitUploads[pr.p].Covered)-1).Draw(t, "id")]
			o := &h.WaitDownloads[pr.o]
			o.Integrated = slices.DeleteFunc(slices.Clone(o.Integrated), func(id history.ChangesetID) bool { return id == gone })
			return true
		}},
	}
	for _, c := range corruptions {
		t.Run(c.name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				h := drawHistory(t)
				if !c.apply(t, h) {
					t.Skip("nothing to corrupt")
				}
				rep, err := Check(h, Options{})
				require.NoError(t, err)
				v, _ := rep.Verdict(c.oracle)
				require.False(t, v.Pass)
				require.False(t, v.TimedOut, "%v", v.Failures)
			})
		})
	}
}

// pick draws one element of xs that satisfies ok (nil if none does).
func pick[T any](t *rapid.T, xs []T, ok func(T) bool) *T {
	var idx []int
	for i, x := range xs {
		if ok(x) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	return &xs[idx[rapid.IntRange(0, len(idx)-1).Draw(t, "pick")]]
}
