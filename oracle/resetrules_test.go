package oracle

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/syncsim/syncsim/history"
)

// Instructions of the plain model.
func in(op history.InstrOp, object, field string) history.PlainInstruction {
	class, _, _ := strings.Cut(object, "[")
	return history.PlainInstruction{Op: op, Class: class, Object: object, Field: field}
}

func mk(object string) history.PlainInstruction  { return in(history.OpCreateObject, object, "") }
func del(object string) history.PlainInstruction { return in(history.OpEraseObject, object, "") }
func clr(object, field string) history.PlainInstruction {
	return in(history.OpClear, object, field)
}

func upd(object, field string, v history.Value) history.PlainInstruction {
	i := in(history.OpUpdate, object, field)
	i.Value = v
	return i
}

func addInt(object, field string, d int64) history.PlainInstruction {
	i := in(history.OpAddInteger, object, field)
	i.Delta = d
	return i
}

// ins, eraseAt and move take the list's size before them (PriorSize).
func ins(object, field string, at, prior uint32, v history.Value) history.PlainInstruction {
	i := in(history.OpArrayInsert, object, field)
	i.Index, i.PriorSize, i.Value = at, prior, v
	return i
}

func setAt(object, field string, at uint32, v history.Value) history.PlainInstruction {
	i := upd(object, field, v)
	i.Index, i.InList = at, true
	return i
}

func eraseAt(object, field string, at, prior uint32) history.PlainInstruction {
	i := in(history.OpArrayErase, object, field)
	i.Index, i.PriorSize = at, prior
	return i
}

func move(object, field string, from, to, prior uint32) history.PlainInstruction {
	i := in(history.OpArrayMove, object, field)
	i.Index, i.To, i.PriorSize = from, to, prior
	return i
}

func cs(version uint64, instrs ...history.PlainInstruction) history.PlainChangeset {
	return history.PlainChangeset{ID: id(1, version), Timestamp: int64(version), Instructions: instrs}
}

func strs(ss ...string) []history.Value {
	out := make([]history.Value, len(ss))
	for i, s := range ss {
		out[i] = history.Str(s)
	}
	return out
}

