package replica

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/merge/mergetest"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// resetCase is a client reset's inputs: the server's fresh state, and the
// local replica's state with its unsynced changesets.
type resetCase struct {
	fresh, local *store.State
	unsynced     []*changeset.Changeset
}

// newResetCase builds a reset case from writes: base is synced (both
// sides have it), server is what the server did since, local are the
// local replica's unsynced transactions.
func newResetCase(t *testing.T, base, server func(tx *Tx) error, local ...func(tx *Tx) error) resetCase {
	clk := &stepClock{}
	srv := openTest(t, newDisk(t, 1), clk)
	loc := openTest(t, newDisk(t, 2), clk)
	for _, fn := range []func(*Tx) error{base, server} {
		if fn != nil {
			_, err := srv.Write(fn)
			require.NoError(t, err)
		}
	}
	if base != nil {
		_, err := loc.Write(base)
		require.NoError(t, err)
	}
	synced := loc.Version()
	for i, fn := range local {
		_, err := loc.Write(fn)
		require.NoError(t, err, "local transaction %d", i)
	}
	c := resetCase{fresh: srv.State(), local: loc.State()}
	for _, cs := range loc.Unsynced() {
		if cs.Version > synced {
			c.unsynced = append(c.unsynced, cs)
		}
	}
	return c
}

// recover runs Recover and checks that its recovered instructions take
// the fresh state to the target.
func (c resetCase) recover(t *testing.T) (*store.State, []changeset.Instruction) {
	fresh := c.fresh.Clone()
	target, recovered, err := Recover(c.fresh, c.unsynced, c.local)
	require.NoError(t, err)
	require.True(t, c.fresh.Equal(fresh), "Recover modified the fresh state")
	got := c.fresh.Clone()
	require.NoError(t, got.Apply(&changeset.Changeset{Instructions: recovered}))
	require.True(t, got.Equal(target), "fresh · recovered\n%s\ntarget\n%s", got, target)
	return target, recovered
}

// Transactions for the cases.
func create(class string, pk changeset.PK) func(*Tx) error {
	return func(tx *Tx) error { return tx.Create(class, pk) }
}

func erase(class string, pk changeset.PK) func(*Tx) error {
	return func(tx *Tx) error { return tx.Erase(class, pk) }
}

func set(class string, pk changeset.PK, field string, v changeset.Value) func(*Tx) error {
	return func(tx *Tx) error { return tx.Set(class, pk, field, v) }
}

func all(fns ...func(*Tx) error) func(*Tx) error {
	return func(tx *Tx) error {
		for _, fn := range fns {
			if err := fn(tx); err != nil {
				return err
			}
		}
		return nil
	}
}

// nums is alice.nums: insert v at i, set i to v, move, erase, clear, append.
func insertNum(i int, v int64) func(*Tx) error {
	return func(tx *Tx) error { return tx.ListInsert("Person", alice, "nums", i, num(v)) }
}

func appendNums(vs ...int64) func(*Tx) error {
	return func(tx *Tx) error {
		for _, v := range vs {
			l, err := tx.State().List("Person", alice, "nums")
			if err != nil {
				return err
			}
			if err := tx.ListInsert("Person", alice, "nums", len(l), num(v)); err != nil {
				return err
			}
		}
		return nil
	}
}

func setNum(i int, v int64) func(*Tx) error {
	return func(tx *Tx) error { return tx.ListSet("Person", alice, "nums", i, num(v)) }
}

func moveNum(from, to int) func(*Tx) error {
	return func(tx *Tx) error { return tx.ListMove("Person", alice, "nums", from, to) }
}

func eraseNum(i int) func(*Tx) error {
	return func(tx *Tx) error { return tx.ListErase("Person", alice, "nums", i) }
}

func clearNums(tx *Tx) error { return tx.ListClear("Person", alice, "nums") }

// aliceWith123 is the base state: alice with nums [1 2 3].
var aliceWith123 = all(create("Person", alice), appendNums(1, 2, 3))

func listOf(t *testing.T, s *store.State, class string, pk changeset.PK, field string) []changeset.Value {
	l, err := s.List(class, pk, field)
	require.NoError(t, err)
	return l
}

func nums(vs ...int64) []changeset.Value {
	out := []changeset.Value{}
	for _, v := range vs {
		out = append(out, num(v))
	}
	return out
}

func get(t *testing.T, s *store.State, class string, pk changeset.PK, field string) changeset.Value {
	v, err := s.Get(class, pk, field)
	require.NoError(t, err)
	return v
}

