package replica

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

func TestFirstOpenCommitsDeclaredSchemaAsFirstChangeset(t *testing.T) {
	r := openTest(t, newDisk(t, 1), &stepClock{now: 7})
	require.Equal(t, uint64(1), r.Version())
	cs := r.Unsynced()
	require.Len(t, cs, 1)
	assert.Equal(t, []changeset.Op{changeset.AddTable, changeset.AddTable,
		changeset.AddColumn, changeset.AddColumn, changeset.AddColumn,
		changeset.AddColumn, changeset.AddColumn, changeset.AddColumn}, ops(cs[0]))
	assert.Equal(t, int64(7), cs[0].OriginTimestamp)
	assert.Empty(t, schema.Diff(r.State().Schema(), normalSchema(testSch)).Differences)
}

// normalSchema is sch as the store reports it: classes and properties
// sorted by name, links nullable.
func normalSchema(sch schema.Schema) schema.Schema {
	s := store.New()
	ins, _ := schemaAdditions(s, sch)
	_ = s.Apply(&changeset.Changeset{Instructions: ins})
	return s.Schema()
}

func TestReopenWithAdditiveSchemaCommitsOnlyTheAdditions(t *testing.T) {
	d := newDisk(t, 1)
	clk := &stepClock{}
	openTest(t, d, clk)
	more := testSch
	more.Classes = append([]schema.Class{{Name: "Cat", PKKind: schema.Int}}, testSch.Classes...)
	more.Classes[1].Props = append(more.Classes[1].Props[:3:3], schema.Property{Name: "weight", Type: schema.PropType{Kind: schema.Double}})
	r, err := Open(d, "realm", clk, more)
	require.NoError(t, err)
	require.Equal(t, uint64(2), r.Version())
	last := r.Unsynced()[1]
	assert.Equal(t, []changeset.Instruction{
		{Op: changeset.AddTable, Class: "Cat", PKKind: schema.Int},
		{Op: changeset.AddColumn, Class: "Dog", Field: "weight", Type: schema.PropType{Kind: schema.Double}},
	}, last.Instructions)

	r, err = Open(d, "realm", clk, more)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), r.Version(), "the same schema again commits nothing")
}

func TestReopenWithChangedPropertyTypeIsSchemaMismatch(t *testing.T) {
	d := newDisk(t, 1)
	openTest(t, d, &stepClock{})
	changed := schema.Schema{Classes: []schema.Class{{Name: "Dog", PKKind: schema.Int, Props: []schema.Property{
		{Name: "age", Type: schema.PropType{Kind: schema.String}}}}}}
	_, err := Open(d, "realm", &stepClock{}, changed)
	require.ErrorIs(t, err, store.ErrSchemaMismatch)
	assert.ErrorContains(t, err, "Dog.age")
}

func TestWriteCommitsOneChangesetWithItsOrigin(t *testing.T) {
	clk := &stepClock{now: 1000}
	r := openTest(t, newDisk(t, 1), clk)
	clk.now = 500 // the local clock stepped backwards: its reading is used as is
	v, err := r.Write(func(tx *Tx) error {
		require.NoError(t, tx.Create("Dog", rex))
		require.NoError(t, tx.Set("Dog", rex, "name", str("Rex")))
		got, err := tx.State().Get("Dog", rex, "name")
		require.NoError(t, err)
		assert.Equal(t, str("Rex"), got, "reads inside the transaction see its writes")
		return tx.Add("Dog", rex, "age", 3)
	})
	require.NoError(t, err)
	require.Equal(t, uint64(2), v)
	cs := r.Unsynced()[1]
	assert.Equal(t, changeset.Changeset{Version: 2, LastIntegratedServerVersion: 0, OriginTimestamp: 500, OriginFileIdent: 0,
		Instructions: cs.Instructions}, *cs)
	assert.Equal(t, []changeset.Op{changeset.CreateObject, changeset.Update, changeset.AddInteger}, ops(cs))

	require.NoError(t, r.SetIdent(42, 9))
	up := r.Uploadable(0, 1<<20)
	require.Len(t, up, 2)
	for _, c := range up {
		assert.Equal(t, uint64(42), c.OriginFileIdent, "an ident learnt later is filled in at upload")
	}
}