func TestResetReference(t *testing.T) {
	type objs = map[string]history.PlainObject
	task := func(f fields, l lists) history.PlainObject { return obj("Task", f, l) }
	person := func() history.PlainObject { return obj("Person", nil, nil) }
	tests := []struct {
		name     string
		rc       history.ResetCheck
		outcome  history.ResetOutcome
		why      string
		expected objs // the state of a recovery or discard
	}{
		{name: "rule 1: objects created locally are kept",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(nil, nil)})),
				Before:   state(objs{t1: task(nil, nil), t2: task(fields{"title": history.Str("new")}, nil)}),
				Unsynced: []history.PlainChangeset{cs(1, mk(t2), upd(t2, "title", history.Str("new")))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(nil, nil), t2: task(fields{"title": history.Str("new")}, nil)}},
		{name: "rule 1: a local create of an object the server has too keeps the server's values",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(fields{"title": history.Str("server")}, lists{"tags": strs("s")})})),
				Before:   state(objs{t1: task(nil, nil)}),
				Unsynced: []history.PlainChangeset{cs(1, mk(t1))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(fields{"title": history.Str("server")}, lists{"tags": strs("s")})}},
		{name: "rule 2: an object deleted on the server and updated locally stays deleted",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(nil)),
				Before:   state(objs{t1: task(fields{"title": history.Str("local")}, nil)}),
				Unsynced: []history.PlainChangeset{cs(1, upd(t1, "title", history.Str("local")), addInt(t1, "done", 1), ins(t1, "tags", 0, 0, history.Str("a")))}},
			outcome: history.ResetRecovered, expected: objs{}},
		{name: "rule 3: an object deleted locally is deleted",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(fields{"title": history.Str("server")}, nil), t2: task(nil, nil)})),
				Before:   state(objs{t2: task(nil, nil)}),
				Unsynced: []history.PlainChangeset{cs(1, del(t1))}},
			outcome: history.ResetRecovered, expected: objs{t2: task(nil, nil)}},
		{name: "rule 4: conflicting updates of a field: the client wins",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(fields{"title": history.Str("server"), "done": history.Int(5)}, nil)})),
				Before:   state(objs{t1: task(fields{"title": history.Str("local"), "done": history.Int(2)}, nil)}),
				Unsynced: []history.PlainChangeset{cs(1, upd(t1, "title", history.Str("local"))), cs(2, addInt(t1, "done", 2))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(fields{"title": history.Str("local"), "done": history.Int(7)}, nil)}},
		{name: "rule 5: an insert goes to min(local index, the list's size), not to the end, and ops on them are translated",
			// local [s1 s2]: append l1, insert l0 at 0 → [l0 s1 s2 l1]; set index 3 (l1) to L1.
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(nil, lists{"tags": strs("s1", "s2", "s3")})})),
				Before: state(objs{t1: task(nil, lists{"tags": strs("l0", "s1", "s2", "L1")})}),
				Unsynced: []history.PlainChangeset{cs(1, ins(t1, "tags", 2, 2, history.Str("l1")), ins(t1, "tags", 0, 3, history.Str("l0"))),
					cs(2, setAt(t1, "tags", 3, history.Str("L1")))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(nil, lists{"tags": strs("l0", "s1", "s2", "L1", "s3")})}},
		{name: "rule 5: an insert between pre-existing elements goes after as many of the server's own elements",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(nil, lists{"tags": strs("s0", "x", "s1", "s2")})})),
				Before:   state(objs{t1: task(nil, lists{"tags": strs("s0", "s1", "l", "s2")})}),
				Unsynced: []history.PlainChangeset{cs(1, ins(t1, "tags", 2, 3, history.Str("l")))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(nil, lists{"tags": strs("s0", "x", "l", "s1", "s2")})}},
		{name: "rule 5: an insert next to an inserted element stays next to it",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(nil, lists{"tags": strs("s1", "s2", "s3")})})),
				Before:   state(objs{t1: task(nil, lists{"tags": strs("s1", "a", "b", "s2", "s3")})}),
				Unsynced: []history.PlainChangeset{cs(1, ins(t1, "tags", 1, 3, history.Str("a")), ins(t1, "tags", 2, 4, history.Str("b")))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(nil, lists{"tags": strs("s1", "a", "b", "s2", "s3")})}},
		{name: "rule 5: an insert that pushes an inserted element right stays before it",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(nil, lists{"tags": strs("s1", "s2", "s3")})})),
				Before:   state(objs{t1: task(nil, lists{"tags": strs("s1", "s2", "b", "a")})}),
				Unsynced: []history.PlainChangeset{cs(1, ins(t1, "tags", 2, 2, history.Str("a")), ins(t1, "tags", 2, 3, history.Str("b")))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(nil, lists{"tags": strs("s1", "s2", "b", "a", "s3")})}},
		{name: "rule 5: a move of an inserted element is translated",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(nil, lists{"tags": strs("s1", "s2", "s3")})})),
				Before:   state(objs{t1: task(nil, lists{"tags": strs("a", "s1", "s2")})}),
				Unsynced: []history.PlainChangeset{cs(1, ins(t1, "tags", 2, 2, history.Str("a")), move(t1, "tags", 2, 0, 3))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(nil, lists{"tags": strs("a", "s1", "s2", "s3")})}},
		{name: "rule 5: an insert past the end of the server's shorter list appends",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(nil, lists{"tags": strs("s1")})})),
				Before:   state(objs{t1: task(nil, lists{"tags": strs("s1", "s2", "s3", "m")})}),
				Unsynced: []history.PlainChangeset{cs(1, ins(t1, "tags", 3, 3, history.Str("l")), eraseAt(t1, "tags", 3, 4), ins(t1, "tags", 3, 3, history.Str("m")))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(nil, lists{"tags": strs("s1", "m")})}},
		{name: "rule 5: elements downloaded between local changesets are taken as appended",
			// local [s1 s2]: insert a at 1; then s3 arrives: [s1 a s2 s3]; append b; set a (index 1) to A.
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(nil, lists{"tags": strs("s1", "s2", "s3")})})),
				Before:   state(objs{t1: task(nil, lists{"tags": strs("s1", "A", "s2", "s3", "b")})}),
				Unsynced: []history.PlainChangeset{cs(1, ins(t1, "tags", 1, 2, history.Str("a"))), cs(2, ins(t1, "tags", 4, 4, history.Str("b")), setAt(t1, "tags", 1, history.Str("A")))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(nil, lists{"tags": strs("s1", "A", "s2", "s3", "b")})}},
		{name: "rule 5: a list that shrank over an inserted element between local changesets is copied",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(nil, lists{"tags": strs("s2")})})),
				Before:   state(objs{t1: task(nil, lists{"tags": strs("b", "a")})}),
				Unsynced: []history.PlainChangeset{cs(1, ins(t1, "tags", 1, 1, history.Str("a"))), cs(2, ins(t1, "tags", 0, 1, history.Str("b")))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(nil, lists{"tags": strs("b", "a")})}},
		{name: "rule 5: an update of a pre-existing element copies the local list",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(nil, lists{"tags": strs("s1", "s2", "s3")})})),
				Before:   state(objs{t1: task(nil, lists{"tags": strs("x", "s2")})}),
				Unsynced: []history.PlainChangeset{cs(1, setAt(t1, "tags", 0, history.Str("x")), ins(t1, "tags", 2, 2, history.Str("ignored")))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(nil, lists{"tags": strs("x", "s2")})}},
		{name: "rule 5: an erase of a pre-existing element copies the local list",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(nil, lists{"tags": strs("s0", "s1", "s2")})})),
				Before:   state(objs{t1: task(nil, lists{"tags": strs("s1")})}),
				Unsynced: []history.PlainChangeset{cs(1, eraseAt(t1, "tags", 0, 2))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(nil, lists{"tags": strs("s1")})}},
		{name: "rule 5: a marked list of an object the replica no longer has is not copied: the fresh one stays",
			// a downloaded erase removed t1 locally after the local list erase; the server has t1
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(nil, lists{"tags": strs("s0")})})),
				Before:   state(objs{}),
				Unsynced: []history.PlainChangeset{cs(1, eraseAt(t1, "tags", 0, 2))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(nil, lists{"tags": strs("s0")})}},
		{name: "rule 5: a move of a pre-existing element copies the local list",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(nil, lists{"tags": strs("a", "b", "c")})})),
				Before:   state(objs{t1: task(nil, lists{"tags": strs("b", "a")})}),
				Unsynced: []history.PlainChangeset{cs(1, move(t1, "tags", 0, 1, 2))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(nil, lists{"tags": strs("b", "a")})}},
		{name: "rule 5: a copied list drops links to objects deleted on the server",
			rc: history.ResetCheck{Mode: history.ModeRecover,
				Fresh:    ptr(state(objs{t1: task(nil, lists{"watchers": {history.Link(p1), history.Link(p2)}}), p1: person()})),
				Before:   state(objs{t1: task(nil, lists{"watchers": {history.Link(p2), history.Link(p1)}}), p1: person(), p2: person()}),
				Unsynced: []history.PlainChangeset{cs(1, move(t1, "watchers", 1, 0, 2))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(nil, lists{"watchers": {history.Link(p1)}}), p1: person()}},
		{name: "rule 5: a local clear replays as a clear",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(nil, lists{"tags": strs("s1", "s2", "s3")})})),
				Before:   state(objs{t1: task(nil, lists{"tags": strs("n")})}),
				Unsynced: []history.PlainChangeset{cs(1, eraseAt(t1, "tags", 0, 1), clr(t1, "tags"), ins(t1, "tags", 0, 0, history.Str("n")))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(nil, lists{"tags": strs("n")})}},
		{name: "no zombies: objects the server deleted are not re-created by updates or links",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t1: task(nil, nil)})),
				Before:   state(objs{t1: task(fields{"owner": history.Link(p1)}, lists{"watchers": {history.Link(p1)}}), p1: obj("Person", fields{"name": history.Str("n")}, nil)}),
				Unsynced: []history.PlainChangeset{cs(1, upd(p1, "name", history.Str("n")), upd(t1, "owner", history.Link(p1)), ins(t1, "watchers", 0, 0, history.Link(p1)))}},
			outcome: history.ResetRecovered, expected: objs{t1: task(fields{"owner": history.Link(p1)}, lists{"watchers": {history.Link(p1)}})}}, // dangling: read as null, hidden
		{name: "recover with no local changes ends at the fresh state",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(objs{t2: task(nil, nil)})),
				Before: state(objs{t1: task(nil, nil)})},
			outcome: history.ResetRecovered, expected: objs{t2: task(nil, nil)}},
		{name: "discard: the fresh state",
			rc: history.ResetCheck{Mode: history.ModeDiscard, Fresh: ptr(state(objs{t1: task(fields{"title": history.Str("server")}, nil)})),
				Before:   state(objs{t1: task(fields{"title": history.Str("local")}, nil), t2: task(nil, nil)}),
				Unsynced: []history.PlainChangeset{cs(1, upd(t1, "title", history.Str("local")), mk(t2))}},
			outcome: history.ResetDiscarded, expected: objs{t1: task(fields{"title": history.Str("server")}, nil)}},
		{name: "manual mode: manual", rc: history.ResetCheck{Mode: history.ModeManual}, outcome: history.ResetManual, why: "the mode is manual"},
		{name: "fallback: a breaking schema change goes manual whatever the mode",
			rc:      history.ResetCheck{Mode: history.ModeRecoverOrDiscard, Code: history.CodeSchemaChange, NoRecovery: true, Fresh: ptr(state(nil))},
			outcome: history.ResetManual, why: "a breaking schema change"},
		{name: "fallback: a local class the fresh copy lacks goes manual, in discard mode too",
			rc: history.ResetCheck{Mode: history.ModeDiscard, Fresh: &history.PlainState{Schema: map[string]history.PlainClass{"Task": testSchema["Task"]}},
				Before: state(nil)},
			outcome: history.ResetManual, why: "the fresh copy lacks local class Person"},
		{name: "fallback: a local property of another type goes manual",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: &history.PlainState{Schema: map[string]history.PlainClass{"Task": testSchema["Task"],
				"Person": {PK: history.KindString, Props: map[string]history.PlainProp{"name": {Kind: history.KindInt}}}}},
				Before: state(nil)},
			outcome: history.ResetManual, why: "local property Person.name is string, in the fresh copy int"},
		{name: "fallback: recovery disabled while the mode is recover goes manual",
			rc:      history.ResetCheck{Mode: history.ModeRecover, NoRecovery: true, Fresh: ptr(state(nil))},
			outcome: history.ResetManual, why: "recovery is not allowed"},
		{name: "fallback: recovery disabled while the mode is recoverOrDiscard discards",
			rc: history.ResetCheck{Mode: history.ModeRecoverOrDiscard, NoRecovery: true, Fresh: ptr(state(nil)),
				Before: state(objs{t1: task(nil, nil)}), Unsynced: []history.PlainChangeset{cs(1, mk(t1))}},
			outcome: history.ResetDiscarded, why: "recovery is not allowed: discard", expected: objs{}},
		{name: "fallback: unsynced changes erasing a class cannot be recovered",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: ptr(state(nil)), Before: state(nil),
				Unsynced: []history.PlainChangeset{cs(1, history.PlainInstruction{Op: history.OpEraseTable, Class: "Old"})}},
			outcome: history.ResetManual, why: "erase a class or property"},
		{name: "pending: discard after a pending discard goes manual",
			rc: history.ResetCheck{Mode: history.ModeDiscard, Pending: history.ModeDiscard}, outcome: history.ResetManual, why: "earlier discard is still pending"},
		{name: "pending: recover after a pending recover goes manual",
			rc: history.ResetCheck{Mode: history.ModeRecover, Pending: history.ModeRecover}, outcome: history.ResetManual, why: "earlier recovery is still pending"},
		{name: "pending: recover after a pending discard goes manual",
			rc: history.ResetCheck{Mode: history.ModeRecover, Pending: history.ModeDiscard}, outcome: history.ResetManual, why: "earlier discard is still pending"},
		{name: "pending: recoverOrDiscard after a pending discard goes manual",
			rc: history.ResetCheck{Mode: history.ModeRecoverOrDiscard, Pending: history.ModeDiscard}, outcome: history.ResetManual, why: "earlier discard is still pending"},
		{name: "pending: recoverOrDiscard after a pending recover discards",
			rc: history.ResetCheck{Mode: history.ModeRecoverOrDiscard, Pending: history.ModeRecover, Fresh: ptr(state(nil)),
				Before: state(objs{t1: task(nil, nil)}), Unsynced: []history.PlainChangeset{cs(1, mk(t1))}},
			outcome: history.ResetDiscarded, why: "an earlier recovery is still pending: discard", expected: objs{}},
		{name: "pending: discard after a pending recover proceeds as discard",
			rc:      history.ResetCheck{Mode: history.ModeDiscard, Pending: history.ModeRecover, Fresh: ptr(state(objs{t2: task(nil, nil)})), Before: state(nil)},
			outcome: history.ResetDiscarded, expected: objs{t2: task(nil, nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExpectReset(&tt.rc)
			require.NoError(t, err)
			require.Equal(t, tt.outcome, got.Outcome)
			require.Contains(t, got.Why, tt.why)
			if tt.outcome == history.ResetManual {
				require.Nil(t, got.State)
				return
			}
			want := state(tt.expected)
			require.Equal(t, want, *got.State, "expected state, as stored")
		})
	}
}

