package changeset_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/changeset/changesettest"
	"github.com/syncsim/syncsim/engine/schema"
)

func TestValidate(t *testing.T) {
	pk := changeset.IntPK(1)
	str := changeset.Value{Kind: schema.String, Str: "x"}
	tests := []struct {
		rule string
		in   changeset.Instruction
		err  string // empty: valid
	}{
		{"an op is known", changeset.Instruction{Op: changeset.Clear + 1, Class: "A"}, "unknown op 13"},
		{"the zero op is invalid", changeset.Instruction{Class: "A"}, "unknown op 0"},
		{"every op names a class", changeset.Instruction{Op: changeset.EraseTable}, "EraseTable: empty class name"},
		{"an update without class is malformed", changeset.Instruction{Op: changeset.Update, PK: pk, Field: "f"}, "empty class name"},
		{"an update without field is malformed", changeset.Instruction{Op: changeset.Update, Class: "A", PK: pk}, "Update: empty field name"},
		{"an update without primary key is malformed", changeset.Instruction{Op: changeset.Update, Class: "A", Field: "f"}, "primary key kind invalid"},
		{"an update to null is valid", changeset.Instruction{Op: changeset.Update, Class: "A", PK: pk, Field: "f"}, ""},
		{"an update of a list element may use Index", changeset.Instruction{Op: changeset.Update, Class: "A", PK: pk, Field: "f", InList: true, Index: 4, Value: str}, ""},
		{"an update of a field does not use Index", changeset.Instruction{Op: changeset.Update, Class: "A", PK: pk, Field: "f", Index: 4}, "field(s) Index set but not used"},
		{"fields an op does not use are zero", changeset.Instruction{Op: changeset.AddTable, Class: "A", PKKind: schema.Int, Value: str, Delta: 1}, "AddTable: field(s) Delta, Value set but not used"},
		{"a table's primary key is int or string", changeset.Instruction{Op: changeset.AddTable, Class: "A", PKKind: schema.Bool}, "primary key kind bool"},
		{"a table has a primary key kind", changeset.Instruction{Op: changeset.AddTable, Class: "A"}, "primary key kind invalid"},
		{"a string primary key may be empty", changeset.Instruction{Op: changeset.CreateObject, Class: "A", PK: changeset.StrPK("")}, ""},
		{"a primary key carries only its kind's payload", changeset.Instruction{Op: changeset.EraseObject, Class: "A", PK: changeset.PK{Kind: schema.Int, Str: "x"}}, "int primary key 0 with a string payload"},
		{"a column type is valid", changeset.Instruction{Op: changeset.AddColumn, Class: "A", Field: "f", Type: schema.PropType{Kind: schema.Invalid, List: true}}, "not a valid kind"},
		{"a link column has a target", changeset.Instruction{Op: changeset.AddColumn, Class: "A", Field: "f", Type: schema.PropType{Kind: schema.Link}}, "without a target"},
		{"a value carries only its kind's payload", changeset.Instruction{Op: changeset.Update, Class: "A", PK: pk, Field: "f", Value: changeset.Value{Kind: schema.Int, Str: "x", Float: 1}}, "int value with field(s) Str, Float set"},
		{"null carries no payload, not even negative zero", changeset.Instruction{Op: changeset.Update, Class: "A", PK: pk, Field: "f", Value: changeset.Value{Float: math.Copysign(0, -1)}}, "null value with field(s) Float set"},
		{"a value kind is known", changeset.Instruction{Op: changeset.ArrayInsert, Class: "A", PK: pk, Field: "f", Value: changeset.Value{Kind: schema.Link + 1}}, "value of unknown kind 7"},
		{"a link value has a class", changeset.Instruction{Op: changeset.Update, Class: "A", PK: pk, Field: "f", Value: changeset.Value{Kind: schema.Link, Target: pk}}, "link value without a class"},
		{"a link value has a valid target", changeset.Instruction{Op: changeset.Update, Class: "A", PK: pk, Field: "f", Value: changeset.Value{Kind: schema.Link, Class: "B"}}, "link value: primary key kind invalid"},
		{"a link value is valid", changeset.Instruction{Op: changeset.Update, Class: "A", PK: pk, Field: "f", Value: changeset.Value{Kind: schema.Link, Class: "B", Target: changeset.StrPK("b")}}, ""},
		{"insert may append at the prior size", changeset.Instruction{Op: changeset.ArrayInsert, Class: "A", PK: pk, Field: "f", Index: 2, PriorSize: 2}, ""},
		{"insert stays within prior size", changeset.Instruction{Op: changeset.ArrayInsert, Class: "A", PK: pk, Field: "f", Index: 3, PriorSize: 2}, "insert at index 3 of a list of size 2"},
		{"move source is within the list", changeset.Instruction{Op: changeset.ArrayMove, Class: "A", PK: pk, Field: "f", Index: 2, PriorSize: 2}, "move from index 2 to 0"},
		{"move target is within the list", changeset.Instruction{Op: changeset.ArrayMove, Class: "A", PK: pk, Field: "f", To: 2, PriorSize: 2}, "move from index 0 to 2"},
		{"erase is within the list", changeset.Instruction{Op: changeset.ArrayErase, Class: "A", PK: pk, Field: "f"}, "erase at index 0 of a list of size 0"},
		{"add integer may add zero", changeset.Instruction{Op: changeset.AddInteger, Class: "A", PK: pk, Field: "f"}, ""},
		{"clear addresses a field", changeset.Instruction{Op: changeset.Clear, Class: "A", PK: pk}, "Clear: empty field name"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			cs := &changeset.Changeset{Instructions: []changeset.Instruction{tt.in}}
			err := cs.Validate()
			if tt.err == "" {
				require.NoError(t, err)
				got, err := changeset.Decode(changeset.Encode(cs))
				require.NoError(t, err)
				assert.Equal(t, cs, got)
				return
			}
			require.ErrorIs(t, err, changeset.ErrInvalid)
			assert.Contains(t, err.Error(), tt.err)
			assert.Contains(t, err.Error(), "instruction 0: ")
		})
	}
}

func TestGeneratedInstructionsOfEveryOpAreValid(t *testing.T) {
	for op := changeset.AddTable; op <= changeset.Clear; op++ {
		t.Run(op.String(), func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				in := changesettest.InstructionOf(op).Draw(t, "in")
				require.NoError(t, in.Validate())
			})
		})
	}
}
