package merge_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/merge"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// The rule tests run on a fixture: class Item (int primary key) with
//
//	n int, on int?, s string?, ref link<Item>, tags list<string>, refs list<link<Item>>
//
// and objects Item[1], Item[2], Item[3]; Item[1].on = 4,
// Item[1].tags = [a b c d] and Item[1].refs = [Item[2] Item[3]].
const item = "Item"

func fixture(t *testing.T) *store.State {
	s := store.New()
	in := []changeset.Instruction{
		{Op: changeset.AddTable, Class: item, PKKind: schema.Int},
		{Op: changeset.AddColumn, Class: item, Field: "n", Type: schema.PropType{Kind: schema.Int}},
		{Op: changeset.AddColumn, Class: item, Field: "on", Type: schema.PropType{Kind: schema.Int, Nullable: true}},
		{Op: changeset.AddColumn, Class: item, Field: "s", Type: schema.PropType{Kind: schema.String, Nullable: true}},
		{Op: changeset.AddColumn, Class: item, Field: "ref", Type: schema.PropType{Kind: schema.Link, Nullable: true, Target: item}},
		{Op: changeset.AddColumn, Class: item, Field: "tags", Type: schema.PropType{Kind: schema.String, List: true}},
		{Op: changeset.AddColumn, Class: item, Field: "refs", Type: schema.PropType{Kind: schema.Link, Nullable: true, List: true, Target: item}},
		create(1), create(2), create(3),
		upd(1, "on", num(4)),
	}
	in = append(in, setList(1, "tags", str("a"), str("b"), str("c"), str("d"))...)
	in = append(in, setList(1, "refs", link(2), link(3))...)
	require.NoError(t, s.Apply(&changeset.Changeset{Instructions: in}))
	return s
}

// ruleCase is two concurrent changesets on the fixture and the state both
// orders must reach: the fixture with want applied.
type ruleCase struct {
	name string
	a, b *changeset.Changeset
	want []changeset.Instruction
}

func runRules(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := fixture(t)
			expected := base.Clone()
			require.NoError(t, expected.Apply(&changeset.Changeset{Instructions: c.want}), "want")
			ab, ba := converge(t, base, c.a, c.b)
			require.True(t, ab.Equal(expected), "S·a·b2:\n%s\nwant:\n%s", ab, expected)
			require.True(t, ba.Equal(expected), "S·b·a2:\n%s\nwant:\n%s", ba, expected)
		})
	}
}

// converge transforms a and b, applies both orders to base and returns
// the two states, after checking that they are equal.
func converge(t *testing.T, base *store.State, a, b *changeset.Changeset) (ab, ba *store.State) {
	t.Helper()
	a2, b2, err := merge.Transform(a, b)
	require.NoError(t, err)
	ab, ba = base.Clone(), base.Clone()
	require.NoError(t, ab.Apply(a), "a")
	require.NoError(t, ab.Apply(b2), "b2")
	require.NoError(t, ba.Apply(b), "b")
	require.NoError(t, ba.Apply(a2), "a2")
	require.True(t, ab.Equal(ba), "TP1: S·a·b2:\n%s\nS·b·a2:\n%s", ab, ba)
	return ab, ba
}

// cs makes a changeset with origin timestamp ts and file ident ident.
func cs(ts int64, ident uint64, in ...changeset.Instruction) *changeset.Changeset {
	return &changeset.Changeset{OriginTimestamp: ts, OriginFileIdent: ident, Instructions: in}
}

func pk(i int64) changeset.PK { return changeset.IntPK(i) }

func str(s string) changeset.Value { return changeset.Value{Kind: schema.String, Str: s} }
func num(i int64) changeset.Value  { return changeset.Value{Kind: schema.Int, Int: i} }
func link(i int64) changeset.Value {
	return changeset.Value{Kind: schema.Link, Class: item, Target: pk(i)}
}

var null changeset.Value

func create(i int64) changeset.Instruction {
	return changeset.Instruction{Op: changeset.CreateObject, Class: item, PK: pk(i)}
}

func erase(i int64) changeset.Instruction {
	return changeset.Instruction{Op: changeset.EraseObject, Class: item, PK: pk(i)}
}

func upd(i int64, field string, v changeset.Value) changeset.Instruction {
	return changeset.Instruction{Op: changeset.Update, Class: item, PK: pk(i), Field: field, Value: v}
}

// dflt marks an update as a default.
func dflt(in changeset.Instruction) changeset.Instruction {
	in.IsDefault = true
	return in
}

func add(i int64, field string, d int64) changeset.Instruction {
	return changeset.Instruction{Op: changeset.AddInteger, Class: item, PK: pk(i), Field: field, Delta: d}
}

func ins(i int64, field string, at uint32, v changeset.Value, prior uint32) changeset.Instruction {
	return changeset.Instruction{Op: changeset.ArrayInsert, Class: item, PK: pk(i), Field: field,
		Index: at, Value: v, PriorSize: prior}
}

func era(i int64, field string, at, prior uint32) changeset.Instruction {
	return changeset.Instruction{Op: changeset.ArrayErase, Class: item, PK: pk(i), Field: field,
		Index: at, PriorSize: prior}
}

func mov(i int64, field string, from, to, prior uint32) changeset.Instruction {
	return changeset.Instruction{Op: changeset.ArrayMove, Class: item, PK: pk(i), Field: field,
		Index: from, To: to, PriorSize: prior}
}

func set(i int64, field string, at uint32, v changeset.Value) changeset.Instruction {
	return changeset.Instruction{Op: changeset.Update, Class: item, PK: pk(i), Field: field,
		InList: true, Index: at, Value: v}
}

func clr(i int64, field string) changeset.Instruction {
	return changeset.Instruction{Op: changeset.Clear, Class: item, PK: pk(i), Field: field}
}

// setList returns the instructions that make a list hold exactly vs.
func setList(i int64, field string, vs ...changeset.Value) []changeset.Instruction {
	out := []changeset.Instruction{clr(i, field)}
	for k, v := range vs {
		out = append(out, ins(i, field, uint32(k), v, uint32(k)))
	}
	return out
}

// tags returns the instructions that make Item[1].tags hold the strings ss.
func tags(ss ...string) []changeset.Instruction {
	vs := make([]changeset.Value, len(ss))
	for k, s := range ss {
		vs[k] = str(s)
	}
	return setList(1, "tags", vs...)
}

// seq concatenates instructions and instruction lists.
func seq(parts ...any) []changeset.Instruction {
	var out []changeset.Instruction
	for _, p := range parts {
		switch p := p.(type) {
		case changeset.Instruction:
			out = append(out, p)
		case []changeset.Instruction:
			out = append(out, p...)
		default:
			panic("seq: not an instruction")
		}
	}
	return out
}
