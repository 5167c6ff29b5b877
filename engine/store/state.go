// Package store holds a replica's state in memory: the schema built from
// AddTable/AddColumn instructions and the objects of each class keyed by
// primary key, with their scalar fields and lists. Apply applies a
// changeset atomically and strictly: an instruction on a missing table,
// object or column is an error, which is how transform bugs show up.
//
// Links to erased objects dangle: the stored value stays, and the view
// (Get, List, Canonical) reads a dangling link field as null and hides
// dangling entries of a link list. Stored lists keep their size, so list
// indexes in instructions always address stored positions.
package store

import (
	"errors"
	"slices"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
)

// ErrBadChangeset is wrapped by Apply's errors for instructions that do not
// fit the state: a missing class, object or column, a value of the wrong
// kind, a list index or prior size that does not match.
var ErrBadChangeset = errors.New("bad changeset")

// ErrSchemaMismatch is wrapped by Apply's errors for an AddTable or
// AddColumn that contradicts the existing schema (another primary key kind
// or property type). It is a client-reset cause.
var ErrSchemaMismatch = errors.New("schema mismatch")

// ErrNotFound is wrapped by the read accessors' errors for a missing class,
// object or property.
var ErrNotFound = errors.New("not found")

// State is a replica's schema and objects. The zero State is not usable;
// make one with New.
type State struct {
	classes map[string]*class
}

// class is a table: its primary key kind, its properties and its objects.
type class struct {
	pkKind  schema.Kind
	props   map[string]schema.PropType
	objects map[changeset.PK]*object
}

// object holds a value for every scalar property of its class in fields
// and a list for every list property in lists (nil when empty).
type object struct {
	fields map[string]changeset.Value
	lists  map[string][]changeset.Value
}

// New returns an empty state: no classes.
func New() *State {
	return &State{classes: make(map[string]*class)}
}

// newObject returns an object of c with every property at its default.
func (c *class) newObject() *object {
	o := &object{fields: make(map[string]changeset.Value), lists: make(map[string][]changeset.Value)}
	for name, t := range c.props {
		o.setDefault(name, t)
	}
	return o
}

// setDefault sets property name of type t to its default value.
func (o *object) setDefault(name string, t schema.PropType) {
	if t.List {
		o.lists[name] = nil
		return
	}
	o.fields[name] = defaultValue(t)
}

// Clone returns a deep copy of s.
func (s *State) Clone() *State {
	c := &State{classes: make(map[string]*class, len(s.classes))}
	for name, cl := range s.classes {
		n := &class{
			pkKind:  cl.pkKind,
			props:   make(map[string]schema.PropType, len(cl.props)),
			objects: make(map[changeset.PK]*object, len(cl.objects)),
		}
		for p, t := range cl.props {
			n.props[p] = t
		}
		for pk, o := range cl.objects {
			no := &object{
				fields: make(map[string]changeset.Value, len(o.fields)),
				lists:  make(map[string][]changeset.Value, len(o.lists)),
			}
			for f, v := range o.fields {
				no.fields[f] = v
			}
			for f, l := range o.lists {
				no.lists[f] = slices.Clone(l)
			}
			n.objects[pk] = no
		}
		c.classes[name] = n
	}
	return c
}

// Equal reports whether s and t hold the same stored state: the same
// schema and the same objects with the same stored values, dangling links
// included. Equal stored states have equal Canonical encodings; the
// converse need not hold.
func (s *State) Equal(t *State) bool {
	if len(s.classes) != len(t.classes) {
		return false
	}
	for name, a := range s.classes {
		b, ok := t.classes[name]
		if !ok || a.pkKind != b.pkKind || len(a.props) != len(b.props) || len(a.objects) != len(b.objects) {
			return false
		}
		for p, ta := range a.props {
			if tb, ok := b.props[p]; !ok || ta != tb {
				return false
			}
		}
		for pk, oa := range a.objects {
			ob, ok := b.objects[pk]
			if !ok || !oa.equal(ob) {
				return false
			}
		}
	}
	return true
}

// equal reports whether o and p hold the same stored values. Both belong
// to classes with the same properties.
func (o *object) equal(p *object) bool {
	for f, v := range o.fields {
		if !valueEqual(v, p.fields[f]) {
			return false
		}
	}
	for f, l := range o.lists {
		m := p.lists[f]
		if len(l) != len(m) {
			return false
		}
		for i := range l {
			if !valueEqual(l[i], m[i]) {
				return false
			}
		}
	}
	return true
}
