package observe

import (
	"strconv"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/oracle"
)

// The engine's states, changesets and values in the oracle's plain model
// (oracle/plain.go), and a write's effects as the oracle's FieldValues.

// ObjectName names class[pk] as the oracle does.
func ObjectName(class string, pk changeset.PK) string {
	if pk.Kind == schema.String {
		return oracle.ObjectName(class, oracle.Str(pk.Str))
	}
	return oracle.ObjectName(class, oracle.Int(pk.Int))
}

// Value is v in the plain model (a link names its target object).
func Value(v changeset.Value) oracle.Value {
	switch v.Kind {
	case schema.Invalid:
		return oracle.Value{}
	case schema.Int:
		return oracle.Int(v.Int)
	case schema.Bool:
		return oracle.Value{Kind: oracle.KindBool, Bool: v.Bool}
	case schema.String:
		return oracle.Str(v.Str)
	case schema.Double:
		return oracle.Value{Kind: oracle.KindDouble, Float: v.Float}
	case schema.Timestamp:
		return oracle.Value{Kind: oracle.KindTimestamp, Int: v.Int}
	case schema.Link:
		return oracle.Link(ObjectName(v.Class, v.Target))
	}
	return oracle.Value{Kind: v.Kind.String()} // not a kind the engine makes: the oracle reports it
}

// Prop is a property type in the plain model.
func Prop(t schema.PropType) oracle.PlainProp {
	return oracle.PlainProp{Kind: t.Kind.String(), Nullable: t.Nullable, List: t.List, Target: t.Target}
}

// State is s in the plain model: its schema, and every object with every
// scalar property (null included) and every non-empty list, as stored
// (dangling links kept).
func State(s *store.State) oracle.PlainState {
	p := oracle.PlainState{Schema: map[string]oracle.PlainClass{}, Objects: map[string]oracle.PlainObject{}}
	for _, c := range s.Schema().Classes {
		pc := oracle.PlainClass{PK: c.PKKind.String(), Props: make(map[string]oracle.PlainProp, len(c.Props))}
		for _, prop := range c.Props {
			pc.Props[prop.Name] = Prop(prop.Type)
		}
		p.Schema[c.Name] = pc
		for _, pk := range s.Objects(c.Name) {
			o := oracle.PlainObject{Class: c.Name, Fields: map[string]oracle.Value{}, Lists: map[string][]oracle.Value{}}
			for _, prop := range c.Props {
				if prop.Type.List {
					l, _ := s.StoredList(c.Name, pk, prop.Name) // the object and property exist
					if len(l) > 0 {
						vs := make([]oracle.Value, len(l))
						for i, v := range l {
							vs[i] = Value(v)
						}
						o.Lists[prop.Name] = vs
					}
					continue
				}
				v, _ := s.Stored(c.Name, pk, prop.Name)
				o.Fields[prop.Name] = Value(v)
			}
			p.Objects[ObjectName(c.Name, pk)] = o
		}
	}
	return p
}

// objectOp reports whether op addresses an object (not the schema).
func objectOp(op changeset.Op) bool {
	return op >= changeset.CreateObject && op <= changeset.Clear
}

// Instruction is in in the plain model.
func Instruction(in *changeset.Instruction) oracle.PlainInstruction {
	p := oracle.PlainInstruction{Op: oracle.InstrOp(in.Op.String()), Class: in.Class, Field: in.Field,
		Index: in.Index, To: in.To, PriorSize: in.PriorSize, InList: in.InList, IsDefault: in.IsDefault,
		Value: Value(in.Value), Delta: in.Delta}
	if objectOp(in.Op) {
		p.Object = ObjectName(in.Class, in.PK)
	}
	switch in.Op {
	case changeset.AddTable:
		p.PK = in.PKKind.String()
	case changeset.AddColumn:
		prop := Prop(in.Type)
		p.Prop = &prop
	}
	return p
}

// Changeset is cs in the plain model, named id.
func Changeset(id oracle.ChangesetID, cs *changeset.Changeset) oracle.PlainChangeset {
	p := oracle.PlainChangeset{ID: id, Timestamp: cs.OriginTimestamp, Instructions: make([]oracle.PlainInstruction, len(cs.Instructions))}
	for i := range cs.Instructions {
		p.Instructions[i] = Instruction(&cs.Instructions[i])
	}
	return p
}

// Effects is what each instruction of cs does, in order, as a Write
// records it; schema instructions are left out.
func Effects(cs *changeset.Changeset) []oracle.FieldValue {
	var out []oracle.FieldValue
	for i := range cs.Instructions {
		in := &cs.Instructions[i]
		if !objectOp(in.Op) {
			continue
		}
		e := oracle.FieldValue{Object: ObjectName(in.Class, in.PK), Field: in.Field}
		value := func() {
			v := Value(in.Value)
			e.Value = v.String()
			if v.Kind == oracle.KindLink {
				e.Link = v.Link
			}
		}
		switch in.Op {
		case changeset.CreateObject:
			e.Op = oracle.EffectCreate
		case changeset.EraseObject:
			e.Op = oracle.EffectErase
		case changeset.Update:
			e.Op, e.Default = oracle.EffectSet, in.IsDefault
			if in.InList {
				e.Op = oracle.EffectSetElement
			}
			value()
		case changeset.AddInteger:
			e.Op, e.Value = oracle.EffectAdd, strconv.FormatInt(in.Delta, 10)
		case changeset.ArrayInsert:
			e.Op = oracle.EffectInsert
			value()
		case changeset.ArrayErase:
			e.Op = oracle.EffectEraseElement
		case changeset.ArrayMove:
			e.Op = oracle.EffectMove
		case changeset.Clear:
			e.Op = oracle.EffectClear
		}
		out = append(out, e)
	}
	return out
}