func TestRecoveryRule1LocallyCreatedObjectsAreKept(t *testing.T) {
	c := newResetCase(t, nil, all(create("Dog", changeset.IntPK(6))),
		all(create("Dog", changeset.IntPK(5)), set("Dog", changeset.IntPK(5), "name", str("new"))))
	target, recovered := c.recover(t)
	assert.True(t, target.Exists("Dog", changeset.IntPK(6)), "the server's object")
	assert.True(t, target.Exists("Dog", changeset.IntPK(5)), "the local object")
	assert.Equal(t, str("new"), get(t, target, "Dog", changeset.IntPK(5), "name"))
	assert.Equal(t, []changeset.Op{changeset.CreateObject, changeset.Update}, ops(&changeset.Changeset{Instructions: recovered}))
}

func TestRecoveryRule2ServerDeletedObjectStaysDeleted(t *testing.T) {
	c := newResetCase(t, all(create("Dog", rex), aliceWith123), all(erase("Dog", rex), erase("Person", alice)),
		set("Dog", rex, "name", str("local")),
		func(tx *Tx) error { return tx.Add("Dog", rex, "age", 1) },
		insertNum(0, 9), setNum(1, 8), moveNum(0, 2), eraseNum(0))
	target, recovered := c.recover(t)
	assert.False(t, target.Exists("Dog", rex), "the update does not bring the dog back")
	assert.False(t, target.Exists("Person", alice), "the list instructions do not bring alice back")
	assert.Empty(t, recovered)
	assert.Equal(t, 0, target.Size(), "no zombie objects")
}

func TestRecoveryRule3LocallyDeletedObjectIsDeleted(t *testing.T) {
	c := newResetCase(t, create("Dog", rex), set("Dog", rex, "name", str("server")), erase("Dog", rex))
	target, _ := c.recover(t)
	assert.False(t, target.Exists("Dog", rex))
}

func TestRecoveryRule4ClientWinsConflictingUpdates(t *testing.T) {
	c := newResetCase(t, create("Dog", rex),
		all(set("Dog", rex, "name", str("server")), set("Dog", rex, "age", num(3))),
		set("Dog", rex, "name", str("client")))
	target, _ := c.recover(t)
	assert.Equal(t, str("client"), get(t, target, "Dog", rex, "name"), "the client's value wins")
	assert.Equal(t, num(3), get(t, target, "Dog", rex, "age"), "the server's update of another field stays")
}

func TestRecoveryRule5InsertOnlyListsMerge(t *testing.T) {
	// The server appended 4; locally 10 went first, 11 after 1, 20 after
	// 10 and 12 last (at local index 6: before the server's 4).
	c := newResetCase(t, aliceWith123, appendNums(4),
		insertNum(0, 10), insertNum(2, 11), insertNum(1, 20), appendNums(12))
	require.Equal(t, nums(10, 20, 1, 11, 2, 3, 12), listOf(t, c.local, "Person", alice, "nums"))
	target, recovered := c.recover(t)
	assert.Equal(t, nums(10, 20, 1, 11, 2, 3, 12, 4), listOf(t, target, "Person", alice, "nums"),
		"both sides' inserts survive, at their translated positions")
	for _, in := range recovered {
		assert.Equal(t, changeset.ArrayInsert, in.Op, "only inserts are uploaded")
	}
}

func TestRecoveredListInsert_GoesToMinOfLocalIndexAndSize(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server func(*Tx) error
		local  []func(*Tx) error
		want   []changeset.Value
	}{
		{"a local append goes to its local index, before the server's appends",
			appendNums(4, 5), []func(*Tx) error{appendNums(9)}, nums(1, 2, 3, 9, 4, 5)},
		{"an insert in the middle keeps its local index",
			appendNums(4), []func(*Tx) error{insertNum(2, 9)}, nums(1, 2, 9, 3, 4)},
		{"past the end of a list the server shrank: clamped to its size",
			all(eraseNum(2), eraseNum(1)), []func(*Tx) error{insertNum(2, 9)}, nums(1, 9)},
		{"into a list the server emptied: at 0",
			clearNums, []func(*Tx) error{appendNums(9)}, nums(9)},
		{"the server inserted at the front: the local index, not after 1",
			insertNum(0, 0), []func(*Tx) error{insertNum(2, 9)}, nums(0, 1, 9, 2, 3)},
		{"each of several inserts goes to min(its local index, the size then)",
			all(eraseNum(2), eraseNum(1)), []func(*Tx) error{insertNum(3, 7), insertNum(0, 8), appendNums(9)}, nums(8, 1, 7, 9)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newResetCase(t, aliceWith123, tc.server, tc.local...)
			target, recovered := c.recover(t)
			assert.Equal(t, tc.want, listOf(t, target, "Person", alice, "nums"))
			for _, in := range recovered {
				assert.Equal(t, changeset.ArrayInsert, in.Op, "a merge, not a copy")
			}
		})
	}
}

