package history

import (
	"fmt"
	"slices"
	"strings"
)

// PlainObject is one object. Fields holds every scalar property (null
// included) as stored; Lists the list properties as stored (a missing or
// nil list is empty). Stored means a link to an object that no longer
// exists is kept: the visible view reads such a field as null and hides
// such a list entry.
type PlainObject struct {
	Class  string             `json:"class"`
	Fields map[string]Value   `json:"fields,omitempty"`
	Lists  map[string][]Value `json:"lists,omitempty"`
}

// PlainState is a replica's (or the server's) schema and objects, keyed by
// class name and by ObjectName.
type PlainState struct {
	Schema  map[string]PlainClass  `json:"schema"`
	Objects map[string]PlainObject `json:"objects"`
}

func (s *PlainState) Clone() PlainState {
	c := PlainState{Schema: s.Schema, Objects: make(map[string]PlainObject, len(s.Objects))}
	for name, o := range s.Objects {
		c.Objects[name] = o.Clone()
	}
	return c
}

func (o PlainObject) Clone() PlainObject {
	c := PlainObject{Class: o.Class, Fields: make(map[string]Value, len(o.Fields)), Lists: make(map[string][]Value, len(o.Lists))}
	for f, v := range o.Fields {
		c.Fields[f] = v
	}
	for f, l := range o.Lists {
		c.Lists[f] = slices.Clone(l)
	}
	return c
}

// Visible is how v reads in s: a link to a missing object reads as null.
func (s *PlainState) Visible(v Value) Value {
	if v.Kind == KindLink {
		if _, ok := s.Objects[v.Link]; !ok {
			return Value{}
		}
	}
	return v
}

// VisibleList is list l as it reads in s: entries linking to missing
// objects are hidden.
func (s *PlainState) VisibleList(l []Value) []Value {
	out := make([]Value, 0, len(l))
	for _, v := range l {
		if v.Kind != KindLink || s.Has(v.Link) {
			out = append(out, v)
		}
	}
	return out
}

func (s *PlainState) Has(object string) bool {
	_, ok := s.Objects[object]
	return ok
}

// Diff lists how s differs from want as they read (schemas, objects, the
// visible values of fields and lists), at most limit differences.
func (s *PlainState) Diff(want *PlainState, limit int) []string {
	var out []string
	add := func(format string, args ...any) {
		if len(out) < limit {
			out = append(out, fmt.Sprintf(format, args...))
		}
	}
	for _, c := range sortedKeys(union2(s.Schema, want.Schema)) {
		got, gok := s.Schema[c]
		exp, eok := want.Schema[c]
		switch {
		case !gok:
			add("class %s missing", c)
		case !eok:
			add("class %s should not exist", c)
		case got.PK != exp.PK:
			add("class %s: primary key %s, want %s", c, got.PK, exp.PK)
		default:
			for _, p := range sortedKeys(union2(got.Props, exp.Props)) {
				gp, gok := got.Props[p]
				ep, eok := exp.Props[p]
				if !gok || !eok || gp != ep {
					add("class %s property %s: %s, want %s", c, p, PropString(gp, gok), PropString(ep, eok))
				}
			}
		}
	}
	for _, name := range sortedKeys(union2(s.Objects, want.Objects)) {
		got, gok := s.Objects[name]
		exp, eok := want.Objects[name]
		switch {
		case !gok:
			add("object %s missing", name)
			continue
		case !eok:
			add("object %s should not exist", name)
			continue
		}
		for _, f := range sortedKeys(union2(got.Fields, exp.Fields)) {
			gv, ev := s.Visible(got.Fields[f]), want.Visible(exp.Fields[f])
			if !gv.Equal(ev) {
				add("%s.%s = %v, want %v", name, f, gv, ev)
			}
		}
		for _, f := range sortedKeys(union2(got.Lists, exp.Lists)) {
			gl, el := s.VisibleList(got.Lists[f]), want.VisibleList(exp.Lists[f])
			if !slices.EqualFunc(gl, el, Value.Equal) {
				add("%s.%s = %s, want %s", name, f, ListString(gl), ListString(el))
			}
		}
	}
	return out
}

func union2[V any](a, b map[string]V) map[string]bool {
	out := make(map[string]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func PropString(p PlainProp, ok bool) string {
	if !ok {
		return "none"
	}
	s := p.Kind
	if p.Kind == KindLink {
		s = "link<" + p.Target + ">"
	}
	if p.Nullable {
		s += "?"
	}
	if p.List {
		s = "list<" + s + ">"
	}
	return s
}

func ListString(l []Value) string {
	parts := make([]string, len(l))
	for i, v := range l {
		parts[i] = v.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}
