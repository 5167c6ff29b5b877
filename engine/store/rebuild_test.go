package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/merge/mergetest"
	"github.com/syncsim/syncsim/engine/store"
)

// TestRebuild_OnAnEmptyStateGivesTheSameState: applying Rebuild(s) to an
// empty state gives a state with s's canonical hash, equal to s in what it
// stores too (dangling links included).
func TestRebuild_OnAnEmptyStateGivesTheSameState(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := mergetest.State().Draw(t, "state")
		mergetest.Txn(t, s, 8, changeset.Discriminant{}, "txn") // erases too: dangling links
		r := store.New()
		require.NoError(t, r.Apply(&changeset.Changeset{Instructions: store.Rebuild(s)}))
		require.Equal(t, s.Hash(), r.Hash())
		require.True(t, r.Equal(s), "rebuilt:\n%s\nwant:\n%s", r, s)
	})
}

// TestRecreate_BringsBackWhatWasErased: erasing an object, a column or a
// table and applying what Recreate, RecreateColumn or RecreateTable made of
// the state before gives that state back.
func TestRecreate_BringsBackWhatWasErased(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := mergetest.State().Draw(t, "state")
		classes := s.Classes()
		if len(classes) == 0 {
			t.Skip("no class")
		}
		class := rapid.SampledFrom(classes).Draw(t, "class")
		c, _ := s.Class(class)
		var erase changeset.Instruction
		var back []changeset.Instruction
		var err error
		switch what := rapid.IntRange(0, 2).Draw(t, "what"); {
		case what == 0 && len(s.Objects(class)) > 0:
			pk := rapid.SampledFrom(s.Objects(class)).Draw(t, "pk")
			erase = changeset.Instruction{Op: changeset.EraseObject, Class: class, PK: pk}
			back, err = store.Recreate(s, class, pk)
		case what == 1 && len(c.Props) > 0:
			field := rapid.SampledFrom(c.Props).Draw(t, "property").Name
			erase = changeset.Instruction{Op: changeset.EraseColumn, Class: class, Field: field}
			back, err = store.RecreateColumn(s, class, field)
		default:
			erase = changeset.Instruction{Op: changeset.EraseTable, Class: class}
			back, err = store.RecreateTable(s, class)
		}
		require.NoError(t, err)
		r := s.Clone()
		require.NoError(t, r.Apply(&changeset.Changeset{Instructions: append([]changeset.Instruction{erase}, back...)}))
		require.True(t, r.Equal(s), "after %s and back:\n%s\nwant:\n%s", erase.Op, r, s)
	})
}

// TestRecreate_OfWhatDoesNotExistIsNotFound: recreating a missing class,
// object or column is an error wrapping ErrNotFound.
func TestRecreate_OfWhatDoesNotExistIsNotFound(t *testing.T) {
	s := fixture(t)
	for _, tc := range []struct {
		name string
		do   func() ([]changeset.Instruction, error)
	}{
		{"object of a missing class", func() ([]changeset.Instruction, error) { return store.Recreate(s, "X", pk(1)) }},
		{"missing object", func() ([]changeset.Instruction, error) { return store.Recreate(s, cls, pk(9)) }},
		{"column of a missing class", func() ([]changeset.Instruction, error) { return store.RecreateColumn(s, "X", "n") }},
		{"missing column", func() ([]changeset.Instruction, error) { return store.RecreateColumn(s, cls, "zz") }},
		{"missing table", func() ([]changeset.Instruction, error) { return store.RecreateTable(s, "X") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ins, err := tc.do()
			require.ErrorIs(t, err, store.ErrNotFound)
			require.Nil(t, ins)
		})
	}
}
