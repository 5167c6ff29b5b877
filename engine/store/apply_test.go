package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/changeset/changesettest"
	"github.com/syncsim/syncsim/engine/merge/mergetest"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

func TestApply_Semantics(t *testing.T) {
	tests := []struct {
		name  string
		in    []changeset.Instruction
		check func(t *testing.T, s *store.State)
	}{
		{"identical AddTable is a no-op",
			[]changeset.Instruction{addTable(cls, schema.Int)},
			func(t *testing.T, s *store.State) { require.True(t, s.Exists(cls, pk(1))) }},
		{"identical AddColumn is a no-op and keeps values",
			[]changeset.Instruction{upd(1, "n", num(5)), addColumn("n", schema.PropType{Kind: schema.Int})},
			func(t *testing.T, s *store.State) { require.Equal(t, num(5), get(t, s, 1, "n")) }},
		{"link AddColumn differing only in nullability is a no-op",
			[]changeset.Instruction{addColumn("ref", schema.PropType{Kind: schema.Link, Target: cls})},
			func(t *testing.T, s *store.State) {}},
		{"AddColumn gives existing objects the default",
			[]changeset.Instruction{addColumn("x", schema.PropType{Kind: schema.Int}),
				addColumn("xs", schema.PropType{Kind: schema.Int, List: true})},
			func(t *testing.T, s *store.State) {
				require.Equal(t, num(0), get(t, s, 2, "x"))
				require.Empty(t, list(t, s, 2, "xs"))
			}},
		{"a new object has defaults",
			[]changeset.Instruction{create(3)},
			func(t *testing.T, s *store.State) {
				require.Equal(t, num(0), get(t, s, 3, "n"))
				require.True(t, get(t, s, 3, "on").Null())
				require.Equal(t, str(""), get(t, s, 3, "s"))
				require.Equal(t, changeset.Value{Kind: schema.Bool}, get(t, s, 3, "b"))
				require.Equal(t, changeset.Value{Kind: schema.Double}, get(t, s, 3, "d"))
				require.Equal(t, changeset.Value{Kind: schema.Timestamp}, get(t, s, 3, "ts"))
				require.True(t, get(t, s, 3, "ref").Null())
				require.Empty(t, list(t, s, 3, "tags"))
			}},
		{"CreateObject of an existing object is a no-op",
			[]changeset.Instruction{upd(1, "n", num(5)), create(1)},
			func(t *testing.T, s *store.State) { require.Equal(t, num(5), get(t, s, 1, "n")) }},
		{"EraseObject removes the object",
			[]changeset.Instruction{erase(2)},
			func(t *testing.T, s *store.State) {
				require.False(t, s.Exists(cls, pk(2)))
				require.Equal(t, []changeset.PK{pk(1)}, s.Objects(cls))
			}},
		{"EraseObject of an object already gone is a no-op",
			[]changeset.Instruction{erase(2), erase(2), erase(9)},
			func(t *testing.T, s *store.State) {
				require.False(t, s.Exists(cls, pk(2)))
				require.Equal(t, []changeset.PK{pk(1)}, s.Objects(cls))
			}},
		{"EraseColumn removes the property; adding it again starts from defaults",
			[]changeset.Instruction{upd(1, "n", num(5)), {Op: changeset.EraseColumn, Class: cls, Field: "n"},
				addColumn("n", schema.PropType{Kind: schema.Int})},
			func(t *testing.T, s *store.State) { require.Equal(t, num(0), get(t, s, 1, "n")) }},
		{"EraseTable removes the class",
			[]changeset.Instruction{{Op: changeset.EraseTable, Class: cls}},
			func(t *testing.T, s *store.State) { require.Empty(t, s.Classes()) }},
		{"AddInteger adds",
			[]changeset.Instruction{add(1, "n", 3), add(1, "n", -1)},
			func(t *testing.T, s *store.State) { require.Equal(t, num(2), get(t, s, 1, "n")) }},
		{"AddInteger on null does nothing",
			[]changeset.Instruction{add(1, "on", 3)},
			func(t *testing.T, s *store.State) { require.True(t, get(t, s, 1, "on").Null()) }},
		{"list instructions",
			[]changeset.Instruction{ins(1, "tags", 3, str("d"), 3), mov(1, "tags", 0, 2, 4),
				era(1, "tags", 0, 4), set(1, "tags", 2, str("D"))},
			func(t *testing.T, s *store.State) { require.Equal(t, strs("c", "a", "D"), list(t, s, 1, "tags")) }},
		{"Clear empties the list",
			[]changeset.Instruction{clr(1, "tags"), ins(1, "tags", 0, str("x"), 0)},
			func(t *testing.T, s *store.State) { require.Equal(t, strs("x"), list(t, s, 1, "tags")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fixture(t)
			require.NoError(t, s.Apply(cset(tt.in...)))
			tt.check(t, s)
		})
	}
}

func TestApply_RejectsWhatDoesNotFit(t *testing.T) {
	missing := changeset.Instruction{Op: changeset.CreateObject, Class: "Nope", PK: pk(1)}
	tests := []struct {
		name string
		in   changeset.Instruction
		want error
	}{
		{"AddTable with another primary key kind", addTable(cls, schema.String), store.ErrSchemaMismatch},
		{"AddColumn with another type", addColumn("n", schema.PropType{Kind: schema.String}), store.ErrSchemaMismatch},
		{"AddColumn on a missing class", changeset.Instruction{Op: changeset.AddColumn, Class: "Nope", Field: "x",
			Type: schema.PropType{Kind: schema.Int}}, store.ErrBadChangeset},
		{"instruction on a missing class", missing, store.ErrBadChangeset},
		{"EraseTable of a missing class", changeset.Instruction{Op: changeset.EraseTable, Class: "Nope"}, store.ErrBadChangeset},
		{"EraseColumn of a missing property", changeset.Instruction{Op: changeset.EraseColumn, Class: cls, Field: "x"}, store.ErrBadChangeset},
		{"EraseObject with the wrong primary key kind", changeset.Instruction{Op: changeset.EraseObject, Class: cls,
			PK: changeset.StrPK("a")}, store.ErrBadChangeset},
		{"EraseObject in a missing class", changeset.Instruction{Op: changeset.EraseObject, Class: "Nope", PK: pk(1)}, store.ErrBadChangeset},
		{"Update of a missing object", upd(9, "n", num(1)), store.ErrBadChangeset},
		{"Update of a missing property", upd(1, "x", num(1)), store.ErrBadChangeset},
		{"CreateObject with the wrong primary key kind", changeset.Instruction{Op: changeset.CreateObject, Class: cls,
			PK: changeset.StrPK("a")}, store.ErrBadChangeset},
		{"Update with a value of the wrong kind", upd(1, "n", str("x")), store.ErrBadChangeset},
		{"Update to null of a required property", upd(1, "n", changeset.Value{}), store.ErrBadChangeset},
		{"Update with a link to another class", upd(1, "ref", changeset.Value{Kind: schema.Link, Class: "U", Target: pk(1)}),
			store.ErrBadChangeset},
		{"Update of a whole list", upd(1, "tags", str("x")), store.ErrBadChangeset},
		{"element Update of a scalar", set(1, "n", 0, num(1)), store.ErrBadChangeset},
		{"element Update beyond the list", set(1, "tags", 3, str("x")), store.ErrBadChangeset},
		{"element Update with a value of the wrong kind", set(1, "tags", 0, num(1)), store.ErrBadChangeset},
		{"AddInteger on a string", add(1, "s", 1), store.ErrBadChangeset},
		{"ArrayInsert with the wrong prior size", ins(1, "tags", 0, str("x"), 2), store.ErrBadChangeset},
		{"ArrayInsert of the wrong kind", ins(1, "tags", 0, num(1), 3), store.ErrBadChangeset},
		{"ArrayErase with the wrong prior size", era(1, "tags", 0, 4), store.ErrBadChangeset},
		{"ArrayMove with the wrong prior size", mov(1, "tags", 0, 1, 2), store.ErrBadChangeset},
		{"Clear of a scalar", clr(1, "n"), store.ErrBadChangeset},
		{"invalid instruction", changeset.Instruction{Op: changeset.Op(99), Class: cls}, store.ErrBadChangeset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fixture(t)
			err := s.Apply(cset(upd(1, "n", num(7)), tt.in))
			require.ErrorIs(t, err, tt.want)
			require.True(t, s.Equal(fixture(t)), "a failed Apply changed the state:\n%s", s)
		})
	}
}

