package observe

import (
	"strconv"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/history"
)

// The engine's states, changesets and values in the oracle's plain model
// (oracle/plain.go), and a write's effects as the oracle's FieldValues.

// ObjectName names class[pk] as the oracle does.
func ObjectName(class string, pk changeset.PK) string {
	if pk.Kind == schema.String {
		return history.ObjectName(class, history.Str(pk.Str))
	}
	return history.ObjectName(class, history.Int(pk.Int))
}

// Value is v in the plain model (a link names its target object).
func Value(v changeset.Value) history.Value {
	switch v.Kind {
	case schema.Invalid:
		return history.Value{}
	case schema.Int:
		return history.Int(v.Int)
	case schema.Bool:
		return history.Value{Kind: history.KindBool, Bool: v.Bool}
	case schema.String:
		return history.Str(v.Str)
	case schema.Double:
		return history.Value{Kind: history.KindDouble, Float: v.Float}
	case schema.Timestamp:
		return history.Value{Kind: history.KindTimestamp, Int: v.Int}
	case schema.Link:
		return history.Link(ObjectName(v.Class, v.Target))
	}
	return history.Value{Kind: v.Kind.String()} // not a kind the engine makes: the oracle reports it
}

// Prop is a property type in the plain model.
func Prop(t schema.PropType) history.PlainProp {
	return history.PlainProp{Kind: t.Kind.String(), Nullable: t.Nullable, List: t.List, Target: t.Target}
}

// State is s in the plain model: its schema, and every object with every
// scalar property (null included) and every non-empty list, as stored
// (dangling links kept).
func State(s *store.State) history.PlainState {
	p := history.PlainState{Schema: map[string]history.PlainClass{}, Objects: map[string]history.PlainObject{}}
	for _, c := range s.Schema().Classes {
		pc := history.PlainClass{PK: c.PKKind.String(), Props: make(map[string]history.PlainProp, len(c.Props))}
		for _, prop := range c.Props {
			pc.Props[prop.Name] = Prop(prop.Type)
		}
		p.Schema[c.Name] = pc
		for _, pk := range s.Objects(c.Name) {
			o := history.PlainObject{Class: c.Name, Fields: map[string]history.Value{}, Lists: map[string][]history.Value{}}
			for _, prop := range c.Props {
				if prop.Type.List {
					l, _ := s.StoredList(c.Name, pk, prop.Name) // the object and property exist
					if len(l) > 0 {
						vs := make([]history.Value, len(l))
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
func Instruction(in *changeset.Instruction) history.PlainInstruction {
	p := history.PlainInstruction{Op: history.InstrOp(in.Op.String()), Class: in.Class, Field: in.Field,
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
func Changeset(id history.ChangesetID, cs *changeset.Changeset) history.PlainChangeset {
	p := history.PlainChangeset{ID: id, Timestamp: cs.OriginTimestamp, Instructions: make([]history.PlainInstruction, len(cs.Instructions))}
	for i := range cs.Instructions {
		p.Instructions[i] = Instruction(&cs.Instructions[i])
	}
	return p
}

// Effects is what each instruction of cs does, in order, as a Write
// records it; schema instructions are left out.
func Effects(cs *changeset.Changeset) []history.FieldValue {
	var out []history.FieldValue
	for i := range cs.Instructions {
		in := &cs.Instructions[i]
		if !objectOp(in.Op) {
			continue
		}
		e := history.FieldValue{Object: ObjectName(in.Class, in.PK), Field: in.Field}
		value := func() {
			v := Value(in.Value)
			e.Value = v.String()
			if v.Kind == history.KindLink {
				e.Link = v.Link
			}
		}
		switch in.Op {
		case changeset.CreateObject:
			e.Op = history.EffectCreate
		case changeset.EraseObject:
			e.Op = history.EffectErase
		case changeset.Update:
			e.Op, e.Default = history.EffectSet, in.IsDefault
			if in.InList {
				e.Op = history.EffectSetElement
			}
			value()
		case changeset.AddInteger:
			e.Op, e.Value = history.EffectAdd, strconv.FormatInt(in.Delta, 10)
		case changeset.ArrayInsert:
			e.Op = history.EffectInsert
			value()
		case changeset.ArrayErase:
			e.Op = history.EffectEraseElement
		case changeset.ArrayMove:
			e.Op = history.EffectMove
		case changeset.Clear:
			e.Op = history.EffectClear
		}
		out = append(out, e)
	}
	return out
}
