package replica

import (
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
)

// listModel drives random list edits at visible positions on alice.dogs,
// with dogs erased along the way (their entries dangle and hide), and
// keeps the list the app should see.
type listModel struct {
	r       *Replica
	visible []changeset.Value
	live    []int64 // dogs that exist
	next    int64   // the next new dog's key
}

func (m *listModel) step(t *rapid.T, tx *Tx) {
	n := len(m.visible)
	pick := func(label string, hi int) int { return rapid.IntRange(0, hi).Draw(t, label) }
	switch rapid.IntRange(0, 7).Draw(t, "op") {
	case 0, 1: // insert a link to a live dog
		if len(m.live) == 0 {
			return
		}
		i, v := pick("at", n), dog(m.live[pick("dog", len(m.live)-1)])
		require.NoError(t, tx.ListInsert("Person", alice, "dogs", i, v))
		m.visible = slices.Insert(m.visible, i, v)
	case 2:
		if n == 0 || len(m.live) == 0 {
			return
		}
		i, v := pick("at", n-1), dog(m.live[pick("dog", len(m.live)-1)])
		require.NoError(t, tx.ListSet("Person", alice, "dogs", i, v))
		m.visible[i] = v
	case 3:
		if n == 0 {
			return
		}
		from, to := pick("from", n-1), pick("to", n-1)
		require.NoError(t, tx.ListMove("Person", alice, "dogs", from, to))
		v := m.visible[from]
		m.visible = slices.Insert(slices.Delete(m.visible, from, from+1), to, v)
	case 4:
		if n == 0 {
			return
		}
		i := pick("at", n-1)
		require.NoError(t, tx.ListErase("Person", alice, "dogs", i))
		m.visible = slices.Delete(m.visible, i, i+1)
	case 5: // erase a dog: its entries dangle
		if len(m.live) == 0 {
			return
		}
		k := pick("dog", len(m.live)-1)
		gone := dog(m.live[k])
		require.NoError(t, tx.Erase("Dog", changeset.IntPK(m.live[k])))
		m.live = slices.Delete(m.live, k, k+1)
		m.visible = slices.DeleteFunc(m.visible, func(v changeset.Value) bool { return v == gone })
	case 6:
		require.NoError(t, tx.Create("Dog", changeset.IntPK(m.next)))
		m.live = append(m.live, m.next)
		m.next++
	case 7:
		require.NoError(t, tx.ListClear("Person", alice, "dogs"))
		m.visible = nil
	}
}

func TestListMethodsTakeVisiblePositions(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := openTest(t, newDisk(t, 1), &stepClock{})
		m := &listModel{r: r, next: 1}
		_, err := r.Write(func(tx *Tx) error { return tx.Create("Person", alice) })
		require.NoError(t, err)
		for range rapid.IntRange(1, 40).Draw(t, "steps") {
			_, err := r.Write(func(tx *Tx) error {
				m.step(t, tx)
				return nil
			})
			require.NoError(t, err)
			got, err := r.State().List("Person", alice, "dogs")
			require.NoError(t, err)
			require.Equal(t, append([]changeset.Value{}, m.visible...), append([]changeset.Value{}, got...))
		}
	})
}

