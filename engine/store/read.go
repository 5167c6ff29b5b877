package store

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
)

// Schema returns the schema: classes sorted by name, each with its
// properties sorted by name.
func (s *State) Schema() schema.Schema {
	names := s.Classes()
	sc := schema.Schema{Classes: make([]schema.Class, 0, len(names))}
	for _, name := range names {
		c, _ := s.Class(name)
		sc.Classes = append(sc.Classes, c)
	}
	return sc
}

// Classes returns the class names, sorted.
func (s *State) Classes() []string {
	names := make([]string, 0, len(s.classes))
	for name := range s.classes {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Class returns the class called name with its properties sorted by name.
func (s *State) Class(name string) (schema.Class, bool) {
	c, ok := s.classes[name]
	if !ok {
		return schema.Class{}, false
	}
	return schema.Class{Name: name, PKKind: c.pkKind, Props: c.sortedProps()}, true
}

// sortedProps returns c's properties sorted by name.
func (c *class) sortedProps() []schema.Property {
	props := make([]schema.Property, 0, len(c.props))
	for name, t := range c.props {
		props = append(props, schema.Property{Name: name, Type: t})
	}
	slices.SortFunc(props, func(a, b schema.Property) int { return strings.Compare(a.Name, b.Name) })
	return props
}

// Exists reports whether class has an object with primary key pk.
func (s *State) Exists(class string, pk changeset.PK) bool {
	c, ok := s.classes[class]
	if !ok {
		return false
	}
	_, ok = c.objects[pk]
	return ok
}

// Objects returns the primary keys of class's objects, sorted (ints
// before strings, each in ascending order); nil for a missing class.
func (s *State) Objects(class string) []changeset.PK {
	c, ok := s.classes[class]
	if !ok {
		return nil
	}
	return c.sortedPKs()
}

func (c *class) sortedPKs() []changeset.PK {
	pks := make([]changeset.PK, 0, len(c.objects))
	for pk := range c.objects {
		pks = append(pks, pk)
	}
	slices.SortFunc(pks, comparePK)
	return pks
}

// Size returns the number of objects in all classes.
func (s *State) Size() int {
	n := 0
	for _, c := range s.classes {
		n += len(c.objects)
	}
	return n
}

// Live reports whether v is visible: anything but a link, or a link whose
// target object exists. A link that is not live is dangling.
func (s *State) Live(v changeset.Value) bool {
	return v.Kind != schema.Link || s.Exists(v.Class, v.Target)
}

// Get returns the visible value of a scalar field: its stored value, or
// null for a dangling link.
func (s *State) Get(class string, pk changeset.PK, field string) (changeset.Value, error) {
	v, err := s.Stored(class, pk, field)
	if err != nil || !s.Live(v) {
		return changeset.Value{}, err
	}
	return v, nil
}

// Stored returns the stored value of a scalar field, dangling links
// included.
func (s *State) Stored(class string, pk changeset.PK, field string) (changeset.Value, error) {
	o, t, err := s.lookup(class, pk, field)
	if err != nil {
		return changeset.Value{}, err
	}
	if t.List {
		return changeset.Value{}, fmt.Errorf("%s.%s is a list", formatObject(class, pk), field)
	}
	return o.fields[field], nil
}

// List returns the visible elements of a list: the stored ones without
// dangling links. The result is a copy.
func (s *State) List(class string, pk changeset.PK, field string) ([]changeset.Value, error) {
	l, err := s.storedList(class, pk, field)
	if err != nil {
		return nil, err
	}
	vis := make([]changeset.Value, 0, len(l))
	for _, v := range l {
		if s.Live(v) {
			vis = append(vis, v)
		}
	}
	return vis, nil
}

// StoredList returns the stored elements of a list, dangling links
// included; list instructions index this. The result is a copy.
func (s *State) StoredList(class string, pk changeset.PK, field string) ([]changeset.Value, error) {
	l, err := s.storedList(class, pk, field)
	return slices.Clone(l), err
}

func (s *State) storedList(class string, pk changeset.PK, field string) ([]changeset.Value, error) {
	o, t, err := s.lookup(class, pk, field)
	if err != nil {
		return nil, err
	}
	if !t.List {
		return nil, fmt.Errorf("%s.%s is not a list", formatObject(class, pk), field)
	}
	return o.lists[field], nil
}

func (s *State) lookup(class string, pk changeset.PK, field string) (*object, schema.PropType, error) {
	c, ok := s.classes[class]
	if !ok {
		return nil, schema.PropType{}, fmt.Errorf("%w: class %q", ErrNotFound, class)
	}
	o, ok := c.objects[pk]
	if !ok {
		return nil, schema.PropType{}, fmt.Errorf("%w: object %s", ErrNotFound, formatObject(class, pk))
	}
	t, ok := c.props[field]
	if !ok {
		return nil, schema.PropType{}, fmt.Errorf("%w: property %s.%s", ErrNotFound, class, field)
	}
	return o, t, nil
}
