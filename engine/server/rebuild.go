package server

import (
	"fmt"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
)

// schemaOf is the schema store.SchemaInstructions made ins from, validated.
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