// TestWriteIsItsChangeset checks that a committed transaction's changeset
// replayed on the state before it gives the state after it, and that an
// aborted one leaves the state as it was.
func TestWriteIsItsChangesetAndAbortUndoesIt(t *testing.T) {
	abort := errors.New("abort")
	rapid.Check(t, func(t *rapid.T) {
		r := openTest(t, newDisk(t, 1), &stepClock{})
		m := &listModel{r: r, next: 1}
		_, err := r.Write(func(tx *Tx) error { return tx.Create("Person", alice) })
		require.NoError(t, err)
		for range rapid.IntRange(1, 8).Draw(t, "transactions") {
			before, prev := r.State().Clone(), r.Version()
			saved := *m
			saved.visible, saved.live = slices.Clone(m.visible), slices.Clone(m.live)
			fail := rapid.Bool().Draw(t, "abort")
			v, err := r.Write(func(tx *Tx) error {
				for range rapid.IntRange(1, 10).Draw(t, "ops") {
					m.step(t, tx)
				}
				if rapid.Bool().Draw(t, "count") {
					require.NoError(t, tx.Add("Person", alice, "n", rapid.Int64Range(-3, 3).Draw(t, "delta")))
				}
				if fail {
					return abort
				}
				return nil
			})
			if fail {
				require.ErrorIs(t, err, abort)
				require.True(t, before.Equal(r.State()), "abort left\n%s\nwant\n%s", r.State(), before)
				*m = saved
				continue
			}
			require.NoError(t, err)
			if v > prev {
				cs := r.Unsynced()[len(r.Unsynced())-1]
				replay := before.Clone()
				for _, in := range cs.Instructions {
					if in.Op == changeset.Clear {
						l, err := replay.StoredList(in.Class, in.PK, in.Field)
						require.NoError(t, err)
						require.NotEmpty(t, l, "a clear of an empty list was written")
					}
					require.NoError(t, replay.Apply(&changeset.Changeset{Instructions: []changeset.Instruction{in}}))
				}
				require.NoError(t, before.Apply(cs))
			}
			require.True(t, before.Equal(r.State()), "the changeset replayed gives\n%s\nwant\n%s", before, r.State())
		}
	})
}

func TestClearOfEmptyList_WritesNoInstruction(t *testing.T) {
	tests := []struct {
		name  string
		setup func(tx *Tx) error // on a fresh alice, in its own transaction
		clear func(tx *Tx) error
		want  []changeset.Op // the clearing transaction's changeset; nil: none
	}{
		{name: "a new, empty list",
			clear: func(tx *Tx) error { return tx.ListClear("Person", alice, "nums") },
		},
		{name: "emptied earlier in the same transaction",
			setup: func(tx *Tx) error { return tx.ListInsert("Person", alice, "nums", 0, num(1)) },
			clear: func(tx *Tx) error {
				require.NoError(t, tx.ListErase("Person", alice, "nums", 0))
				return tx.ListClear("Person", alice, "nums")
			},
			want: []changeset.Op{changeset.ArrayErase}},
		{name: "cleared twice: the second clear writes nothing",
			setup: func(tx *Tx) error { return tx.ListInsert("Person", alice, "nums", 0, num(1)) },
			clear: func(tx *Tx) error {
				require.NoError(t, tx.ListClear("Person", alice, "nums"))
				return tx.ListClear("Person", alice, "nums")
			},
			want: []changeset.Op{changeset.Clear}},
		{name: "a list with elements is cleared",
			setup: func(tx *Tx) error { return tx.ListInsert("Person", alice, "nums", 0, num(1)) },
			clear: func(tx *Tx) error { return tx.ListClear("Person", alice, "nums") },
			want:  []changeset.Op{changeset.Clear}},
		{name: "only hidden (dangling) entries: stored, so cleared",
			setup: func(tx *Tx) error {
				require.NoError(t, tx.Create("Dog", rex))
				require.NoError(t, tx.ListInsert("Person", alice, "dogs", 0, dog(1)))
				return tx.Erase("Dog", rex)
			},
			clear: func(tx *Tx) error { return tx.ListClear("Person", alice, "dogs") },
			want:  []changeset.Op{changeset.Clear}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := openTest(t, newDisk(t, 1), &stepClock{})
			_, err := r.Write(func(tx *Tx) error { return tx.Create("Person", alice) })
			require.NoError(t, err)
			if tc.setup != nil {
				_, err := r.Write(tc.setup)
				require.NoError(t, err)
			}
			prev := r.Version()
			v, err := r.Write(tc.clear)
			require.NoError(t, err)
			if tc.want == nil {
				require.Equal(t, prev, v, "no changeset committed")
				return
			}
			require.Equal(t, prev+1, v)
			require.Equal(t, tc.want, ops(r.Unsynced()[len(r.Unsynced())-1]))
		})
	}
}
