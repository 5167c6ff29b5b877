package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

func TestLinks_DanglingReadAsNullAndHidden(t *testing.T) {
	s := fixture(t)
	require.NoError(t, s.Apply(cset(create(3), upd(1, "ref", link(3)),
		ins(1, "refs", 0, link(2), 0), ins(1, "refs", 1, link(3), 1), erase(3))))

	require.True(t, get(t, s, 1, "ref").Null(), "a dangling link reads as null")
	stored, err := s.Stored(cls, pk(1), "ref")
	require.NoError(t, err)
	require.Equal(t, link(3), stored, "the stored link stays")
	require.Equal(t, []changeset.Value{link(2)}, list(t, s, 1, "refs"), "dangling entries are hidden")
	storedList, err := s.StoredList(cls, pk(1), "refs")
	require.NoError(t, err)
	require.Equal(t, []changeset.Value{link(2), link(3)}, storedList, "dangling entries keep their places")
	require.False(t, s.Live(link(3)))

	// The stored size counts: an instruction states it.
	require.ErrorIs(t, s.Apply(cset(ins(1, "refs", 1, link(2), 1))), store.ErrBadChangeset)
	require.NoError(t, s.Apply(cset(ins(1, "refs", 2, link(2), 2))))

	// An object created again under the same key is linked again.
	require.NoError(t, s.Apply(cset(create(3))))
	require.Equal(t, link(3), get(t, s, 1, "ref"))
}

func TestCanonical_EncodesTheVisibleState(t *testing.T) {
	withDangling := fixture(t)
	require.NoError(t, withDangling.Apply(cset(create(3), ins(1, "refs", 0, link(3), 0),
		upd(2, "ref", link(3)), erase(3))))
	without := fixture(t)

	require.False(t, withDangling.Equal(without), "stored states differ")
	require.Equal(t, without.Canonical(), withDangling.Canonical(), "visible states are the same")
	require.Equal(t, without.Hash(), withDangling.Hash())

	require.NoError(t, without.Apply(cset(upd(2, "n", num(1)))))
	require.NotEqual(t, without.Hash(), withDangling.Hash(), "a visible change changes the hash")
}

func TestCanonical_IndependentOfHowTheStateWasBuilt(t *testing.T) {
	// The same state built in two orders: classes, properties, objects.
	build := func(in ...changeset.Instruction) *store.State {
		s := store.New()
		require.NoError(t, s.Apply(cset(in...)))
		return s
	}
	u := func(in changeset.Instruction) changeset.Instruction { in.Class = "U"; return in }
	x := build(addTable(cls, schema.Int), addTable("U", schema.String),
		addColumn("n", schema.PropType{Kind: schema.Int}), addColumn("s", schema.PropType{Kind: schema.String}),
		create(1), create(2), upd(2, "s", str("x")),
		u(changeset.Instruction{Op: changeset.CreateObject, PK: changeset.StrPK("k")}))
	y := build(addTable("U", schema.String), addTable(cls, schema.Int),
		u(changeset.Instruction{Op: changeset.CreateObject, PK: changeset.StrPK("k")}),
		create(2), create(1), addColumn("s", schema.PropType{Kind: schema.String}), upd(2, "s", str("x")),
		addColumn("n", schema.PropType{Kind: schema.Int}))
	require.True(t, x.Equal(y))
	require.Equal(t, x.Canonical(), y.Canonical())
	require.Equal(t, x.String(), y.String())
	require.Equal(t, []string{cls, "U"}, x.Classes())
}

func TestString_DumpsSortedWithDanglingMarked(t *testing.T) {
	s := store.New()
	require.NoError(t, s.Apply(cset(addTable(cls, schema.Int),
		addColumn("ref", schema.PropType{Kind: schema.Link, Target: cls}),
		addColumn("n", schema.PropType{Kind: schema.Int}),
		create(2), create(1), create(3), upd(1, "ref", link(3)), upd(2, "ref", link(1)), erase(3))))
	require.Equal(t, `class T pk int {n int, ref link<T>?}
  T[1] n=0 ref=T[3]†
  T[2] n=0 ref=T[1]
`, s.String())
}

func TestSchema_SortedAndNormalised(t *testing.T) {
	s := fixture(t)
	sc := s.Schema()
	require.NoError(t, sc.Validate())
	c, ok := sc.Class(cls)
	require.True(t, ok)
	require.Equal(t, schema.Int, c.PKKind)
	names := make([]string, len(c.Props))
	for k, p := range c.Props {
		names[k] = p.Name
	}
	require.IsIncreasing(t, names)
	ref, _ := c.Property("ref")
	require.True(t, ref.Type.Nullable, "links are stored nullable")
}