func TestRecoveryRule5OpsOnRecoveredElementsAreTranslated(t *testing.T) {
	c := newResetCase(t, aliceWith123, appendNums(4),
		insertNum(0, 10), setNum(0, 15), appendNums(11), moveNum(4, 0), eraseNum(1))
	require.Equal(t, nums(11, 1, 2, 3), listOf(t, c.local, "Person", alice, "nums"))
	target, _ := c.recover(t)
	assert.Equal(t, nums(11, 1, 2, 3, 4), listOf(t, target, "Person", alice, "nums"),
		"the list is merged, not copied: the server's 4 stays")
}

func TestRecoveryRule5UpdateMoveEraseOfPreExistingElementCopiesLocalList(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   func(*Tx) error
		want []changeset.Value
	}{
		{"update", setNum(1, 9), nums(10, 9, 2, 3)},
		{"move", moveNum(1, 3), nums(10, 2, 3, 1)},
		{"erase", eraseNum(2), nums(10, 1, 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newResetCase(t, aliceWith123, appendNums(4), insertNum(0, 10), tc.op, appendNums(12))
			want := append(tc.want, num(12))
			require.Equal(t, want, listOf(t, c.local, "Person", alice, "nums"))
			target, recovered := c.recover(t)
			assert.Equal(t, want, listOf(t, target, "Person", alice, "nums"),
				"the whole local list is copied over: the server's 4 is gone")
			assert.Contains(t, ops(&changeset.Changeset{Instructions: recovered}), changeset.Clear)
		})
	}
}

func TestRecoveryRule5CopiedListDropsLinksToServerDeletedObjects(t *testing.T) {
	d2, d3 := changeset.IntPK(2), changeset.IntPK(3)
	linkDogs := func(tx *Tx) error {
		for i, pk := range []int64{1, 2, 3} {
			if err := tx.ListInsert("Person", alice, "dogs", i, dog(pk)); err != nil {
				return err
			}
		}
		return nil
	}
	c := newResetCase(t, all(create("Dog", rex), create("Dog", d2), create("Dog", d3), create("Person", alice), linkDogs),
		erase("Dog", d2),
		func(tx *Tx) error { return tx.ListErase("Person", alice, "dogs", 0) })
	require.Equal(t, []changeset.Value{dog(2), dog(3)}, listOf(t, c.local, "Person", alice, "dogs"))
	target, _ := c.recover(t)
	stored, err := target.StoredList("Person", alice, "dogs")
	require.NoError(t, err)
	assert.Equal(t, []changeset.Value{dog(3)}, stored, "the link to the server-deleted dog is dropped, not kept dangling")
	assert.False(t, target.Exists("Dog", d2), "and the dog is not re-created")
}

func TestRecoveryRule5LocalClearReplaysAsClear(t *testing.T) {
	for _, tc := range []struct {
		name  string
		local []func(*Tx) error
		want  []changeset.Value
	}{
		{"clear then insert", []func(*Tx) error{clearNums, appendNums(7)}, nums(7)},
		{"copy, then clear", []func(*Tx) error{setNum(0, 5), clearNums, appendNums(8, 9), eraseNum(0)}, nums(9)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newResetCase(t, aliceWith123, appendNums(4), tc.local...)
			target, recovered := c.recover(t)
			assert.Equal(t, tc.want, listOf(t, target, "Person", alice, "nums"), "the server's concurrent append is cleared too")
			assert.Equal(t, changeset.Clear, recovered[0].Op)
		})
	}
}

func TestRecoveryNeverRecreatesServerDeletedObjects(t *testing.T) {
	c := newResetCase(t, all(create("Dog", rex), create("Dog", changeset.IntPK(2))), erase("Dog", rex),
		set("Dog", changeset.IntPK(2), "best", dog(1)),
		set("Dog", rex, "age", num(4)))
	target, _ := c.recover(t)
	assert.False(t, target.Exists("Dog", rex))
	assert.Equal(t, changeset.Value{}, get(t, target, "Dog", changeset.IntPK(2), "best"), "a link to it reads as null")
}

