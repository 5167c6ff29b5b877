package history

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The plain data model: states and changesets as the oracles see them,
// written independently of engine/ (the World converts). A state is a
// schema and objects keyed by ObjectName; every value, field and list
// element is a Value, whose String is the canonical rendering that
// FieldValue.Value, Read.Value and the final state share.

// The value kinds, spelled as the engine's schema.Kind.String spells them.
const (
	KindNull      = ""
	KindInt       = "int"
	KindBool      = "bool"
	KindString    = "string"
	KindDouble    = "double"
	KindTimestamp = "timestamp"
	KindLink      = "link"
)

// Value is a property value or list element. The zero Value is null.
type Value struct {
	Kind  string  `json:"kind,omitempty"`
	Int   int64   `json:"int,omitempty"`   // int; timestamp (nanoseconds)
	Bool  bool    `json:"bool,omitempty"`  // bool
	Str   string  `json:"str,omitempty"`   // string
	Float float64 `json:"float,omitempty"` // double
	Link  string  `json:"link,omitempty"`  // link: the target's ObjectName
}

// Int, Str and Link make values.
func Int(i int64) Value        { return Value{Kind: KindInt, Int: i} }
func Str(s string) Value       { return Value{Kind: KindString, Str: s} }
func Link(object string) Value { return Value{Kind: KindLink, Link: object} }

// String is the canonical rendering: null, 42, true, "quoted" (Go syntax),
// 1.5 (shortest 'g'), @<ns> for a timestamp, the target's ObjectName for a
// link.
func (v Value) String() string {
	switch v.Kind {
	case KindNull:
		return "null"
	case KindInt:
		return strconv.FormatInt(v.Int, 10)
	case KindBool:
		return strconv.FormatBool(v.Bool)
	case KindString:
		return strconv.Quote(v.Str)
	case KindDouble:
		return strconv.FormatFloat(v.Float, 'g', -1, 64)
	case KindTimestamp:
		return "@" + strconv.FormatInt(v.Int, 10)
	case KindLink:
		return v.Link
	}
	return fmt.Sprintf("value(kind %q)", v.Kind)
}

func (v Value) Equal(w Value) bool {
	return v.Kind == w.Kind && v.Int == w.Int && v.Bool == w.Bool && v.Str == w.Str && v.Link == w.Link &&
		math.Float64bits(v.Float) == math.Float64bits(w.Float)
}

// ObjectName names an object as its class and primary key, Class[pk]:
// Task[3], Person["p1"] (pk rendered as a Value: an int or a string).
func ObjectName(class string, pk Value) string { return class + "[" + pk.String() + "]" }

// PlainProp is a property's type.
type PlainProp struct {
	Kind     string `json:"kind"` // a value kind (not null)
	Nullable bool   `json:"nullable,omitempty"`
	List     bool   `json:"list,omitempty"`
	Target   string `json:"target,omitempty"` // link: the target class
}

// zero is the value a new object starts with: null for an optional
// property or a link, the zero value of the kind otherwise.
func (p PlainProp) Zero() Value {
	if p.Nullable || p.Kind == KindLink {
		return Value{}
	}
	return Value{Kind: p.Kind}
}

// PlainClass is a class: its primary key kind (int or string) and its
// properties by name.
type PlainClass struct {
	PK    string               `json:"pk"`
	Props map[string]PlainProp `json:"props"`
}

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

// visible is how v reads in s: a link to a missing object reads as null.
func (s *PlainState) Visible(v Value) Value {
	if v.Kind == KindLink {
		if _, ok := s.Objects[v.Link]; !ok {
			return Value{}
		}
	}
	return v
}

// visibleList is list l as it reads in s: entries linking to missing
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

// diff lists how s differs from want as they read (schemas, objects, the
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

// InstrOp is an instruction's operation, spelled as the engine's
// changeset.Op.String spells it (the World converts with
// history.InstrOp(op.String())).
type InstrOp string

// The instruction operations (DESIGN §3).
const (
	OpAddTable     InstrOp = "AddTable"
	OpEraseTable   InstrOp = "EraseTable"
	OpAddColumn    InstrOp = "AddColumn"
	OpEraseColumn  InstrOp = "EraseColumn"
	OpCreateObject InstrOp = "CreateObject"
	OpEraseObject  InstrOp = "EraseObject"
	OpUpdate       InstrOp = "Update"
	OpAddInteger   InstrOp = "AddInteger"
	OpArrayInsert  InstrOp = "ArrayInsert"
	OpArrayMove    InstrOp = "ArrayMove"
	OpArrayErase   InstrOp = "ArrayErase"
	OpClear        InstrOp = "Clear"
)

// PlainInstruction is one instruction as plain data; each op uses some
// fields, as the engine's changeset.Instruction does:
//
//	AddTable      Class, PK (the primary key kind)
//	EraseTable    Class
//	AddColumn     Class, Field, Prop
//	EraseColumn   Class, Field
//	CreateObject  Class, Object
//	EraseObject   Class, Object
//	Update        Class, Object, Field, Value, IsDefault; InList: element Index of the list Field
//	AddInteger    Class, Object, Field, Delta
//	ArrayInsert   Class, Object, Field, Index, Value, PriorSize
//	ArrayMove     Class, Object, Field, Index (from), To, PriorSize
//	ArrayErase    Class, Object, Field, Index, PriorSize
//	Clear         Class, Object, Field
//
// Object is ObjectName(Class, pk); list indexes address stored positions;
// PriorSize is the list's stored size before the instruction.
type PlainInstruction struct {
	Op        InstrOp    `json:"op"`
	Class     string     `json:"class"`
	Object    string     `json:"object,omitempty"`
	Field     string     `json:"field,omitempty"`
	Index     uint32     `json:"index,omitempty"`
	To        uint32     `json:"to,omitempty"`
	PriorSize uint32     `json:"priorSize,omitempty"`
	InList    bool       `json:"inList,omitempty"`
	IsDefault bool       `json:"isDefault,omitempty"`
	Value     Value      `json:"value"`
	Delta     int64      `json:"delta,omitempty"`
	PK        string     `json:"pk,omitempty"`
	Prop      *PlainProp `json:"prop,omitempty"`
}

// PlainChangeset is one local changeset in its original form (as the
// write transaction made it, before any transform).
type PlainChangeset struct {
	ID           ChangesetID        `json:"id"`
	Timestamp    int64              `json:"timestamp"`
	Instructions []PlainInstruction `json:"instructions"`
}
