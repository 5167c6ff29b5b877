// Package changesettest provides rapid generators of valid changesets and
// their parts, for property tests and fuzz seeds in any package.
//
// Names are mostly drawn from small pools (so generated instructions touch
// the same classes, fields and objects often) and sometimes arbitrary.
// Every generated Instruction passes Instruction.Validate. A changeset
// without instructions has nil Instructions, as Decode returns it.
package changesettest

import (
	"math"

	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
)

// Name generates a non-empty class or field name: usually one of a few
// short names, sometimes an arbitrary string.
func Name() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.SampledFrom([]string{"Person", "Dog", "Task", "name", "age", "tags", "owner"}),
		rapid.SampledFrom([]string{"Person", "Dog", "Task", "name", "age", "tags", "owner"}),
		rapid.StringN(1, 12, 48),
	)
}

// PK generates a primary key, int or string, often small.
func PK() *rapid.Generator[changeset.PK] {
	return rapid.OneOf(
		rapid.Map(rapid.Int64Range(-3, 10), changeset.IntPK),
		rapid.Map(rapid.Int64(), changeset.IntPK),
		rapid.Map(rapid.SampledFrom([]string{"", "a", "b", "c"}), changeset.StrPK),
		rapid.Map(rapid.String(), changeset.StrPK),
	)
}

// Value generates a value of any kind, or null. Doubles are never NaN
// (NaN != NaN would defeat equality checks); infinities and extreme
// values do occur.
func Value() *rapid.Generator[changeset.Value] {
	return rapid.Custom(func(t *rapid.T) changeset.Value {
		k := schema.Kind(rapid.IntRange(int(schema.Invalid), int(schema.Link)).Draw(t, "kind"))
		v := changeset.Value{Kind: k}
		switch k {
		case schema.Int, schema.Timestamp:
			v.Int = rapid.Int64().Draw(t, "int")
		case schema.Bool:
			v.Bool = rapid.Bool().Draw(t, "bool")
		case schema.String:
			v.Str = rapid.String().Draw(t, "str")
		case schema.Double:
			v.Float = rapid.OneOf(rapid.Float64(), rapid.SampledFrom(
				[]float64{0, math.Inf(1), math.Inf(-1), math.MaxFloat64, math.SmallestNonzeroFloat64})).Draw(t, "float")
		case schema.Link:
			v.Class = Name().Draw(t, "class")
			v.Target = PK().Draw(t, "target")
		}
		return v
	})
}

// PropType generates a valid column type.
func PropType() *rapid.Generator[schema.PropType] {
	return rapid.Custom(func(t *rapid.T) schema.PropType {
		p := schema.PropType{
			Kind:     schema.Kind(rapid.IntRange(int(schema.Int), int(schema.Link)).Draw(t, "kind")),
			Nullable: rapid.Bool().Draw(t, "nullable"),
			List:     rapid.Bool().Draw(t, "list"),
		}
		if p.Kind == schema.Link {
			p.Target = Name().Draw(t, "target")
		}
		return p
	})
}

// Op generates a valid op.
func Op() *rapid.Generator[changeset.Op] {
	return rapid.Map(rapid.IntRange(int(changeset.AddTable), int(changeset.Clear)),
		func(i int) changeset.Op { return changeset.Op(i) })
}

// Instruction generates a valid instruction of any op.
func Instruction() *rapid.Generator[changeset.Instruction] {
	return rapid.Custom(func(t *rapid.T) changeset.Instruction {
		return InstructionOf(Op().Draw(t, "op")).Draw(t, "instruction")
	})
}

// InstructionOf generates a valid instruction of op.
func InstructionOf(op changeset.Op) *rapid.Generator[changeset.Instruction] {
	return rapid.Custom(func(t *rapid.T) changeset.Instruction {
		in := changeset.Instruction{Op: op, Class: Name().Draw(t, "class")}
		field := func() { in.Field = Name().Draw(t, "field") }
		pk := func() { in.PK = PK().Draw(t, "pk") }
		size := func(min uint32) {
			in.PriorSize = rapid.OneOf(rapid.Uint32Range(min, 8), rapid.Uint32Min(min)).Draw(t, "priorSize")
		}
		index := func(max uint32) uint32 { return rapid.Uint32Range(0, max).Draw(t, "index") }
		switch op {
		case changeset.AddTable:
			in.PKKind = rapid.SampledFrom([]schema.Kind{schema.Int, schema.String}).Draw(t, "pkKind")
		case changeset.AddColumn:
			field()
			in.Type = PropType().Draw(t, "type")
		case changeset.EraseColumn:
			field()
		case changeset.CreateObject, changeset.EraseObject:
			pk()
		case changeset.Update:
			pk()
			field()
			in.Value = Value().Draw(t, "value")
			in.IsDefault = rapid.Bool().Draw(t, "isDefault")
			if in.InList = rapid.Bool().Draw(t, "inList"); in.InList {
				in.Index = rapid.Uint32().Draw(t, "index")
			}
		case changeset.AddInteger:
			pk()
			field()
			in.Delta = rapid.Int64().Draw(t, "delta")
		case changeset.ArrayInsert:
			pk()
			field()
			size(0)
			in.Index = index(in.PriorSize)
			in.Value = Value().Draw(t, "value")
		case changeset.ArrayMove:
			pk()
			field()
			size(1)
			in.Index = index(in.PriorSize - 1)
			in.To = index(in.PriorSize - 1)
		case changeset.ArrayErase:
			pk()
			field()
			size(1)
			in.Index = index(in.PriorSize - 1)
		case changeset.Clear:
			pk()
			field()
		}
		return in
	})
}

// Changeset generates a valid changeset of up to 30 instructions with
// arbitrary header fields.
func Changeset() *rapid.Generator[*changeset.Changeset] {
	return rapid.Custom(func(t *rapid.T) *changeset.Changeset {
		cs := &changeset.Changeset{
			Version:                     rapid.Uint64().Draw(t, "version"),
			LastIntegratedServerVersion: rapid.Uint64().Draw(t, "lastIntegratedServerVersion"),
			OriginTimestamp:             rapid.Int64().Draw(t, "originTimestamp"),
			OriginFileIdent:             rapid.Uint64().Draw(t, "originFileIdent"),
			Instructions:                rapid.SliceOfN(Instruction(), 0, 30).Draw(t, "instructions"),
		}
		if len(cs.Instructions) == 0 {
			cs.Instructions = nil
		}
		return cs
	})
}
