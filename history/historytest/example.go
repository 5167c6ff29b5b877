// Package historytest builds histories for tests: Example is a small,
// valid history with every kind of record and every field filled, for the
// codec's round trips and the fuzz targets' seed corpora.
package historytest

import "github.com/syncsim/syncsim/history"

// Example returns a new valid history of one realm, /r, written to by
// clients c1 and c2, with every kind of record and (nearly) every field
// set: wire traffic, a backup and a restore, a terminate, a compaction,
// writes, reads, waits, a client reset with its check, a compensating
// write, faults and the convergence record with the final state. It is
// not meant to pass the oracles, only Validate; each call returns a fresh
// copy the caller may change.
func Example() *history.History {
	id := func(file, version uint64) history.ChangesetID {
		return history.ChangesetID{File: file, Version: version}
	}
	schema := map[string]history.PlainClass{
		"Task": {PK: history.KindInt, Props: map[string]history.PlainProp{
			"title": {Kind: history.KindString},
			"score": {Kind: history.KindDouble, Nullable: true},
			"due":   {Kind: history.KindTimestamp, Nullable: true},
			"done":  {Kind: history.KindBool},
			"owner": {Kind: history.KindLink, Target: "Person"},
			"tags":  {Kind: history.KindString, List: true},
		}},
		"Person": {PK: history.KindString, Props: map[string]history.PlainProp{
			"age": {Kind: history.KindInt},
		}},
	}
	task := history.ObjectName("Task", history.Int(1))
	alice := history.ObjectName("Person", history.Str("alice"))
	state := func(title string) history.PlainState {
		return history.PlainState{Schema: schema, Objects: map[string]history.PlainObject{
			task: {Class: "Task",
				Fields: map[string]history.Value{
					"title": history.Str(title),
					"score": {Kind: history.KindDouble, Float: 1.5},
					"due":   {Kind: history.KindTimestamp, Int: 1_700_000_000},
					"done":  {Kind: history.KindBool, Bool: true},
					"owner": history.Link(alice),
				},
				Lists: map[string][]history.Value{"tags": {history.Str("a"), history.Str("b \"quoted\" <html>")}},
			},
			alice: {Class: "Person", Fields: map[string]history.Value{"age": history.Int(-7)}},
		}}
	}
	fresh := state("fresh")
	return &history.History{
		NewFiles: []history.NewFile{
			{Client: "c1", Realm: "/r", File: 1, Salt: 0x101, Call: 10, Return: 20, Seq: history.Seq{CallSeq: 1, ReturnSeq: 2}},
			{Client: "c2", Realm: "/r", File: 2, Salt: 0x102, Call: 10, Return: 25},
		},
		Uploads: []history.Upload{
			{Client: "c1", Realm: "/r", File: 1, FileSalt: 0x101, Epoch: 7, IDs: []history.ChangesetID{id(1, 1), id(1, 2)},
				Call: 30, Return: 40, Outcome: history.OutcomeOK, Acked: 2, Base: 1, Seq: history.Seq{CallSeq: 3, ReturnSeq: 9}},
			{Client: "c2", Realm: "/r", File: 2, FileSalt: 0x102, Epoch: 7, IDs: []history.ChangesetID{id(2, 1)},
				Call: 35, Return: history.Infinite, Outcome: history.OutcomeUnknown},
			{Client: "c2", Realm: "/r", File: 2, FileSalt: 0x102, Epoch: 8, IDs: []history.ChangesetID{id(2, 1)},
				Call: 90, Return: 95, Outcome: history.OutcomeReset, Code: history.CodeDivergingHistories},
		},
		Downloads: []history.Download{
			{Client: "c2", Realm: "/r", File: 2, FileSalt: 0x102, FromSalt: 0, Call: 40, Return: 40, Outcome: history.OutcomeOK,
				Entries: []history.Entry{{ServerVersion: 1, ID: id(1, 1)}, {ServerVersion: 2, ID: id(1, 2)}},
				To:      history.Cursor{ServerVersion: 2, ClientVersion: 0}, Salt: 7, Latest: 2, Received: 45, First: true,
				Seq: history.Seq{CallSeq: 10, ReturnSeq: 10}},
			{Client: "c1", Realm: "/r", File: 1, FileSalt: 0x101, From: history.Cursor{ServerVersion: 2, ClientVersion: 2}, FromSalt: 7,
				Call: 41, Return: 41, Outcome: history.OutcomeOK, To: history.Cursor{ServerVersion: 2, ClientVersion: 2}, Salt: 7, Latest: 2, Acked: 2},
			{Client: "c2", Realm: "/r", File: 2, FileSalt: 0x102, From: history.Cursor{ServerVersion: 2}, FromSalt: 7,
				Call: 96, Return: 96, Outcome: history.OutcomeReset, Code: history.CodeClientFileExpired},
		},
		Backups:     []history.Backup{{Realm: "/r", ID: 1, At: 50, Seq: 11}},
		Restores:    []history.Restore{{Realm: "/r", Backup: 1, At: 60, Seq: 12}},
		Terminates:  []history.Terminate{{Realm: "/r", At: 70, Seq: 13}},
		Compactions: []history.Compact{{Realm: "/r", MaxOffline: 15, At: 80, Seq: 14}},
		Bounds: []history.Bound{{Client: "c1", Realm: "/r", File: 1, Begin: 9, Accepted: 12, AcceptedSeq: 3,
			End: 95, EndSeq: 20}},
		Writes: []history.Write{
			{Client: "c1", Realm: "/r", ID: 1, Changeset: id(1, 1), Timestamp: 1000, Call: 25, Return: 26, Fields: []history.FieldValue{
				{Object: alice, Op: history.EffectCreate},
				{Object: task, Op: history.EffectCreate},
				{Object: task, Field: "title", Value: history.Str("first").String()},
				{Object: task, Field: "done", Value: "false", Default: true},
				{Object: task, Field: "owner", Value: alice, Link: alice},
			}},
			{Client: "c1", Realm: "/r", ID: 2, Changeset: id(1, 2), Timestamp: 1001, Call: 27, Return: 28, Fields: []history.FieldValue{
				{Object: alice, Field: "age", Value: "3", Op: history.EffectAdd},
				{Object: task, Field: "tags", Value: `"a"`, Op: history.EffectInsert},
				{Object: task, Field: "tags", Value: `"b"`, Op: history.EffectSetElement},
				{Object: task, Field: "tags", Op: history.EffectMove},
				{Object: task, Field: "tags", Op: history.EffectEraseElement},
				{Object: task, Field: "tags", Op: history.EffectClear},
			}},
			{Client: "c2", Realm: "/r", ID: 3, Changeset: id(2, 1), Timestamp: 1002, Call: 30, Return: 31, Fields: []history.FieldValue{
				{Object: alice, Op: history.EffectErase},
			}},
		},
		Reads: []history.Read{
			{Client: "c2", Realm: "/r", Object: task, Field: "title", Value: `"first"`, Call: 46, Return: 46},
			{Client: "c2", Realm: "/r", Object: history.ObjectName("Task", history.Int(9)), Field: "title", Value: "", Call: 47, Return: 47},
		},
		WaitUploads: []history.WaitUpload{
			{Client: "c1", Realm: "/r", Call: 29, Return: 42, Covered: []history.ChangesetID{id(1, 1), id(1, 2)}, Outcome: history.WaitCompleted},
			{Client: "c2", Realm: "/r", Call: 32, Return: 100, Covered: []history.ChangesetID{id(2, 1)}, Outcome: history.WaitTimedOut},
		},
		WaitDownloads: []history.WaitDownload{
			{Client: "c2", Realm: "/r", Call: 43, Return: 45, Integrated: []history.ChangesetID{id(1, 1), id(1, 2), id(2, 1)}, Outcome: history.WaitCompleted},
			{Client: "c1", Realm: "/r", Call: 50, Return: 51, Outcome: history.WaitCancelled},
			{Client: "c2", Realm: "/r", Call: 97, Return: 98, Outcome: history.WaitFailed},
		},
		Resets: []history.Reset{{Client: "c2", Realm: "/r", Mode: history.ModeRecoverOrDiscard, Outcome: history.ResetRecovered,
			Code: history.CodeClientFileExpired, Call: 97, Return: 110, OldFile: 2, NewFile: 3,
			Discarded: []history.ChangesetID{id(2, 1)}, DiscardedWrites: []history.WriteID{3},
			RecoveredAs: id(3, 1), RecoveryTimestamp: 1003, Asked: 96}},
		ResetChecks: []history.ResetCheck{{Client: "c2", Realm: "/r", Call: 97, Mode: history.ModeRecoverOrDiscard,
			Code: history.CodeClientFileExpired, NoRecovery: true, Pending: history.ModeRecover, Outcome: history.ResetRecovered,
			Fresh: &fresh,
			Unsynced: []history.PlainChangeset{{ID: id(2, 1), Timestamp: 1002, Instructions: []history.PlainInstruction{
				{Op: history.OpAddTable, Class: "Note", PK: history.KindString},
				{Op: history.OpAddColumn, Class: "Note", Field: "n", Prop: &history.PlainProp{Kind: history.KindInt, Nullable: true}},
				{Op: history.OpCreateObject, Class: "Task", Object: task},
				{Op: history.OpUpdate, Class: "Task", Object: task, Field: "tags", InList: true, Index: 1, Value: history.Str("x"), IsDefault: true},
				{Op: history.OpAddInteger, Class: "Person", Object: alice, Field: "age", Delta: -2},
				{Op: history.OpArrayInsert, Class: "Task", Object: task, Field: "tags", Index: 0, Value: history.Str("y"), PriorSize: 2},
				{Op: history.OpArrayMove, Class: "Task", Object: task, Field: "tags", Index: 0, To: 2, PriorSize: 3},
				{Op: history.OpArrayErase, Class: "Task", Object: task, Field: "tags", Index: 1, PriorSize: 3},
				{Op: history.OpClear, Class: "Task", Object: task, Field: "tags"},
				{Op: history.OpEraseObject, Class: "Person", Object: alice},
				{Op: history.OpEraseColumn, Class: "Note", Field: "n"},
				{Op: history.OpEraseTable, Class: "Note"},
			}}},
			Before: state("before"),
			After:  state("after"),
			Backup: &history.BackupCopy{State: state("backup"), Unsynced: []history.ChangesetID{id(2, 1)}},
		}},
		Reverts: []history.Revert{{Client: "c1", Realm: "/r", Changeset: id(1, 2), Object: task, At: 44}},
		Faults: []history.Fault{
			{Kind: "partition", Target: "c2", At: 33, Detail: "for 20ms"},
			{Kind: "backup", Target: "server", Realm: "/r", At: 50},
		},
		Convergence: &history.Convergence{
			HealAt: 100, Deadline: 1000,
			Servers: []history.ServerState{{Realm: "/r", Hash: "3f2a"}},
			Replicas: []history.Replica{
				{Client: "c1", Realm: "/r", Hash: "3f2a", Live: true, ReachedAt: 120},
				{Client: "c2", Realm: "/r", Hash: "99aa", Live: false, ReachedAt: history.Infinite},
			},
			Final: []history.FinalState{{Realm: "/r", PlainState: state("final")}},
		},
	}
}

// ExampleMeta is a Meta with every field set, to go with Example.
func ExampleMeta() history.Meta {
	return history.Meta{
		Scenario: "resets", Seed: 12398, Mutants: []string{"stale-server-version"},
		TraceHash: "sha256:0123abcd", Build: "v0.0.0-test",
		Params: map[string]string{"maxOffline": "30s", "clients": "2"},
	}
}
