package history

import (
	"fmt"
	"math"
	"strconv"
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

// Zero is the value a new object starts with: null for an optional
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
