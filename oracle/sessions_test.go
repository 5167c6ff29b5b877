package oracle

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/syncsim/syncsim/history"
)

func (h *hist) read(client, object, field string, v history.Value, at int64) {
	h.Reads = append(h.Reads, history.Read{Client: client, Realm: testRealm, Object: object, Field: field, Value: v.String(), Call: at, Return: at})
}

func TestSessionGuarantees(t *testing.T) {
	x, y := history.Str("x"), history.Str("y")
	// bThenB: b writes x, then y on top of it; a receives both by 25.
	bThenB := func(h *hist) {
		h.write(1, "b", id(2, 1), 10, 10, set(t1, "title", x))
		h.write(2, "b", id(2, 2), 20, 20, set(t1, "title", y))
		h.received("a", 1, 15, id(2, 1))
		h.received("a", 1, 25, id(2, 2))
	}
	// concurrent: b writes x (timestamp 10) and c writes y (timestamp 50)
	// concurrently; a receives b's at 15 and c's at 25.
	concurrent := func(h *hist) {
		h.write(1, "b", id(2, 1), 10, 10, set(t1, "title", x))
		h.write(2, "c", id(3, 1), 50, 10, set(t1, "title", y))
		h.received("a", 1, 15, id(2, 1))
		h.received("a", 1, 25, id(3, 1))
	}
	tests := []struct {
		name string
		step func(*hist)
		why  string // "" for a history that holds
		// failures: how many (0: one); why is in one of them
		failures int
	}{
		{name: "read-your-writes: a read after the client's own write returns it", step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", x))
			h.read("a", t1, "title", x, 20)
		}},
		{name: "read-your-writes: an older value while nothing overriding was integrated is a violation", why: `read-your-writes: a read Task[1].title = "old" at 20, after its own write 2 set it to "x" at 10`, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 5, 5, set(t1, "title", history.Str("old")))
			h.write(2, "a", id(1, 2), 10, 10, set(t1, "title", x))
			h.read("a", t1, "title", history.Str("old"), 20)
		}},
		{name: "read-your-writes: a concurrent write with a higher discriminant downloaded later overrides its own", step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", x))
			h.write(2, "b", id(2, 1), 50, 11, set(t1, "title", y))
			h.received("a", 1, 30, id(2, 1))
			h.read("a", t1, "title", y, 40)
		}},
		{name: "read-your-writes: a concurrent write with a lower discriminant does not", why: "read-your-writes", step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", x))
			h.write(2, "b", id(2, 1), 5, 11, set(t1, "title", y))
			h.received("a", 1, 30, id(2, 1))
			h.read("a", t1, "title", y, 40)
		}},
		{name: "read-your-writes: the overriding write must be integrated before the read", why: "read-your-writes", step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", x))
			h.write(2, "b", id(2, 1), 50, 11, set(t1, "title", y))
			h.read("a", t1, "title", y, 25)
			h.received("a", 1, 30, id(2, 1))
		}},
		{name: "read-your-writes: an integrated erase of the object explains its absence", step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", x))
			h.write(2, "b", id(2, 1), 5, 11, erase(t1))
			h.received("a", 1, 30, id(2, 1))
			h.Reads = append(h.Reads, history.Read{Client: "a", Realm: testRealm, Object: t1, Field: "title", Call: 40, Return: 40})
		}},
		{name: "read-your-writes: a discarding reset in between waives it", step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", x))
			h.reset(history.Reset{Client: "a", Mode: history.ModeDiscard, Outcome: history.ResetDiscarded, Call: 20, Return: 25, OldFile: 1, NewFile: 3,
				DiscardedWrites: []history.WriteID{1}})
			h.read("a", t1, "title", history.Value{}, 30)
		}},
		{name: "read-your-writes: a recovering reset does not waive it", why: "read-your-writes", step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", x))
			h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Call: 20, Return: 25, OldFile: 1, NewFile: 3,
				RecoveredAs: id(3, 1), RecoveryTimestamp: 25})
			h.read("a", t1, "title", history.Value{}, 30)
		}},
		{name: "read-your-writes: a compensating write on the link's target waives it (the target may be gone)", step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, create(p1))
			h.write(2, "a", id(1, 2), 11, 11, set(t1, "owner", history.Link(p1)))
			h.Reverts = append(h.Reverts, history.Revert{Client: "a", Realm: testRealm, Changeset: id(1, 1), Object: p1, At: 15})
			h.Reads = append(h.Reads, history.Read{Client: "a", Realm: testRealm, Object: t1, Field: "owner", Value: "null", Call: 20, Return: 20})
		}},
		{name: "read-your-writes: without it a link read back as null is a violation", why: "read-your-writes", step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, create(p1))
			h.write(2, "a", id(1, 2), 11, 11, set(t1, "owner", history.Link(p1)))
			h.Reads = append(h.Reads, history.Read{Client: "a", Realm: testRealm, Object: t1, Field: "owner", Value: "null", Call: 20, Return: 20})
		}},
		{name: "monotonic reads: values read in the order they were written", step: func(h *hist) {
			bThenB(h)
			h.read("a", t1, "title", x, 20)
			h.read("a", t1, "title", y, 30)
			h.read("a", t1, "title", y, 40)
		}},
		{name: "monotonic reads: going back to the value the later write was made on top of is a violation", why: `monotonic reads: a read Task[1].title = "y" at 30, then the older "x" at 40`, step: func(h *hist) {
			bThenB(h)
			h.read("a", t1, "title", y, 30)
			h.read("a", t1, "title", x, 40)
		}},
		{name: "monotonic reads: a concurrent write that outranks may replace the value", step: func(h *hist) {
			concurrent(h)
			h.read("a", t1, "title", x, 20)
			h.read("a", t1, "title", y, 30)
		}},
		{name: "monotonic reads: a concurrent write that is outranked may not replace it", why: "monotonic reads", step: func(h *hist) {
			concurrent(h)
			h.read("a", t1, "title", y, 30)
			h.read("a", t1, "title", x, 40)
		}},
		{name: "monotonic reads: a write made after a terminate that rebuilt the history may replace an older value whatever its discriminant", step: func(h *hist) {
			h.write(1, "c", id(3, 1), 50, 10, set(t1, "title", y))
			h.Terminates = append(h.Terminates, history.Terminate{Realm: testRealm, At: 12})
			h.write(2, "b", id(2, 1), 10, 14, set(t1, "title", x))
			h.received("a", 1, 20, id(0, 1), id(3, 1)) // 0:1 rebuilds the data
			h.received("a", 1, 25, id(2, 1))
			h.read("a", t1, "title", y, 30)
			h.read("a", t1, "title", x, 40)
		}},
		{name: "monotonic reads: without the rebuild the same outranked write may not replace it", why: "monotonic reads", step: func(h *hist) {
			h.write(1, "c", id(3, 1), 50, 10, set(t1, "title", y))
			h.write(2, "b", id(2, 1), 10, 14, set(t1, "title", x))
			h.received("a", 1, 20, id(3, 1))
			h.received("a", 1, 25, id(2, 1))
			h.read("a", t1, "title", y, 30)
			h.read("a", t1, "title", x, 40)
		}},
		{name: "monotonic reads: a zero value may be what a create gave the object, not the update that wrote it", step: func(h *hist) {
			h.write(1, "c", id(3, 1), 50, 10, set(t1, "title", history.Str("")))
			h.received("a", 1, 15, id(3, 1))
			h.write(2, "b", id(2, 1), 5, 11, erase(t1))
			h.write(3, "b", id(2, 2), 5, 12, create(t1))
			h.write(4, "b", id(2, 3), 5, 13, set(t1, "title", y))
			h.received("a", 1, 20, id(2, 1), id(2, 2))
			h.received("a", 1, 25, id(2, 3))
			h.read("a", t1, "title", history.Str(""), 22)
			h.read("a", t1, "title", y, 30)
		}},
		{name: "monotonic reads: without a create the zero is the update's, which an outranked one may not replace", why: "monotonic reads", step: func(h *hist) {
			h.write(1, "c", id(3, 1), 50, 10, set(t1, "title", history.Str("")))
			h.received("a", 1, 15, id(3, 1))
			h.write(4, "b", id(2, 3), 5, 13, set(t1, "title", y))
			h.received("a", 1, 25, id(2, 3))
			h.read("a", t1, "title", history.Str(""), 22)
			h.read("a", t1, "title", y, 30)
		}},
		{name: "monotonic reads: a write a recovery carried on competes as the recovery's changeset", step: func(h *hist) {
			h.write(1, "a", id(1, 1), 50, 10, set(t1, "title", x)) // never reaches the server
			h.read("a", t1, "title", x, 12)
			h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Call: 20, Return: 20, OldFile: 1, NewFile: 3,
				RecoveredAs: id(3, 1), RecoveryTimestamp: 15})
			h.received("b", 2, 25, id(3, 1))
			h.write(2, "b", id(2, 1), 5, 30, set(t1, "title", y)) // on top of the recovered x
			h.received("a", 3, 35, id(2, 1))
			h.read("a", t1, "title", y, 40)
		}},
		{name: "monotonic reads: one concurrent with the recovery's changeset, and outranked, may not replace it", why: "monotonic reads", failures: 2, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 50, 10, set(t1, "title", x))
			h.read("a", t1, "title", x, 12)
			h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Call: 20, Return: 20, OldFile: 1, NewFile: 3,
				RecoveredAs: id(3, 1), RecoveryTimestamp: 15})
			h.write(2, "b", id(2, 1), 5, 30, set(t1, "title", y))
			h.received("a", 3, 35, id(2, 1))
			h.read("a", t1, "title", y, 40)
		}},
		{name: "monotonic reads: a read after a discarding reset may go back", step: func(h *hist) {
			bThenB(h)
			h.read("a", t1, "title", y, 30)
			h.reset(history.Reset{Client: "a", Mode: history.ModeDiscard, Outcome: history.ResetDiscarded, Call: 32, Return: 35, OldFile: 1, NewFile: 4})
			h.read("a", t1, "title", x, 40)
		}},
		{name: "monotonic reads: a restore in between may roll the value back", step: func(h *hist) {
			bThenB(h)
			h.read("a", t1, "title", y, 30)
			h.Backups = append(h.Backups, history.Backup{Realm: testRealm, ID: 1, At: 12})
			h.Restores = append(h.Restores, history.Restore{Realm: testRealm, Backup: 1, At: 33})
			h.read("a", t1, "title", x, 40)
		}},
		{name: "monotonic reads: an erase of the object integrated in between lets it come back with other values", step: func(h *hist) {
			bThenB(h)
			h.read("a", t1, "title", y, 30)
			h.write(3, "c", id(3, 1), 60, 31, erase(t1))
			h.received("a", 1, 33, id(3, 1))
			h.read("a", t1, "title", x, 40)
		}},
		{name: "monotonic reads: a value no update wrote is not judged", step: func(h *hist) {
			bThenB(h)
			h.read("a", t1, "title", y, 30)
			h.read("a", t1, "title", history.Value{}, 40)
		}},
		{name: "monotonic reads, chains: a default update made on top of a value that beat a concurrent one ends on top", step: func(h *hist) {
			defaultOnTop(h, true)
			h.read("a", t1, "title", history.Str("zeta"), 20)
			h.read("a", t1, "title", history.Str("untitled"), 30)
		}},
		{name: "monotonic reads, chains: a default update not made on top of a winner does not replace a concurrent non-default value", why: `monotonic reads: a read Task[1].title = "zeta" at 20, then the older "untitled" at 30`, step: func(h *hist) {
			defaultOnTop(h, false)
			h.read("a", t1, "title", history.Str("zeta"), 20)
			h.read("a", t1, "title", history.Str("untitled"), 30)
		}},
		{name: "read-your-writes: waived by a compensating write on another client's write to the object when a server-made changeset reached the reader", step: func(h *hist) {
			revertedElsewhere(h, 25)
			h.Reads = append(h.Reads, history.Read{Client: "a", Realm: testRealm, Object: t1, Field: "title", Call: 30, Return: 30})
		}},
		{name: "read-your-writes: a compensating write on another client's write is not waived before a server-made changeset reached the reader", why: `read-your-writes: a read Task[1].title = (no object) at 30, after its own write 1 set it to "x" at 10`, step: func(h *hist) {
			revertedElsewhere(h, 35)
			h.Reads = append(h.Reads, history.Read{Client: "a", Realm: testRealm, Object: t1, Field: "title", Call: 30, Return: 30})
		}},
		{name: "read-your-writes: a write made after a restore the client had not learnt of is waived by its first reset after the restore", step: func(h *hist) {
			staleAfterRestore(h, 40)
			h.Reads = append(h.Reads, history.Read{Client: "a", Realm: testRealm, Object: t1, Field: "title", Call: 50, Return: 50})
		}},
		{name: "read-your-writes: a write made after a restore is not waived without a reset between it and the read", why: `read-your-writes: a read Task[1].title = (no object) at 50, after its own write 2 set it to "x" at 30`, step: func(h *hist) {
			staleAfterRestore(h, 60)
			h.Reads = append(h.Reads, history.Read{Client: "a", Realm: testRealm, Object: t1, Field: "title", Call: 50, Return: 50})
		}},
		{name: "read-your-writes: a write made after the client learnt of the restore is not waived by a later reset", why: `read-your-writes: a read Task[1].title = (no object) at 50, after its own write 2 set it to "x" at 30`, step: func(h *hist) {
			h.Backups = append(h.Backups, history.Backup{Realm: testRealm, ID: 1, At: 5})
			h.write(1, "b", id(2, 1), 8, 8, create(t1))
			h.received("a", 1, 9, id(2, 1))
			h.Restores = append(h.Restores, history.Restore{Realm: testRealm, Backup: 1, At: 20})
			h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Code: history.CodeDivergingHistories, Call: 22, Return: 25, OldFile: 1, NewFile: 3})
			h.write(2, "a", id(3, 1), 30, 30, set(t1, "title", history.Str("x")))
			h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Code: history.CodeBadChangeset, Call: 40, Return: 45, OldFile: 3, NewFile: 4})
			h.Reads = append(h.Reads, history.Read{Client: "a", Realm: testRealm, Object: t1, Field: "title", Call: 50, Return: 50})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := build(tt.step)
			require.NoError(t, h.Validate())
			res := CheckSessions(h)
			require.Positive(t, res.Judged)
			if tt.why == "" {
				require.True(t, res.Pass, "%v", res.Failures)
				return
			}
			require.False(t, res.Pass)
			require.Len(t, res.Failures, max(1, tt.failures), "%v", res.Failures)
			require.Contains(t, strings.Join(res.Failures, "\n"), tt.why)
		})
	}
}

