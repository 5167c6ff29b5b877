package observe_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/history"
	"github.com/syncsim/syncsim/sim/observe"
)

var (
	taskProps = []changeset.Instruction{
		{Op: changeset.AddTable, Class: "Task", PKKind: schema.Int},
		{Op: changeset.AddColumn, Class: "Task", Field: "title", Type: schema.PropType{Kind: schema.String}},
		{Op: changeset.AddColumn, Class: "Task", Field: "prio", Type: schema.PropType{Kind: schema.Int, Nullable: true}},
		{Op: changeset.AddColumn, Class: "Task", Field: "tags", Type: schema.PropType{Kind: schema.String, List: true}},
		{Op: changeset.AddColumn, Class: "Task", Field: "owner", Type: schema.PropType{Kind: schema.Link, Target: "Person"}},
		{Op: changeset.AddTable, Class: "Person", PKKind: schema.String},
	}
	task1   = changeset.IntPK(1)
	p1      = changeset.StrPK("p1")
	toP1    = changeset.Value{Kind: schema.Link, Class: "Person", Target: p1}
	strVal  = func(s string) changeset.Value { return changeset.Value{Kind: schema.String, Str: s} }
	objTask = history.ObjectName("Task", history.Int(1))
	objP1   = history.ObjectName("Person", history.Str("p1"))
)

// TestState_EveryObjectWithEveryScalarAndNonEmptyListAsStored: nulls are
// kept, empty lists left out, a link to an erased object kept as stored,
// the schema's kinds spelled as the oracle spells them.
func TestState_EveryObjectWithEveryScalarAndNonEmptyListAsStored(t *testing.T) {
	s := store.New()
	ins := append(taskProps,
		changeset.Instruction{Op: changeset.CreateObject, Class: "Person", PK: p1},
		changeset.Instruction{Op: changeset.CreateObject, Class: "Task", PK: task1},
		changeset.Instruction{Op: changeset.Update, Class: "Task", PK: task1, Field: "title", Value: strVal("t")},
		changeset.Instruction{Op: changeset.Update, Class: "Task", PK: task1, Field: "owner", Value: toP1},
		changeset.Instruction{Op: changeset.CreateObject, Class: "Task", PK: changeset.IntPK(2)},
		changeset.Instruction{Op: changeset.ArrayInsert, Class: "Task", PK: changeset.IntPK(2), Field: "tags", Value: strVal("x")},
		changeset.Instruction{Op: changeset.EraseObject, Class: "Person", PK: p1},
	)
	require.NoError(t, s.Apply(&changeset.Changeset{Instructions: ins}))
	got := observe.State(s)
	assert.Equal(t, map[string]history.PlainClass{
		"Task": {PK: "int", Props: map[string]history.PlainProp{
			"title": {Kind: "string"}, "prio": {Kind: "int", Nullable: true},
			"tags": {Kind: "string", List: true}, "owner": {Kind: "link", Nullable: true, Target: "Person"}}},
		"Person": {PK: "string", Props: map[string]history.PlainProp{}},
	}, got.Schema)
	assert.Equal(t, map[string]history.PlainObject{
		objTask: {Class: "Task", Fields: map[string]history.Value{"title": history.Str("t"), "prio": {}, "owner": history.Link(objP1)},
			Lists: map[string][]history.Value{}},
		history.ObjectName("Task", history.Int(2)): {Class: "Task", Fields: map[string]history.Value{"title": history.Str(""), "prio": {}, "owner": {}},
			Lists: map[string][]history.Value{"tags": {history.Str("x")}}},
	}, got.Objects)
}

// TestValue_RendersAsTheOracleDoes: each kind, and null.
func TestValue_RendersAsTheOracleDoes(t *testing.T) {
	for _, tc := range []struct {
		v    changeset.Value
		want string
	}{
		{changeset.Value{}, "null"},
		{changeset.Value{Kind: schema.Int, Int: -3}, "-3"},
		{changeset.Value{Kind: schema.Bool, Bool: true}, "true"},
		{strVal(`a"b`), `"a\"b"`},
		{changeset.Value{Kind: schema.Double, Float: 1.5}, "1.5"},
		{changeset.Value{Kind: schema.Timestamp, Int: 7}, "@7"},
		{toP1, `Person["p1"]`},
	} {
		assert.Equal(t, tc.want, observe.Value(tc.v).String())
	}
}