func ptr[T any](v T) *T { return &v }

// The oracle compares each recorded reset with the reference.
func TestClientResetOracle(t *testing.T) {
	type objs = map[string]history.PlainObject
	task := func(title string) history.PlainObject { return obj("Task", fields{"title": history.Str(title)}, nil) }
	fresh := state(objs{t1: task("server")})
	before := state(objs{t1: task("local"), t2: obj("Task", nil, nil)})
	unsynced := []history.PlainChangeset{cs(1, upd(t1, "title", history.Str("local"))), cs(2, mk(t2))}
	recovered := state(objs{t1: task("local"), t2: obj("Task", nil, nil)})
	base := func(mode history.ResetMode, outcome history.ResetOutcome, after history.PlainState) history.ResetCheck {
		return history.ResetCheck{Client: "a", Realm: testRealm, Call: 100, Mode: mode, Code: history.CodeDivergingHistories, Outcome: outcome,
			Fresh: ptr(fresh.Clone()), Unsynced: unsynced, Before: before.Clone(), After: after}
	}
	manual := base(history.ModeManual, history.ResetManual, before.Clone())
	manual.Fresh = nil
	manual.Backup = &history.BackupCopy{State: before.Clone(), Unsynced: ids(1, 1, 2)}
	tests := []struct {
		name  string
		rc    history.ResetCheck
		reset *history.Reset
		why   string // "" for a reset that follows the rules
	}{
		{name: "a recovery that ends at the reference state passes", rc: base(history.ModeRecover, history.ResetRecovered, recovered)},
		{name: "a recovery that lost a local change fails", rc: base(history.ModeRecover, history.ResetRecovered, fresh.Clone()),
			why: `after recover: Task[1].title = "server", want "local"; after recover: object Task[2] missing`},
		{name: "a recovery that brought back an object the server deleted fails",
			rc: func() history.ResetCheck {
				rc := base(history.ModeRecover, history.ResetRecovered, state(objs{t1: task("local"), t2: obj("Task", nil, nil), p1: obj("Person", nil, nil)}))
				rc.Unsynced = append(rc.Unsynced, cs(3, upd(p1, "name", history.Str(""))))
				return rc
			}(),
			why: `object Person["p1"] should not exist`},
		{name: "a discard that ends at the fresh state and reports the changesets passes", rc: base(history.ModeDiscard, history.ResetDiscarded, fresh.Clone()),
			reset: &history.Reset{Client: "a", Realm: testRealm, Call: 100, Return: 120, Discarded: ids(1, 1, 2)}},
		{name: "a discard that kept a local change fails", rc: base(history.ModeDiscard, history.ResetDiscarded, recovered),
			why: `after discard: Task[1].title = "local", want "server"`},
		{name: "a discard that did not report a discarded changeset fails", rc: base(history.ModeDiscard, history.ResetDiscarded, fresh.Clone()),
			reset: &history.Reset{Client: "a", Realm: testRealm, Call: 100, Return: 120, Discarded: ids(1, 1)},
			why:   "it did not report discarding unsynced changeset 1:2"},
		{name: "a manual reset that left the state alone with a full backup passes", rc: manual},
		{name: "a manual reset that touched the local state fails",
			rc:  func() history.ResetCheck { rc := manual; rc.After = fresh.Clone(); return rc }(),
			why: `it touched the local state: Task[1].title = "server", want "local"`},
		{name: "a manual reset whose backup copy lacks an unsynced changeset fails",
			rc: func() history.ResetCheck {
				rc := manual
				rc.Backup = &history.BackupCopy{State: before.Clone(), Unsynced: ids(1, 1)}
				return rc
			}(),
			why: "the backup copy lacks unsynced changeset 1:2"},
		{name: "a manual reset without a backup copy fails",
			rc:  func() history.ResetCheck { rc := manual; rc.Backup = nil; return rc }(),
			why: "no backup copy recorded"},
		{name: "recovering when the rules fall back to manual fails",
			rc: func() history.ResetCheck {
				rc := base(history.ModeRecover, history.ResetRecovered, recovered)
				rc.NoRecovery = true
				return rc
			}(),
			why: "outcome recovered, want manual: recovery is not allowed"},
		{name: "going manual when recovery could proceed fails", rc: base(history.ModeRecover, history.ResetManual, before.Clone()),
			why: "outcome manual, want recovered: recovery may proceed"},
		{name: "a failed automatic reset that touched nothing passes", rc: base(history.ModeRecover, history.ResetFailed, before.Clone())},
		{name: "a failed automatic reset that touched the state fails", rc: base(history.ModeRecover, history.ResetFailed, fresh.Clone()),
			why: "it touched the local state"},
		{name: "an automatic reset without its fresh copy cannot be judged: a failure",
			rc: func() history.ResetCheck {
				rc := base(history.ModeDiscard, history.ResetDiscarded, fresh.Clone())
				rc.Fresh = nil
				return rc
			}(),
			why: "outcome discarded, but the reference needs the fresh copy: no fresh copy recorded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &history.History{ResetChecks: []history.ResetCheck{tt.rc}}
			if tt.reset != nil {
				h.Resets = []history.Reset{*tt.reset}
				h.Resets[0].Mode, h.Resets[0].Outcome = tt.rc.Mode, tt.rc.Outcome
			}
			require.NoError(t, h.Validate())
			res := CheckResets(h)
			require.Equal(t, 1, res.Judged)
			if tt.why == "" {
				require.True(t, res.Pass, "%v", res.Failures)
				return
			}
			require.False(t, res.Pass)
			require.Len(t, res.Failures, 1)
			require.Contains(t, res.Failures[0], tt.why)
			require.Contains(t, res.Failures[0], "realm /r: a's reset at 100")
		})
	}
}

