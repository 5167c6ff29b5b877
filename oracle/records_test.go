package oracle

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// A history using every record the new oracles read survives JSON, and
// ByRealm splits them.
func TestNewRecordsRoundTripThroughJSONAndSplitByRealm(t *testing.T) {
	st := PlainState{Schema: testSchema, Objects: map[string]PlainObject{
		t1: {Class: "Task", Fields: map[string]Value{"title": Str("x"), "owner": Link(p1), "done": Int(2)},
			Lists: map[string][]Value{"tags": strs("a", "b")}},
		p1: {Class: "Person", Fields: map[string]Value{"name": {Kind: KindDouble, Float: 1.5}}},
	}}
	h := build(func(h *hist) {
		h.write(1, "a", id(1, 1), 10, 10, create(t1), setDefault(t1, "title", Str("x")), set(t1, "owner", Link(p1)))
		h.read("a", t1, "title", Str("x"), 20)
		h.Backups = append(h.Backups, Backup{Realm: testRealm, ID: 1, At: 1})
		h.Restores = append(h.Restores, Restore{Realm: testRealm, Backup: 1, Salt: salt2, At: 30, RolledBack: ids(1, 1)})
		h.reset(Reset{Client: "a", Mode: ModeRecover, Outcome: ResetRecovered, Call: 40, Return: 50, OldFile: 1, NewFile: 3,
			RecoveredAs: id(3, 1), RecoveryTimestamp: 45})
		h.ResetChecks = append(h.ResetChecks, ResetCheck{Client: "a", Realm: testRealm, Call: 40, Mode: ModeRecover,
			Code: CodeDivergingHistories, Pending: ModeDiscard, Outcome: ResetRecovered, Fresh: &st,
			Unsynced: []PlainChangeset{cs(1, mk(t1), ins(t1, "tags", 0, 0, Str("a")), addInt(t1, "done", 2))},
			Before:   st, After: st, Backup: &BackupCopy{State: st, Unsynced: ids(1, 1)}})
		h.Reverts = append(h.Reverts, Revert{Client: "a", Realm: testRealm, Changeset: id(1, 1), Object: t1, At: 60})
		h.Convergence = &Convergence{HealAt: 1, Deadline: 2, Final: []FinalState{{Realm: testRealm, PlainState: st}}}
	})
	h.Writes = append(h.Writes, Write{Client: "b", Realm: "/other", ID: 2, Changeset: id(1, 1), Call: 1, Return: 1})
	require.NoError(t, h.Validate())
	b, err := json.Marshal(h)
	require.NoError(t, err)
	var back History
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
		h    History
		why  string
	}{
		{"write without a changeset", History{Writes: []Write{{Client: "a", Realm: "/r", ID: 1}}}, "write 0: no changeset"},
		{"write id taken twice", History{Writes: []Write{{Client: "a", Realm: "/r", ID: 1, Changeset: id(1, 1)},
			{Client: "a", Realm: "/r", ID: 1, Changeset: id(1, 2)}}}, "write 1: id 1 taken twice"},
		{"unknown effect", History{Writes: []Write{{Client: "a", Realm: "/r", ID: 1, Changeset: id(1, 1),
			Fields: []FieldValue{{Object: t1, Op: "rename"}}}}}, `effect "rename"`},
		{"read of no object", History{Reads: []Read{{Client: "a", Realm: "/r"}}}, "read 0: no client, realm or object"},
		{"reset mode", History{Resets: []Reset{{Client: "a", Realm: "/r", Mode: "eager", Outcome: ResetManual}}}, `mode "eager"`},
		{"pending manual", History{ResetChecks: []ResetCheck{{Mode: ModeRecover, Outcome: ResetManual, Pending: ModeManual}}}, `pending "manual"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorContains(t, tt.h.Validate(), tt.why)
		})
	}
}