// TestApply_IsAtomic: a valid transaction followed by an instruction that
// fails leaves the state exactly as it was, whatever the transaction did.
func TestApply_IsAtomic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		base := mergetest.State().Draw(t, "base")
		scratch := base.Clone()
		txn := mergetest.Txn(t, scratch, 12, changeset.Discriminant{}, "txn")
		bad := changeset.Instruction{Op: changeset.EraseTable, Class: "no such class"}
		at := rapid.IntRange(0, len(txn.Instructions)).Draw(t, "bad instruction at")
		txn.Instructions = append(txn.Instructions[:at:at], append([]changeset.Instruction{bad}, txn.Instructions[at:]...)...)

		s := base.Clone()
		require.ErrorIs(t, s.Apply(txn), store.ErrBadChangeset)
		if !s.Equal(base) {
			t.Fatalf("state changed by a failed Apply\nbefore:\n%s\nafter:\n%s", base, s)
		}
		require.Equal(t, base.Canonical(), s.Canonical())
	})
}

// TestApply_ArbitraryChangesets: an arbitrary valid changeset (which
// mostly does not fit the state) never makes Apply panic, and when it
// fails the state is unchanged.
func TestApply_ArbitraryChangesets(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		base := mergetest.State().Draw(t, "base")
		s := base.Clone()
		if err := s.Apply(changesettest.Changeset().Draw(t, "changeset")); err != nil {
			require.True(t, s.Equal(base), "a failed Apply changed the state")
		}
	})
}

// TestClone_IsIndependent: a clone equals its original, and changing one
// does not change the other.
func TestClone_IsIndependent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := mergetest.State().Draw(t, "state")
		c := s.Clone()
		require.True(t, c.Equal(s))
		require.Equal(t, s.Hash(), c.Hash())
		before := s.String()
		mergetest.Txn(t, c, 8, changeset.Discriminant{}, "txn")
		require.Equal(t, before, s.String(), "changing the clone changed the original")
	})
}
