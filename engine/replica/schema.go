package replica

import (
	"fmt"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// schemaAdditions returns the AddTable and AddColumn instructions that
// bring state's schema to hold every class and property of declared:
// first the new tables, then the new columns, in declared order. A class
// or property that exists with another primary key kind or type is an
// error wrapping store.ErrSchemaMismatch. Classes and properties state
// has beyond declared (from the server) are fine.
func schemaAdditions(state *store.State, declared schema.Schema) ([]changeset.Instruction, error) {
	var tables, columns []changeset.Instruction
	for _, c := range declared.Classes {
		have, ok := state.Class(c.Name)
		if !ok {
			tables = append(tables, changeset.Instruction{Op: changeset.AddTable, Class: c.Name, PKKind: c.PKKind})
		} else if have.PKKind != c.PKKind {
			return nil, fmt.Errorf("%w: class %q has a primary key of kind %s, the declared schema says %s",
				store.ErrSchemaMismatch, c.Name, have.PKKind, c.PKKind)
		}
		for _, p := range c.Props {
			t := stored(p.Type)
			if hp, ok := have.Property(p.Name); ok {
				if hp.Type != t {
					return nil, fmt.Errorf("%w: property %s.%s has type %s, the declared schema says %s",
						store.ErrSchemaMismatch, c.Name, p.Name, hp.Type, p.Type)
				}
				continue
			}
			columns = append(columns, changeset.Instruction{Op: changeset.AddColumn, Class: c.Name, Field: p.Name, Type: t})
		}
	}
	return append(tables, columns...), nil
}

// stored is t as the store keeps it: links are always nullable.
func stored(t schema.PropType) schema.PropType {
	if t.Kind == schema.Link {
		t.Nullable = true
	}
	return t
}