// defaultOnTop: c writes "zeta" (timestamp 10); concurrently b writes
// "untitled" as a default update (timestamp 60), on top of its own
// "delta" (timestamp 50, which beats "zeta") if withDelta. a receives
// c's at 15 and b's by 25.
func defaultOnTop(h *hist, withDelta bool) {
	h.write(1, "c", id(3, 1), 10, 10, set(t1, "title", history.Str("zeta")))
	h.received("a", 1, 15, id(3, 1))
	if withDelta {
		h.write(2, "b", id(2, 1), 50, 10, set(t1, "title", history.Str("delta")))
		h.received("a", 1, 22, id(2, 1))
	}
	h.write(3, "b", id(2, 2), 60, 20, setDefault(t1, "title", history.Str("untitled")))
	h.received("a", 1, 25, id(2, 2))
}

// revertedElsewhere: a writes the title of t1 (x) at 10; b's create of t1
// (2:1) is reverted by a compensating write reported to b at 20; a
// server-made changeset reaches a at snapAt.
func revertedElsewhere(h *hist, snapAt int64) {
	h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", history.Str("x")))
	h.write(2, "b", id(2, 1), 5, 12, create(t1))
	h.Reverts = append(h.Reverts, history.Revert{Client: "b", Realm: testRealm, Changeset: id(2, 1), Object: t1, At: 20})
	h.received("a", 1, snapAt, id(0, 3))
}

// staleAfterRestore: b's create of t1 (2:1) reaches a; a restore at 20
// rolls it back; a, not yet told, sets t1's title at 30; its first reset
// after the restore begins at resetAt (the recovery has nothing to
// replay: the restored state has no t1).
func staleAfterRestore(h *hist, resetAt int64) {
	h.Backups = append(h.Backups, history.Backup{Realm: testRealm, ID: 1, At: 5})
	h.write(1, "b", id(2, 1), 8, 8, create(t1))
	h.received("a", 1, 9, id(2, 1))
	h.Restores = append(h.Restores, history.Restore{Realm: testRealm, Backup: 1, At: 20})
	h.write(2, "a", id(1, 1), 30, 30, set(t1, "title", history.Str("x")))
	h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Code: history.CodeDivergingHistories,
		Call: resetAt, Return: resetAt + 5, OldFile: 1, NewFile: 3})
}
