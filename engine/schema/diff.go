package schema

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// DiffKind says what differs between two schemas.
type DiffKind uint8

// The kinds of difference.
const (
	ClassAdded DiffKind = iota + 1
	ClassRemoved
	PKKindChanged
	PropertyAdded
	PropertyRemoved
	PropertyTypeChanged
)

var diffKindNames = [...]string{"?", "class added", "class removed", "primary key changed",
	"property added", "property removed", "property type changed"}

func (k DiffKind) String() string {
	if int(k) < len(diffKindNames) {
		return diffKindNames[k]
	}
	return diffKindNames[0]
}

// Difference is one way in which a new schema differs from an old one.
type Difference struct {
	Kind     DiffKind
	Class    string
	Property string // empty for class-level differences
	Breaking bool
	Reason   string
}

func (d Difference) String() string {
	where := d.Class
	if d.Property != "" {
		where += "." + d.Property
	}
	class := "additive"
	if d.Breaking {
		class = "breaking"
	}
	return fmt.Sprintf("%s: %s (%s): %s", where, d.Kind, class, d.Reason)
}

// Change is every difference from an old schema to a new one, ordered by
// class, then property.
type Change struct {
	Differences []Difference
}

// Empty reports whether the schemas are the same.
func (c Change) Empty() bool { return len(c.Differences) == 0 }

// Breaking reports whether any difference is breaking: such a change needs
// sync terminated and re-enabled, and every client reset without recovery.
func (c Change) Breaking() bool {
	return slices.ContainsFunc(c.Differences, func(d Difference) bool { return d.Breaking })
}

// Additive reports whether there are differences and none is breaking:
// clients absorb such a change and keep syncing.
func (c Change) Additive() bool { return !c.Empty() && !c.Breaking() }

func (c Change) String() string {
	if c.Empty() {
		return "no change"
	}
	lines := make([]string, len(c.Differences))
	for i, d := range c.Differences {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Diff classifies the change from old to new, both valid schemas.
//
// Additive: a new class; a new property of an existing class (optional,
// list and link properties start null or empty; a required scalar
// starts at its kind's default, as a column added to a table does).
//
// Breaking: a property's type changes in any way (kind, optional or
// required, single or list, link target); a primary key's kind changes;
// a class or property is removed, because a client that still has it
// holds a class or property the server lacks, which the reference counts
// as a schema mismatch. A rename is a removal plus an addition, so it is
// breaking. The order of classes and of properties does not matter.
func Diff(old, new Schema) Change {
	var ds []Difference
	for _, oc := range old.Classes {
		nc, ok := new.Class(oc.Name)
		if !ok {
			ds = append(ds, Difference{ClassRemoved, oc.Name, "", true,
				"a client that still has the class is in schema mismatch with the server"})
			continue
		}
		ds = append(ds, diffClass(oc, nc)...)
	}
	for _, nc := range new.Classes {
		if _, ok := old.Class(nc.Name); !ok {
			ds = append(ds, Difference{ClassAdded, nc.Name, "", false, "new class"})
		}
	}
	slices.SortStableFunc(ds, func(a, b Difference) int {
		return cmp.Or(cmp.Compare(a.Class, b.Class), cmp.Compare(a.Property, b.Property), cmp.Compare(a.Kind, b.Kind))
	})
	return Change{Differences: ds}
}

func diffClass(oc, nc Class) []Difference {
	var ds []Difference
	if oc.PKKind != nc.PKKind {
		ds = append(ds, Difference{PKKindChanged, oc.Name, "", true,
			fmt.Sprintf("primary key kind %s -> %s", oc.PKKind, nc.PKKind)})
	}
	for _, op := range oc.Props {
		np, ok := nc.Property(op.Name)
		switch {
		case !ok:
			ds = append(ds, Difference{PropertyRemoved, oc.Name, op.Name, true,
				"a client that still has the property is in schema mismatch with the server"})
		case !op.Type.same(np.Type):
			ds = append(ds, Difference{PropertyTypeChanged, oc.Name, op.Name, true, typeChange(op.Type, np.Type)})
		}
	}
	for _, np := range nc.Props {
		if _, ok := oc.Property(np.Name); !ok {
			ds = append(ds, Difference{PropertyAdded, nc.Name, np.Name, false, addedReason(np.Type)})
		}
	}
	return ds
}

// same reports whether t and u are the same type. Links are always
// nullable, so Nullable does not distinguish link types.
func (t PropType) same(u PropType) bool {
	if t.Kind == Link {
		t.Nullable, u.Nullable = false, false
	}
	return t == u
}

func typeChange(o, n PropType) string {
	var what []string
	if o.Kind != n.Kind {
		what = append(what, fmt.Sprintf("kind %s -> %s", o.Kind, n.Kind))
	} else if o.Target != n.Target {
		what = append(what, fmt.Sprintf("link target %s -> %s", o.Target, n.Target))
	}
	switch {
	case o.Kind == Link || n.Kind == Link || o.Nullable == n.Nullable:
	case o.Nullable:
		what = append(what, "optional -> required")
	default:
		what = append(what, "required -> optional")
	}
	switch {
	case o.List == n.List:
	case o.List:
		what = append(what, "list -> single value")
	default:
		what = append(what, "single value -> list")
	}
	return fmt.Sprintf("type %s -> %s (%s)", o, n, strings.Join(what, ", "))
}

func addedReason(t PropType) string {
	switch {
	case t.List:
		return "new list property, empty in existing objects"
	case t.Kind == Link || t.Nullable:
		return "new optional property, null in existing objects"
	default:
		return fmt.Sprintf("new required property, %s default in existing objects", t.Kind)
	}
}
