package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// The tests run on a fixture: class T (int primary key) with
//
//	n int, on int?, s string, b bool, d double, ts timestamp, ref link<T>,
//	tags list<string>, refs list<link<T>>
//
// and objects T[1], T[2] with T[1].tags = [a b c].
const cls = "T"

var props = []schema.Property{
	{Name: "n", Type: schema.PropType{Kind: schema.Int}},
	{Name: "on", Type: schema.PropType{Kind: schema.Int, Nullable: true}},
	{Name: "s", Type: schema.PropType{Kind: schema.String}},
	{Name: "b", Type: schema.PropType{Kind: schema.Bool}},
	{Name: "d", Type: schema.PropType{Kind: schema.Double}},
	{Name: "ts", Type: schema.PropType{Kind: schema.Timestamp}},
	{Name: "ref", Type: schema.PropType{Kind: schema.Link, Nullable: true, Target: cls}},
	{Name: "tags", Type: schema.PropType{Kind: schema.String, List: true}},
	{Name: "refs", Type: schema.PropType{Kind: schema.Link, Nullable: true, List: true, Target: cls}},
}

func fixture(t testing.TB) *store.State {
	s := store.New()
	in := []changeset.Instruction{addTable(cls, schema.Int)}
	for _, p := range props {
		in = append(in, addColumn(p.Name, p.Type))
	}
	in = append(in, create(1), create(2),
		ins(1, "tags", 0, str("a"), 0), ins(1, "tags", 1, str("b"), 1), ins(1, "tags", 2, str("c"), 2))
	require.NoError(t, s.Apply(cset(in...)))
	return s
}

func cset(in ...changeset.Instruction) *changeset.Changeset {
	return &changeset.Changeset{Instructions: in}
}

func pk(i int64) changeset.PK { return changeset.IntPK(i) }

func str(s string) changeset.Value { return changeset.Value{Kind: schema.String, Str: s} }
func num(i int64) changeset.Value  { return changeset.Value{Kind: schema.Int, Int: i} }
func link(i int64) changeset.Value {
	return changeset.Value{Kind: schema.Link, Class: cls, Target: pk(i)}
}

func addTable(name string, k schema.Kind) changeset.Instruction {
	return changeset.Instruction{Op: changeset.AddTable, Class: name, PKKind: k}
}

func addColumn(field string, t schema.PropType) changeset.Instruction {
	return changeset.Instruction{Op: changeset.AddColumn, Class: cls, Field: field, Type: t}
}

func create(i int64) changeset.Instruction {
	return changeset.Instruction{Op: changeset.CreateObject, Class: cls, PK: pk(i)}
}

func erase(i int64) changeset.Instruction {
	return changeset.Instruction{Op: changeset.EraseObject, Class: cls, PK: pk(i)}
}

func upd(i int64, field string, v changeset.Value) changeset.Instruction {
	return changeset.Instruction{Op: changeset.Update, Class: cls, PK: pk(i), Field: field, Value: v}
}

func add(i int64, field string, d int64) changeset.Instruction {
	return changeset.Instruction{Op: changeset.AddInteger, Class: cls, PK: pk(i), Field: field, Delta: d}
}

func ins(i int64, field string, at uint32, v changeset.Value, prior uint32) changeset.Instruction {
	return changeset.Instruction{Op: changeset.ArrayInsert, Class: cls, PK: pk(i), Field: field,
		Index: at, Value: v, PriorSize: prior}
}

func era(i int64, field string, at, prior uint32) changeset.Instruction {
	return changeset.Instruction{Op: changeset.ArrayErase, Class: cls, PK: pk(i), Field: field,
		Index: at, PriorSize: prior}
}

func mov(i int64, field string, from, to, prior uint32) changeset.Instruction {
	return changeset.Instruction{Op: changeset.ArrayMove, Class: cls, PK: pk(i), Field: field,
		Index: from, To: to, PriorSize: prior}
}

func set(i int64, field string, at uint32, v changeset.Value) changeset.Instruction {
	return changeset.Instruction{Op: changeset.Update, Class: cls, PK: pk(i), Field: field,
		InList: true, Index: at, Value: v}
}

func clr(i int64, field string) changeset.Instruction {
	return changeset.Instruction{Op: changeset.Clear, Class: cls, PK: pk(i), Field: field}
}

func get(t *testing.T, s *store.State, i int64, field string) changeset.Value {
	t.Helper()
	v, err := s.Get(cls, pk(i), field)
	require.NoError(t, err)
	return v
}

func list(t *testing.T, s *store.State, i int64, field string) []changeset.Value {
	t.Helper()
	l, err := s.List(cls, pk(i), field)
	require.NoError(t, err)
	return l
}

func strs(ss ...string) []changeset.Value {
	out := make([]changeset.Value, len(ss))
	for k, s := range ss {
		out[k] = str(s)
	}
	return out
}
