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
	switch rapid.IntRange(0, 6).Draw(t, "op") {
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
				require.NoError(t, before.Apply(r.Unsynced()[len(r.Unsynced())-1]))
			}
			require.True(t, before.Equal(r.State()), "the changeset replayed gives\n%s\nwant\n%s", before, r.State())
		}
	})
}
