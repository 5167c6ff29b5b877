package server

import (
	"fmt"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// ChangeSchema sets the server's declared schema for the realm (initially
// none: anything goes). From then on an upload that adds a class or
// property the declared schema lacks, or with another primary key or
// type, is a schema mismatch: ERROR SchemaChange.
//
// Compared with the declared schema before (or, the first time, the
// state's), an additive change applies at once. A breaking one
// (schema.Diff) needs sync terminated and re-enabled, which ChangeSchema
// does: the data is converted (the values of removed or retyped
// properties are dropped, and the classes removed or with another primary
// key), every session ends with SchemaChange, and the new epoch is marked
// as begun by a breaking change, so a file of an earlier epoch gets
// SchemaChange rather than BadClientFileIdent. On a terminated realm the
// conversion happens now and the epoch Enable begins is the breaking one.
func (s *Server) ChangeSchema(path string, sch schema.Schema) error {
	if err := sch.Validate(); err != nil {
		return fmt.Errorf("server: ChangeSchema(%q): %w", path, err)
	}
	sch, err := schemaOf(store.SchemaInstructions(sch)) // a copy the caller cannot change
	if err != nil {
		return fmt.Errorf("server: ChangeSchema(%q): %w", path, err)
	}
	r, err := s.realm(path)
	if err != nil {
		return err
	}
	now := s.clk.Now()
	wasOn := !r.terminated
	change, err := r.changeSchema(sch, now)
	if err != nil {
		return fmt.Errorf("server: ChangeSchema(%q): %w", path, err)
	}
	if change.Breaking() && wasOn {
		r.endSessions(protocol.SchemaChange, "breaking schema change:\n"+change.String(), 0)
	}
	r.persist(changeset.AppendBinary(appendTime(record(recSchema), now),
		&changeset.Changeset{Instructions: store.SchemaInstructions(sch)}))
	return nil
}

// changeSchema makes sch the declared schema, converting the data and
// beginning a new epoch for a breaking change; it returns the change.
func (r *realm) changeSchema(sch schema.Schema, at env.Time) (schema.Change, error) {
	old := r.state.Schema()
	if r.declared != nil {
		old = *r.declared
	}
	change := schema.Diff(old, sch)
	if !change.Breaking() {
		r.declared = &sch
		return change, nil
	}
	if ins := r.conversion(change); len(ins) > 0 {
		latest := r.latestVersion()
		conv := &changeset.Changeset{Version: latest + 1, LastIntegratedServerVersion: latest,
			OriginTimestamp: beginningOfTime, Instructions: ins}
		if err := r.appendServer(conv, at); err != nil {
			return change, fmt.Errorf("converting the data: %w", err)
		}
	}
	r.declared = &sch
	wasOn := !r.terminated
	r.terminate()
	r.pendingBreaking = true
	if wasOn {
		return change, r.enable(at)
	}
	return change, nil
}

// conversion returns the instructions that drop from the state what a
// breaking change leaves no place for: the classes removed or with
// another primary key, the properties removed or with another type.
func (r *realm) conversion(change schema.Change) []changeset.Instruction {
	var ins []changeset.Instruction
	dropped := map[string]bool{}
	for _, d := range change.Differences {
		if _, ok := r.state.Class(d.Class); !ok || dropped[d.Class] {
			continue
		}
		switch d.Kind {
		case schema.ClassRemoved, schema.PKKindChanged:
			dropped[d.Class] = true
			ins = append(ins, changeset.Instruction{Op: changeset.EraseTable, Class: d.Class})
		case schema.PropertyRemoved, schema.PropertyTypeChanged:
			c, _ := r.state.Class(d.Class)
			if _, ok := c.Property(d.Property); ok {
				ins = append(ins, changeset.Instruction{Op: changeset.EraseColumn, Class: d.Class, Field: d.Property})
			}
		}
	}
	return ins
}

// checkDeclared checks that the classes and properties cs adds are in the
// declared schema, with the same primary key kinds and types.
func (r *realm) checkDeclared(cs *changeset.Changeset) error {
	if r.declared == nil {
		return nil
	}
	for i := range cs.Instructions {
		in := &cs.Instructions[i]
		switch in.Op {
		case changeset.AddTable:
			c, ok := r.declared.Class(in.Class)
			switch {
			case !ok:
				return fmt.Errorf("class %q is not in the server's schema", in.Class)
			case c.PKKind != in.PKKind:
				return fmt.Errorf("class %q has a primary key of kind %s on the server, %s in the changeset", in.Class, c.PKKind, in.PKKind)
			}
		case changeset.AddColumn:
			p, ok := r.declared.Property(in.Class, in.Field)
			switch {
			case !ok:
				return fmt.Errorf("property %s.%s is not in the server's schema", in.Class, in.Field)
			case !sameType(p.Type, in.Type):
				return fmt.Errorf("property %s.%s has type %s on the server, %s in the changeset", in.Class, in.Field, p.Type, in.Type)
			}
		}
	}
	return nil
}

// sameType reports whether t and u are the same property type; links are
// always nullable, so Nullable does not tell link types apart.
func sameType(t, u schema.PropType) bool {
	if t.Kind == schema.Link {
		t.Nullable, u.Nullable = false, false
	}
	return t == u
}