// Schema instructions (AddTable, AddColumn).
func addTable(class, pk string) history.PlainInstruction {
	return history.PlainInstruction{Op: history.OpAddTable, Class: class, PK: pk}
}

func addColumn(class, field string, p history.PlainProp) history.PlainInstruction {
	return history.PlainInstruction{Op: history.OpAddColumn, Class: class, Field: field, Prop: &p}
}

// Rule 5 against the state the reset would end at: a recovery checks the
// local schema against the fresh copy plus the classes and properties the
// unsynced changes add (replayed like local creations), a discard against
// the fresh copy alone.
func TestResetReferenceSchemaRule(t *testing.T) {
	type objs = map[string]history.PlainObject
	type schema = map[string]history.PlainClass
	title := history.PlainProp{Kind: history.KindString, Nullable: true}
	taskOnly := schema{"Task": {PK: history.KindInt, Props: map[string]history.PlainProp{"title": title}}}
	// A schema created locally and never synced: the fresh copy has none.
	created := history.PlainState{Schema: taskOnly, Objects: objs{t1: {Class: "Task", Fields: map[string]history.Value{"title": history.Str("x")}, Lists: map[string][]history.Value{}}}}
	createdLocally := []history.PlainChangeset{cs(1, addTable("Task", history.KindInt), addColumn("Task", "title", title), mk(t1), upd(t1, "title", history.Str("x")))}
	// Columns added locally to a class the fresh copy has objects of.
	wide := schema{"Task": {PK: history.KindInt, Props: map[string]history.PlainProp{"title": title,
		"note":  {Kind: history.KindString, Nullable: true},
		"owner": {Kind: history.KindLink, Nullable: true, Target: "Person"},
		"done":  {Kind: history.KindInt},
		"tags":  {Kind: history.KindString, List: true},
	}}, "Person": {PK: history.KindString, Props: map[string]history.PlainProp{}}}
	narrow := schema{"Task": taskOnly["Task"], "Person": wide["Person"]}
	serverTask := func(f map[string]history.Value) history.PlainObject {
		return history.PlainObject{Class: "Task", Fields: f, Lists: map[string][]history.Value{}}
	}
	tests := []struct {
		name     string
		rc       history.ResetCheck
		outcome  history.ResetOutcome
		why      string
		expected *history.PlainState // the state of a recovery or discard
	}{
		{name: "rule 5: a recovery replays a class and property created locally, with the object",
			rc:      history.ResetCheck{Mode: history.ModeRecover, Fresh: &history.PlainState{}, Before: created, Unsynced: createdLocally},
			outcome: history.ResetRecovered, expected: &created},
		{name: "rule 5: a discard checks the fresh copy alone: a class created locally goes manual",
			rc:      history.ResetCheck{Mode: history.ModeDiscard, Fresh: &history.PlainState{}, Before: created, Unsynced: createdLocally},
			outcome: history.ResetManual, why: "the fresh copy lacks local class Task"},
		{name: "rule 5: a local class the fresh copy lacks and no unsynced change adds goes manual in a recovery",
			rc: history.ResetCheck{Mode: history.ModeRecover, Fresh: &history.PlainState{Schema: taskOnly},
				Before:   history.PlainState{Schema: schema{"Task": taskOnly["Task"], "Person": {PK: history.KindString, Props: map[string]history.PlainProp{}}}, Objects: objs{t1: created.Objects[t1]}},
				Unsynced: []history.PlainChangeset{cs(1, mk(t1), upd(t1, "title", history.Str("x")))}},
			outcome: history.ResetManual, why: "the fresh copy lacks local class Person"},
		{name: "rule 5: a property added locally gives the fresh copy's objects its zero value, null for an optional or a link",
			rc: history.ResetCheck{Mode: history.ModeRecover,
				Fresh: &history.PlainState{Schema: narrow, Objects: objs{t1: serverTask(map[string]history.Value{"title": history.Str("s")}), t2: serverTask(map[string]history.Value{"title": {}})}},
				Before: history.PlainState{Schema: wide, Objects: objs{t1: serverTask(map[string]history.Value{"title": history.Str("s"), "note": {}, "owner": {}, "done": history.Int(0)}),
					t2: serverTask(map[string]history.Value{"title": {}, "note": {}, "owner": {}, "done": history.Int(0)})}},
				Unsynced: []history.PlainChangeset{cs(1, addColumn("Task", "note", wide["Task"].Props["note"]), addColumn("Task", "owner", wide["Task"].Props["owner"])),
					cs(2, addColumn("Task", "done", wide["Task"].Props["done"]), addColumn("Task", "tags", wide["Task"].Props["tags"]))}},
			outcome: history.ResetRecovered,
			expected: &history.PlainState{Schema: wide, Objects: objs{
				t1: serverTask(map[string]history.Value{"title": history.Str("s"), "note": {}, "owner": {}, "done": history.Int(0)}),
				t2: serverTask(map[string]history.Value{"title": {}, "note": {}, "owner": {}, "done": history.Int(0)})}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deep := func(s *history.PlainState) history.PlainState {
				c := s.Clone()
				c.Schema = cloneSchema(s.Schema)
				return c
			}
			fresh := deep(tt.rc.Fresh)
			got, err := ExpectReset(&tt.rc)
			require.NoError(t, err)
			require.Equal(t, tt.outcome, got.Outcome, got.Why)
			require.Contains(t, got.Why, tt.why)
			require.Equal(t, fresh, deep(tt.rc.Fresh), "the reference must not change the fresh copy")
			// The oracle judges a replica that ended where the reference says.
			rc := tt.rc
			rc.Client, rc.Realm, rc.Call, rc.Code, rc.Outcome = "a", testRealm, 100, history.CodeDivergingHistories, tt.outcome
			if tt.outcome == history.ResetManual {
				require.Nil(t, got.State)
				rc.After = tt.rc.Before
				rc.Backup = &history.BackupCopy{State: tt.rc.Before}
				for _, c := range tt.rc.Unsynced {
					rc.Backup.Unsynced = append(rc.Backup.Unsynced, c.ID)
				}
			} else {
				require.Equal(t, *tt.expected, *got.State, "expected state, as stored")
				rc.After = *tt.expected
			}
			res := CheckResets(&history.History{ResetChecks: []history.ResetCheck{rc}})
			require.True(t, res.Pass, "%v", res.Failures)
			if tt.outcome == history.ResetRecovered {
				// One that ended at the fresh copy lost the local schema.
				rc.After = tt.rc.Fresh.Clone()
				res = CheckResets(&history.History{ResetChecks: []history.ResetCheck{rc}})
				require.False(t, res.Pass)
				require.Contains(t, res.Failures[0], "after recover: class Task ")
			}
		})
	}
}