// TestEffects_OnePerObjectInstructionInOrder: schema instructions are left
// out; each other instruction is the effect history.go names for it, with
// its value rendered and a link's target named.
func TestEffects_OnePerObjectInstructionInOrder(t *testing.T) {
	cs := &changeset.Changeset{Instructions: append(taskProps,
		changeset.Instruction{Op: changeset.CreateObject, Class: "Task", PK: task1},
		changeset.Instruction{Op: changeset.Update, Class: "Task", PK: task1, Field: "title", Value: strVal("d"), IsDefault: true},
		changeset.Instruction{Op: changeset.Update, Class: "Task", PK: task1, Field: "owner", Value: toP1},
		changeset.Instruction{Op: changeset.Update, Class: "Task", PK: task1, Field: "prio"},
		changeset.Instruction{Op: changeset.AddInteger, Class: "Task", PK: task1, Field: "prio", Delta: -2},
		changeset.Instruction{Op: changeset.ArrayInsert, Class: "Task", PK: task1, Field: "tags", Value: strVal("x")},
		changeset.Instruction{Op: changeset.Update, Class: "Task", PK: task1, Field: "tags", InList: true, Value: strVal("y")},
		changeset.Instruction{Op: changeset.ArrayMove, Class: "Task", PK: task1, Field: "tags", PriorSize: 2, To: 1},
		changeset.Instruction{Op: changeset.ArrayErase, Class: "Task", PK: task1, Field: "tags", PriorSize: 2},
		changeset.Instruction{Op: changeset.Clear, Class: "Task", PK: task1, Field: "tags"},
		changeset.Instruction{Op: changeset.EraseObject, Class: "Person", PK: p1},
	)}
	assert.Equal(t, []history.FieldValue{
		{Object: objTask, Op: history.EffectCreate},
		{Object: objTask, Field: "title", Value: `"d"`, Default: true},
		{Object: objTask, Field: "owner", Value: objP1, Link: objP1},
		{Object: objTask, Field: "prio", Value: "null"},
		{Object: objTask, Field: "prio", Value: "-2", Op: history.EffectAdd},
		{Object: objTask, Field: "tags", Value: `"x"`, Op: history.EffectInsert},
		{Object: objTask, Field: "tags", Value: `"y"`, Op: history.EffectSetElement},
		{Object: objTask, Field: "tags", Op: history.EffectMove},
		{Object: objTask, Field: "tags", Op: history.EffectEraseElement},
		{Object: objTask, Field: "tags", Op: history.EffectClear},
		{Object: objP1, Op: history.EffectErase},
	}, observe.Effects(cs))
}

// TestChangeset_KeepsEveryInstructionInItsOriginalForm: the plain
// changeset has the id given, the origin timestamp, and every instruction
// (schema ones included) with its object named and list positions kept.
func TestChangeset_KeepsEveryInstructionInItsOriginalForm(t *testing.T) {
	cs := &changeset.Changeset{Version: 3, OriginTimestamp: 99, Instructions: []changeset.Instruction{
		taskProps[0], taskProps[4],
		{Op: changeset.ArrayInsert, Class: "Task", PK: task1, Field: "tags", Index: 1, PriorSize: 2, Value: strVal("x")},
	}}
	id := history.ChangesetID{File: 4, Version: 3}
	link := history.PlainProp{Kind: "link", Target: "Person"}
	assert.Equal(t, history.PlainChangeset{ID: id, Timestamp: 99, Instructions: []history.PlainInstruction{
		{Op: history.OpAddTable, Class: "Task", PK: "int"},
		{Op: history.OpAddColumn, Class: "Task", Field: "owner", Prop: &link},
		{Op: history.OpArrayInsert, Class: "Task", Object: objTask, Field: "tags", Index: 1, PriorSize: 2, Value: history.Str("x")},
	}}, observe.Changeset(id, cs))
}
