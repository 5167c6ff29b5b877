package server

import (
	"fmt"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// rebuild returns instructions that build s from an empty state: its
// tables and columns, then each object with its stored values (dangling
// links included).
func rebuild(s *store.State) []changeset.Instruction {
	ins := schemaInstructions(s.Schema())
	for _, class := range s.Classes() {
		for _, pk := range s.Objects(class) {
			ins = append(ins, recreate(s, class, pk)...)
		}
	}
	return ins
}

// recreate returns the instructions that bring back class[pk], an object
// of s, as it is in s: create it, set its non-null fields, fill its lists.
func recreate(s *store.State, class string, pk changeset.PK) []changeset.Instruction {
	c, _ := s.Class(class)
	ins := []changeset.Instruction{{Op: changeset.CreateObject, Class: class, PK: pk}}
	for _, p := range c.Props {
		ins = append(ins, refill(s, class, pk, p)...)
	}
	return ins
}

// refill returns the instructions that give property p of class[pk], an
// object of s whose p is at its default, the stored value it has in s.
func refill(s *store.State, class string, pk changeset.PK, p schema.Property) []changeset.Instruction {
	if p.Type.List {
		l, _ := s.StoredList(class, pk, p.Name)
		return inserts(class, pk, p.Name, l)
	}
	v, _ := s.Stored(class, pk, p.Name)
	if v.Null() {
		return nil
	}
	return []changeset.Instruction{{Op: changeset.Update, Class: class, PK: pk, Field: p.Name, Value: v}}
}

// inserts returns the instructions that fill an empty list with l.
func inserts(class string, pk changeset.PK, field string, l []changeset.Value) []changeset.Instruction {
	ins := make([]changeset.Instruction, len(l))
	for i, v := range l {
		ins[i] = changeset.Instruction{Op: changeset.ArrayInsert, Class: class, PK: pk, Field: field,
			Index: uint32(i), PriorSize: uint32(i), Value: v}
	}
	return ins
}

// schemaInstructions returns the AddTable and AddColumn instructions of
// sch, in its order.
func schemaInstructions(sch schema.Schema) []changeset.Instruction {
	var ins []changeset.Instruction
	for _, c := range sch.Classes {
		ins = append(ins, changeset.Instruction{Op: changeset.AddTable, Class: c.Name, PKKind: c.PKKind})
		for _, p := range c.Props {
			ins = append(ins, changeset.Instruction{Op: changeset.AddColumn, Class: c.Name, Field: p.Name, Type: p.Type})
		}
	}
	return ins
}

// schemaOf is the schema schemaInstructions made ins from, validated.
func schemaOf(ins []changeset.Instruction) (schema.Schema, error) {
	var sch schema.Schema
	for i, in := range ins {
		switch {
		case in.Op == changeset.AddTable:
			sch.Classes = append(sch.Classes, schema.Class{Name: in.Class, PKKind: in.PKKind})
		case in.Op == changeset.AddColumn && len(sch.Classes) > 0 && sch.Classes[len(sch.Classes)-1].Name == in.Class:
			c := &sch.Classes[len(sch.Classes)-1]
			c.Props = append(c.Props, schema.Property{Name: in.Field, Type: in.Type})
		default:
			return schema.Schema{}, fmt.Errorf("%w: schema instruction %d is a %s of class %q", errRecord, i, in.Op, in.Class)
		}
	}
	if err := sch.Validate(); err != nil {
		return schema.Schema{}, fmt.Errorf("%w: %w", errRecord, err)
	}
	return sch, nil
}
