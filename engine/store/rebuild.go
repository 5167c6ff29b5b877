package store

import (
	"fmt"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
)

// Rebuild returns the instructions that build s from an empty state: its
// tables and columns (SchemaInstructions of s.Schema()), then each object,
// class by class in name order and by primary key, as Recreate brings it
// back. Applying them to New() gives a state equal to s, dangling links
// included.
func Rebuild(s *State) []changeset.Instruction {
	ins := SchemaInstructions(s.Schema())
	for _, class := range s.Classes() {
		for _, pk := range s.Objects(class) {
			obj, _ := Recreate(s, class, pk) // the object exists: no error
			ins = append(ins, obj...)
		}
	}
	return ins
}

// SchemaInstructions returns the AddTable and AddColumn instructions that
// create sch, in its order: each class's AddTable followed by its
// AddColumns.
func SchemaInstructions(sch schema.Schema) []changeset.Instruction {
	var ins []changeset.Instruction
	for _, c := range sch.Classes {
		ins = append(ins, changeset.Instruction{Op: changeset.AddTable, Class: c.Name, PKKind: c.PKKind})
		for _, p := range c.Props {
			ins = append(ins, changeset.Instruction{Op: changeset.AddColumn, Class: c.Name, Field: p.Name, Type: p.Type})
		}
	}
	return ins
}

// Recreate returns the instructions that bring back class[pk], an object
// of s, as it is in s onto a state where it does not exist: create it, set
// its non-null fields, fill its lists (stored values, dangling links
// included), properties in name order. A missing class or object is an
// error wrapping ErrNotFound.
func Recreate(s *State, class string, pk changeset.PK) ([]changeset.Instruction, error) {
	c, ok := s.Class(class)
	if !ok {
		return nil, fmt.Errorf("%w: class %q", ErrNotFound, class)
	}
	if !s.Exists(class, pk) {
		return nil, fmt.Errorf("%w: object %s", ErrNotFound, formatObject(class, pk))
	}
	ins := []changeset.Instruction{{Op: changeset.CreateObject, Class: class, PK: pk}}
	for _, p := range c.Props {
		ins = append(ins, refill(s, class, pk, p)...)
	}
	return ins, nil
}

// RecreateColumn returns the instructions that bring back column field of
// class, with every object's stored value, as it is in s onto a state
// without it. A missing class or column is an error wrapping ErrNotFound.
func RecreateColumn(s *State, class, field string) ([]changeset.Instruction, error) {
	c, ok := s.Class(class)
	if !ok {
		return nil, fmt.Errorf("%w: class %q", ErrNotFound, class)
	}
	p, ok := c.Property(field)
	if !ok {
		return nil, fmt.Errorf("%w: property %s.%s", ErrNotFound, class, field)
	}
	ins := []changeset.Instruction{{Op: changeset.AddColumn, Class: class, Field: field, Type: p.Type}}
	for _, pk := range s.Objects(class) {
		ins = append(ins, refill(s, class, pk, p)...)
	}
	return ins, nil
}

// RecreateTable returns the instructions that bring back class with its
// columns and objects as it is in s onto a state without it. A missing
// class is an error wrapping ErrNotFound.
func RecreateTable(s *State, class string) ([]changeset.Instruction, error) {
	c, ok := s.Class(class)
	if !ok {
		return nil, fmt.Errorf("%w: class %q", ErrNotFound, class)
	}
	ins := SchemaInstructions(schema.Schema{Classes: []schema.Class{c}})
	for _, pk := range s.Objects(class) {
		obj, _ := Recreate(s, class, pk) // the object exists: no error
		ins = append(ins, obj...)
	}
	return ins, nil
}

// Inserts returns the ArrayInsert instructions that fill the empty list
// class[pk].field with l, in order.
func Inserts(class string, pk changeset.PK, field string, l []changeset.Value) []changeset.Instruction {
	ins := make([]changeset.Instruction, len(l))
	for i, v := range l {
		ins[i] = changeset.Instruction{Op: changeset.ArrayInsert, Class: class, PK: pk, Field: field,
			Index: uint32(i), PriorSize: uint32(i), Value: v}
	}
	return ins
}

// refill returns the instructions that give property p of class[pk], an
// object of s whose p is at its default, the stored value it has in s.
func refill(s *State, class string, pk changeset.PK, p schema.Property) []changeset.Instruction {
	if p.Type.List {
		l, _ := s.StoredList(class, pk, p.Name)
		return Inserts(class, pk, p.Name, l)
	}
	v, _ := s.Stored(class, pk, p.Name)
	if v.Null() {
		return nil
	}
	return []changeset.Instruction{{Op: changeset.Update, Class: class, PK: pk, Field: p.Name, Value: v}}
}