func TestRecoveryOfALocalSchemaTheServerContradictsFails(t *testing.T) {
	clk := &stepClock{}
	changed := schema.Schema{Classes: []schema.Class{{Name: "Dog", PKKind: schema.Int, Props: []schema.Property{
		{Name: "age", Type: schema.PropType{Kind: schema.String}},
	}}}}
	srv, err := Open(newDisk(t, 1), "realm", clk, changed)
	require.NoError(t, err)
	loc := openTest(t, newDisk(t, 2), clk)
	_, _, err = Recover(srv.State(), loc.Unsynced(), loc.State())
	require.ErrorIs(t, err, store.ErrSchemaMismatch)
}

func TestRecoveryOntoAnUnchangedServerGivesTheLocalState(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		base := mergetest.State().Draw(t, "base")
		local := base.Clone()
		var unsynced []*changeset.Changeset
		for i := range rapid.IntRange(1, 4).Draw(t, "changesets") {
			cs := mergetest.Txn(t, local, 6, changeset.Discriminant{}, fmt.Sprintf("local %d", i))
			cs.Version = uint64(i + 1)
			unsynced = append(unsynced, cs)
		}
		target, recovered, err := Recover(base, unsynced, local)
		if errors.Is(err, ErrRecoveryErasesSchema) {
			require.True(t, erases(unsynced))
			return
		}
		require.NoError(t, err)
		require.Equal(t, local.Hash(), target.Hash(), "target\n%s\nlocal\n%s", target, local)
		got := base.Clone()
		require.NoError(t, got.Apply(&changeset.Changeset{Instructions: recovered}))
		require.True(t, got.Equal(target))
	})
}

func TestRecoveryOntoAChangedServerAppliesAndResurrectsNothing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := mergetest.Concurrent(3, 3, 6).Draw(t, "scenario")
		target, recovered, err := Recover(sc.TheirsState, sc.Ours, sc.OursState)
		if errors.Is(err, ErrRecoveryErasesSchema) {
			require.True(t, erases(sc.Ours))
			return
		}
		if err != nil {
			require.ErrorIs(t, err, store.ErrSchemaMismatch, "only a schema the server contradicts fails")
			return
		}
		got := sc.TheirsState.Clone()
		require.NoError(t, got.Apply(&changeset.Changeset{Instructions: recovered}))
		require.True(t, got.Equal(target))
		created := map[string]bool{}
		for _, cs := range sc.Ours {
			for _, in := range cs.Instructions {
				if in.Op == changeset.CreateObject {
					created[fmt.Sprint(in.Class, in.PK)] = true
				}
			}
		}
		for _, c := range target.Classes() {
			for _, pk := range target.Objects(c) {
				require.True(t, sc.TheirsState.Exists(c, pk) || created[fmt.Sprint(c, pk)],
					"%s %v is neither on the server nor created locally", c, pk)
				if sc.Base.Exists(c, pk) && !sc.OursState.Exists(c, pk) {
					require.True(t, created[fmt.Sprint(c, pk)], "%s %v was deleted locally", c, pk)
				}
			}
		}
	})
}

func TestRecovery_LocalEraseTableOrEraseColumnIsNotRecovered(t *testing.T) {
	for _, tc := range []struct {
		name          string
		server, local func(*Tx) error
	}{
		{"EraseColumn", appendNums(4), func(tx *Tx) error { return tx.EraseColumn("Person", "nums") }},
		{"EraseTable", create("Person", changeset.StrPK("bob")), func(tx *Tx) error { return tx.EraseTable("Person") }},
		{"EraseColumn the server made too", func(tx *Tx) error { return tx.EraseColumn("Person", "nums") },
			func(tx *Tx) error { return tx.EraseColumn("Person", "nums") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newResetCase(t, aliceWith123, tc.server, tc.local)
			_, _, err := Recover(c.fresh, c.unsynced, c.local)
			require.ErrorIs(t, err, ErrRecoveryErasesSchema, "a destructive schema change is not recovered")
		})
	}
}

// erases reports whether some changeset erases a class or property.
func erases(seq []*changeset.Changeset) bool {
	for _, cs := range seq {
		for _, in := range cs.Instructions {
			if in.Op == changeset.EraseTable || in.Op == changeset.EraseColumn {
				return true
			}
		}
	}
	return false
}
