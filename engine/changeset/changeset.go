// Package changeset defines the unit of sync: instructions, the changesets
// that carry them with their origin metadata, and a versioned binary codec.
package changeset

import "github.com/syncsim/syncsim/engine/schema"

// PK is a primary key: an int or a string.
type PK struct {
	Kind schema.Kind // schema.Int or schema.String
	Int  int64
	Str  string
}

// IntPK and StrPK make primary keys.
func IntPK(i int64) PK  { return PK{Kind: schema.Int, Int: i} }
func StrPK(s string) PK { return PK{Kind: schema.String, Str: s} }

// Value is a property value or list element. The zero Value is null.
type Value struct {
	Kind   schema.Kind // schema.Invalid means null
	Int    int64       // Int, Timestamp (nanoseconds)
	Bool   bool
	Str    string
	Float  float64
	Target PK     // Link: the primary key of the linked object
	Class  string // Link: the linked object's class
}

// Null reports whether v is null.
func (v Value) Null() bool { return v.Kind == schema.Invalid }

// Op is an instruction's operation.
type Op uint8

// The operations. Field use per op is documented on Instruction.
const (
	OpInvalid Op = iota
	AddTable
	EraseTable
	AddColumn
	EraseColumn
	CreateObject
	EraseObject
	Update
	AddInteger
	ArrayInsert
	ArrayMove
	ArrayErase
	Clear
)

var opNames = [...]string{"Invalid", "AddTable", "EraseTable", "AddColumn", "EraseColumn",
	"CreateObject", "EraseObject", "Update", "AddInteger", "ArrayInsert", "ArrayMove", "ArrayErase", "Clear"}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "Op?"
}

// Instruction is one change. It is a flat value: each op uses some fields.
//
//	AddTable      Class, PKKind
//	EraseTable    Class
//	AddColumn     Class, Field, Type
//	EraseColumn   Class, Field
//	CreateObject  Class, PK
//	EraseObject   Class, PK
//	Update        Class, PK, Field, Value, IsDefault; with InList, element Index of a list
//	AddInteger    Class, PK, Field, Delta
//	ArrayInsert   Class, PK, Field, Index, Value, PriorSize
//	ArrayMove     Class, PK, Field, Index (from), To, PriorSize
//	ArrayErase    Class, PK, Field, Index, PriorSize
//	Clear         Class, PK, Field
type Instruction struct {
	Op        Op
	Class     string
	PK        PK
	Field     string
	Index     uint32
	To        uint32
	PriorSize uint32 // the list's size before the instruction (a check on transforms)
	InList    bool   // Update addresses list element Index rather than the field
	IsDefault bool
	Value     Value
	Delta     int64
	PKKind    schema.Kind
	Type      schema.PropType
}

// Changeset is the instructions of one write transaction with its origin.
//
// Version is the origin client's local version produced by the
// transaction; LastIntegratedServerVersion is the server version the
// client had integrated when it made it (what the changeset has seen).
// The pair (OriginTimestamp, OriginFileIdent) is the discriminant that
// orders conflicting changesets: higher wins.
type Changeset struct {
	Version                     uint64
	LastIntegratedServerVersion uint64
	OriginTimestamp             int64
	OriginFileIdent             uint64
	Instructions                []Instruction
}

// Discriminant is the precedence of a changeset's instructions in conflicts.
type Discriminant struct {
	Timestamp int64
	FileIdent uint64
}

// Discriminant returns c's precedence.
func (c *Changeset) Discriminant() Discriminant {
	return Discriminant{c.OriginTimestamp, c.OriginFileIdent}
}

// Less reports whether d loses to e (is earlier by timestamp, then ident).
func (d Discriminant) Less(e Discriminant) bool {
	return d.Timestamp < e.Timestamp || (d.Timestamp == e.Timestamp && d.FileIdent < e.FileIdent)
}