func TestWriteWithInvalidInstructionFailsAndChangesNothing(t *testing.T) {
	r := openTest(t, newDisk(t, 1), &stepClock{})
	before := r.State().Clone()
	tests := []struct {
		name string
		fn   func(tx *Tx) error
		want error
	}{
		{"missing class", func(tx *Tx) error { return tx.Create("Cat", rex) }, store.ErrNotFound},
		{"existing object", func(tx *Tx) error {
			require.NoError(t, tx.Create("Dog", rex))
			return tx.Create("Dog", rex)
		}, ErrExists},
		{"wrong value kind", func(tx *Tx) error {
			require.NoError(t, tx.Create("Dog", rex))
			return tx.Set("Dog", rex, "age", str("old"))
		}, store.ErrBadChangeset},
		{"missing object", func(tx *Tx) error { return tx.Erase("Dog", rex) }, store.ErrNotFound},
		{"list index past the end", func(tx *Tx) error {
			require.NoError(t, tx.Create("Person", alice))
			return tx.ListInsert("Person", alice, "nums", 1, num(1))
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Write(tc.fn)
			require.Error(t, err)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
			}
			assert.True(t, before.Equal(r.State()), "state changed:\n%s", r.State())
			assert.Equal(t, uint64(1), r.Version())
		})
	}
}

func TestAbortedWriteUndoesEveryChange(t *testing.T) {
	r := openTest(t, newDisk(t, 1), &stepClock{})
	_, err := r.Write(func(tx *Tx) error {
		require.NoError(t, tx.Create("Dog", rex))
		require.NoError(t, tx.Create("Dog", changeset.IntPK(2)))
		require.NoError(t, tx.Create("Person", alice))
		require.NoError(t, tx.Set("Dog", rex, "best", dog(2)))
		for i := range 3 {
			require.NoError(t, tx.ListInsert("Person", alice, "dogs", i, dog(int64(1+i%2))))
			require.NoError(t, tx.ListInsert("Person", alice, "nums", i, num(int64(i))))
		}
		return nil
	})
	require.NoError(t, err)
	before := r.State().Clone()
	abort := errors.New("abort")
	_, err = r.Write(func(tx *Tx) error {
		require.NoError(t, tx.Erase("Dog", changeset.IntPK(2)))
		require.NoError(t, tx.ListMove("Person", alice, "nums", 0, 2))
		require.NoError(t, tx.ListErase("Person", alice, "nums", 1))
		require.NoError(t, tx.ListSet("Person", alice, "dogs", 0, dog(1)))
		require.NoError(t, tx.ListClear("Person", alice, "nums"))
		require.NoError(t, tx.Add("Person", alice, "n", 5))
		require.NoError(t, tx.Erase("Person", alice))
		require.NoError(t, tx.Create("Dog", changeset.IntPK(3)))
		return abort
	})
	require.ErrorIs(t, err, abort)
	assert.True(t, before.Equal(r.State()), "want\n%s\ngot\n%s", before, r.State())
	assert.Equal(t, uint64(2), r.Version())
}

func TestUpsertWritesOnlyChangedFields(t *testing.T) {
	r := openTest(t, newDisk(t, 1), &stepClock{})
	fields := map[string]changeset.Value{"name": str("Rex"), "age": num(0), "best": {}}

	v, err := r.Write(func(tx *Tx) error { return tx.Upsert("Dog", rex, fields) })
	require.NoError(t, err)
	require.Equal(t, uint64(2), v)
	assert.Equal(t, []changeset.Instruction{
		{Op: changeset.CreateObject, Class: "Dog", PK: rex},
		{Op: changeset.Update, Class: "Dog", PK: rex, Field: "name", Value: str("Rex")},
	}, r.Unsynced()[1].Instructions, "a new object: create it and set the fields that differ from the defaults")

	v, err = r.Write(func(tx *Tx) error { return tx.Upsert("Dog", rex, fields) })
	require.NoError(t, err)
	assert.Equal(t, uint64(2), v, "writing back an unchanged copy commits nothing")

	fields["age"] = num(4)
	v, err = r.Write(func(tx *Tx) error { return tx.Upsert("Dog", rex, fields) })
	require.NoError(t, err)
	require.Equal(t, uint64(3), v)
	assert.Equal(t, []changeset.Instruction{
		{Op: changeset.Update, Class: "Dog", PK: rex, Field: "age", Value: num(4)},
	}, r.Unsynced()[2].Instructions, "only the changed field is written; no create")
}

