package oracle

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/syncsim/syncsim/history"
)

// A history using every record the new oracles read survives JSON, and
// ByRealm splits them.
func TestNewRecordsRoundTripThroughJSONAndSplitByRealm(t *testing.T) {
	st := history.PlainState{Schema: testSchema, Objects: map[string]history.PlainObject{
		t1: {Class: "Task", Fields: map[string]history.Value{"title": history.Str("x"), "owner": history.Link(p1), "done": history.Int(2)},
			Lists: map[string][]history.Value{"tags": strs("a", "b")}},
		p1: {Class: "Person", Fields: map[string]history.Value{"name": {Kind: history.KindDouble, Float: 1.5}}},
	}}
	h := build(func(h *hist) {
		h.write(1, "a", id(1, 1), 10, 10, create(t1), setDefault(t1, "title", history.Str("x")), set(t1, "owner", history.Link(p1)))
		h.read("a", t1, "title", history.Str("x"), 20)
		h.Backups = append(h.Backups, history.Backup{Realm: testRealm, ID: 1, At: 1})
		h.Restores = append(h.Restores, history.Restore{Realm: testRealm, Backup: 1, At: 30})
		h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Call: 40, Return: 50, OldFile: 1, NewFile: 3,
			RecoveredAs: id(3, 1), RecoveryTimestamp: 45})
		h.ResetChecks = append(h.ResetChecks, history.ResetCheck{Client: "a", Realm: testRealm, Call: 40, Mode: history.ModeRecover,
			Code: history.CodeDivergingHistories, Pending: history.ModeDiscard, Outcome: history.ResetRecovered, Fresh: &st,
			Unsynced: []history.PlainChangeset{cs(1, mk(t1), ins(t1, "tags", 0, 0, history.Str("a")), addInt(t1, "done", 2))},
			Before:   st, After: st, Backup: &history.BackupCopy{State: st, Unsynced: ids(1, 1)}})
		h.Reverts = append(h.Reverts, history.Revert{Client: "a", Realm: testRealm, Changeset: id(1, 1), Object: t1, At: 60})
		h.Convergence = &history.Convergence{HealAt: 1, Deadline: 2, Final: []history.FinalState{{Realm: testRealm, PlainState: st}}}
	})
	h.Writes = append(h.Writes, history.Write{Client: "b", Realm: "/other", ID: 2, Changeset: id(1, 1), Call: 1, Return: 1})
	require.NoError(t, h.Validate())
	b, err := json.Marshal(h)
	require.NoError(t, err)
	var back history.History
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, h, &back)

	parts := h.ByRealm()
	require.Len(t, parts, 2)
	require.Equal(t, "/other", parts[0].Realm)
	require.Len(t, parts[0].History.Writes, 1)
	r := parts[1].History
	require.Len(t, r.Writes, 1)
	require.Len(t, r.ResetChecks, 1)
	require.Len(t, r.Reverts, 1)
	require.Len(t, r.Convergence.Final, 1)
	require.Empty(t, parts[0].History.Convergence.Final)
}

func TestValidateRefusesMalformedNewRecords(t *testing.T) {
	tests := []struct {
		name string
		h    history.History
		why  string
	}{
		{"write without a changeset", history.History{Writes: []history.Write{{Client: "a", Realm: "/r", ID: 1}}}, "write 0: no changeset"},
		{"write id taken twice", history.History{Writes: []history.Write{{Client: "a", Realm: "/r", ID: 1, Changeset: id(1, 1)},
			{Client: "a", Realm: "/r", ID: 1, Changeset: id(1, 2)}}}, "write 1: id 1 taken twice"},
		{"unknown effect", history.History{Writes: []history.Write{{Client: "a", Realm: "/r", ID: 1, Changeset: id(1, 1),
			Fields: []history.FieldValue{{Object: t1, Op: "rename"}}}}}, `effect "rename"`},
		{"read of no object", history.History{Reads: []history.Read{{Client: "a", Realm: "/r"}}}, "read 0: no client, realm or object"},
		{"reset mode", history.History{Resets: []history.Reset{{Client: "a", Realm: "/r", Mode: "eager", Outcome: history.ResetManual}}}, `mode "eager"`},
		{"pending manual", history.History{ResetChecks: []history.ResetCheck{{Mode: history.ModeRecover, Outcome: history.ResetManual, Pending: history.ModeManual}}}, `pending "manual"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorContains(t, tt.h.Validate(), tt.why)
		})
	}
}
