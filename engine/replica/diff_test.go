package replica

import (
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

func TestDiffMakesAnyStateEqualToAnother(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		from := mergetest.State().Draw(t, "from")
		to := mergetest.State().Draw(t, "to")
		if rapid.Bool().Draw(t, "to is from changed") {
			to = from.Clone()
			for i := range rapid.IntRange(1, 3).Draw(t, "changes") {
				mergetest.Txn(t, to, 6, changeset.Discriminant{}, fmt.Sprintf("change %d", i))
			}
		}
		want := to.Clone()
		got := from.Clone()
		require.NoError(t, got.Apply(&changeset.Changeset{Instructions: Diff(from, to)}))
		require.True(t, got.Equal(to), "diff result\n%s\nwant\n%s", got, to)
		require.True(t, to.Equal(want), "Diff modified its input")
	})
}

func TestDiffOfEqualStatesIsEmpty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := mergetest.State().Draw(t, "state")
		require.Empty(t, Diff(s, s.Clone()))
	})
}

// people is a state with class Person (string keys) holding alice and bob.
func people(t *testing.T) *store.State {
	s := store.New()
	require.NoError(t, s.Apply(&changeset.Changeset{Instructions: []changeset.Instruction{
		{Op: changeset.AddTable, Class: "Person", PKKind: schema.String},
		{Op: changeset.AddColumn, Class: "Person", Field: "n", Type: intT},
		{Op: changeset.AddColumn, Class: "Person", Field: "nums", Type: intsT},
		{Op: changeset.CreateObject, Class: "Person", PK: alice},
		{Op: changeset.CreateObject, Class: "Person", PK: changeset.StrPK("bob")},
		{Op: changeset.Update, Class: "Person", PK: alice, Field: "n", Value: num(1)},
		{Op: changeset.ArrayInsert, Class: "Person", PK: alice, Field: "nums", Value: num(1)},
		{Op: changeset.ArrayInsert, Class: "Person", PK: alice, Field: "nums", Index: 1, PriorSize: 1, Value: num(2)},
		{Op: changeset.ArrayInsert, Class: "Person", PK: alice, Field: "nums", Index: 2, PriorSize: 2, Value: num(3)},
	}}))
	return s
}

func TestDiffWritesOnlyTheDifference(t *testing.T) {
	from := people(t)
	to := from.Clone()
	require.NoError(t, to.Apply(&changeset.Changeset{Instructions: []changeset.Instruction{
		{Op: changeset.Update, Class: "Person", PK: alice, Field: "n", Value: num(5)},
		{Op: changeset.ArrayInsert, Class: "Person", PK: alice, Field: "nums", Index: 1, PriorSize: 3, Value: num(9)},
	}}))
	assert.Equal(t, []changeset.Instruction{
		{Op: changeset.Update, Class: "Person", PK: alice, Field: "n", Value: num(5)},
		{Op: changeset.ArrayInsert, Class: "Person", PK: alice, Field: "nums", Index: 1, PriorSize: 3, Value: num(9)},
	}, Diff(from, to), "one field and one list element differ; bob and the rest of the list are not written")
}