func TestSetDefaultMarksTheUpdateAsDefault(t *testing.T) {
	r := openTest(t, newDisk(t, 1), &stepClock{})
	_, err := r.Write(func(tx *Tx) error {
		require.NoError(t, tx.Create("Dog", rex))
		return tx.SetDefault("Dog", rex, "age", num(1))
	})
	require.NoError(t, err)
	in := r.Unsynced()[1].Instructions[1]
	assert.True(t, in.IsDefault)
	assert.Equal(t, changeset.Update, in.Op)
}

func TestTxUsedAfterWriteIsAnError(t *testing.T) {
	r := openTest(t, newDisk(t, 1), &stepClock{})
	var kept *Tx
	_, err := r.Write(func(tx *Tx) error { kept = tx; return nil })
	require.NoError(t, err)
	assert.Error(t, kept.Create("Dog", rex))
	_, err = r.Write(func(tx *Tx) error {
		_, err := r.Write(func(*Tx) error { return nil })
		return err
	})
	assert.ErrorContains(t, err, "inside a write transaction")
}

func TestEraseTableAndEraseColumn_WriteAPI(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fn    func(tx *Tx) error
		want  changeset.Instruction // the one instruction committed
		err   error                 // or the error
		check func(t *testing.T, r *Replica)
	}{
		{name: "EraseTable erases the class with its objects",
			fn:   func(tx *Tx) error { return tx.EraseTable("Person") },
			want: changeset.Instruction{Op: changeset.EraseTable, Class: "Person"},
			check: func(t *testing.T, r *Replica) {
				_, ok := r.State().Class("Person")
				assert.False(t, ok)
			}},
		{name: "EraseColumn erases the property in every object",
			fn:   func(tx *Tx) error { return tx.EraseColumn("Person", "nums") },
			want: changeset.Instruction{Op: changeset.EraseColumn, Class: "Person", Field: "nums"},
			check: func(t *testing.T, r *Replica) {
				c, _ := r.State().Class("Person")
				_, ok := c.Property("nums")
				assert.False(t, ok)
				_, err := r.State().List("Person", alice, "nums")
				assert.Error(t, err)
			}},
		{name: "EraseColumn of a link property",
			fn:   func(tx *Tx) error { return tx.EraseColumn("Dog", "best") },
			want: changeset.Instruction{Op: changeset.EraseColumn, Class: "Dog", Field: "best"}},
		{name: "EraseTable of a missing class", fn: func(tx *Tx) error { return tx.EraseTable("Cat") }, err: store.ErrNotFound},
		{name: "EraseColumn of a missing property", fn: func(tx *Tx) error { return tx.EraseColumn("Dog", "x") }, err: store.ErrNotFound},
		{name: "EraseTable of a class other classes link to", fn: func(tx *Tx) error { return tx.EraseTable("Dog") }, err: ErrLinkTarget},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := openTest(t, newDisk(t, 1), &stepClock{})
			_, err := r.Write(func(tx *Tx) error {
				require.NoError(t, tx.Create("Dog", rex))
				require.NoError(t, tx.Create("Person", alice))
				require.NoError(t, tx.ListInsert("Person", alice, "nums", 0, num(1)))
				return tx.Set("Dog", rex, "best", dog(1))
			})
			require.NoError(t, err)
			before, prev := r.State().Clone(), r.Version()

			// Aborted: every change undone.
			abort := errors.New("abort")
			_, err = r.Write(func(tx *Tx) error {
				if err := tc.fn(tx); err != nil {
					return err
				}
				return abort
			})
			require.Error(t, err)
			require.True(t, before.Equal(r.State()), "an aborted or failed erase leaves\n%s\nwant\n%s", r.State(), before)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}

			v, err := r.Write(tc.fn)
			require.NoError(t, err)
			require.Equal(t, prev+1, v)
			cs := r.Unsynced()[len(r.Unsynced())-1]
			require.Equal(t, []changeset.Instruction{tc.want}, cs.Instructions)
			replayed := before.Clone()
			require.NoError(t, replayed.Apply(cs))
			require.True(t, replayed.Equal(r.State()))
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}
