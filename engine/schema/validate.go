package schema

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every error Validate reports.
var ErrInvalid = errors.New("invalid schema")

// ValidPK reports whether k may be the kind of a primary key: Int or String.
func (k Kind) ValidPK() bool { return k == Int || k == String }

// String formats t as e.g. "int", "string?", "link<Dog>", "list<double?>".
func (t PropType) String() string {
	s := t.Kind.String()
	if t.Kind == Link {
		s = "link<" + t.Target + ">"
	}
	if t.Nullable {
		s += "?"
	}
	if t.List {
		s = "list<" + s + ">"
	}
	return s
}

// Validate checks t on its own: a valid kind, and a target class named
// exactly when the kind is Link. Whether the target exists is a question
// for Schema.Validate.
func (t PropType) Validate() error {
	switch {
	case !t.Kind.Valid():
		return fmt.Errorf("%w: property kind %d is not a valid kind", ErrInvalid, t.Kind)
	case t.Kind == Link && t.Target == "":
		return fmt.Errorf("%w: link property without a target class", ErrInvalid)
	case t.Kind != Link && t.Target != "":
		return fmt.Errorf("%w: %s property with a target class %q (only links have one)", ErrInvalid, t.Kind, t.Target)
	}
	return nil
}

// Validate checks s: class names non-empty and unique, primary keys of
// kind Int or String, property names non-empty and unique within their
// class, property types valid, and every link target an existing class.
func (s Schema) Validate() error {
	classes := make(map[string]bool, len(s.Classes))
	for i, c := range s.Classes {
		switch {
		case c.Name == "":
			return fmt.Errorf("%w: class %d has an empty name", ErrInvalid, i)
		case classes[c.Name]:
			return fmt.Errorf("%w: class %q defined twice", ErrInvalid, c.Name)
		case !c.PKKind.ValidPK():
			return fmt.Errorf("%w: class %q: primary key of kind %s, want int or string", ErrInvalid, c.Name, c.PKKind)
		}
		classes[c.Name] = true
	}
	for _, c := range s.Classes {
		props := make(map[string]bool, len(c.Props))
		for i, p := range c.Props {
			switch {
			case p.Name == "":
				return fmt.Errorf("%w: class %q: property %d has an empty name", ErrInvalid, c.Name, i)
			case props[p.Name]:
				return fmt.Errorf("%w: class %q: property %q defined twice", ErrInvalid, c.Name, p.Name)
			}
			props[p.Name] = true
			if err := p.Type.Validate(); err != nil {
				return fmt.Errorf("class %q: property %q: %w", c.Name, p.Name, err)
			}
			if p.Type.Kind == Link && !classes[p.Type.Target] {
				return fmt.Errorf("%w: class %q: property %q links to class %q, which does not exist",
					ErrInvalid, c.Name, p.Name, p.Type.Target)
			}
		}
	}
	return nil
}
