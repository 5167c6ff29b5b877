package changeset

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/syncsim/syncsim/engine/schema"
)

// ErrInvalid is wrapped by every error Validate reports.
var ErrInvalid = errors.New("invalid changeset")

// fields is a set of Instruction fields.
type fields uint16

const (
	fClass fields = 1 << iota
	fPKKind
	fPK
	fField
	fType
	fInList
	fIsDefault
	fIndex
	fTo
	fPriorSize
	fDelta
	fValue
)

var fieldNames = [...]string{"Class", "PKKind", "PK", "Field", "Type", "InList", "IsDefault",
	"Index", "To", "PriorSize", "Delta", "Value"}

// opFields is the fields each op uses, as documented on Instruction.
var opFields = [...]fields{
	AddTable:     fClass | fPKKind,
	EraseTable:   fClass,
	AddColumn:    fClass | fField | fType,
	EraseColumn:  fClass | fField,
	CreateObject: fClass | fPK,
	EraseObject:  fClass | fPK,
	Update:       fClass | fPK | fField | fInList | fIsDefault | fIndex | fValue,
	AddInteger:   fClass | fPK | fField | fDelta,
	ArrayInsert:  fClass | fPK | fField | fIndex | fPriorSize | fValue,
	ArrayMove:    fClass | fPK | fField | fIndex | fTo | fPriorSize,
	ArrayErase:   fClass | fPK | fField | fIndex | fPriorSize,
	Clear:        fClass | fPK | fField,
}

func (f fields) String() string {
	var names []string
	for i, n := range fieldNames {
		if f&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

// Valid reports whether o is a defined op.
func (o Op) Valid() bool { return o > OpInvalid && int(o) < len(opFields) }

// used returns the fields that in's op uses. An Update uses Index only
// when it addresses a list element.
func (in *Instruction) used() fields {
	f := opFields[in.Op]
	if in.Op == Update && !in.InList {
		f &^= fIndex
	}
	return f
}

// set returns the fields of in that are not zero.
func (in *Instruction) set() fields {
	var f fields
	if in.Class != "" {
		f |= fClass
	}
	if in.PKKind != schema.Invalid {
		f |= fPKKind
	}
	if in.PK != (PK{}) {
		f |= fPK
	}
	if in.Field != "" {
		f |= fField
	}
	if in.Type != (schema.PropType{}) {
		f |= fType
	}
	if in.InList {
		f |= fInList
	}
	if in.IsDefault {
		f |= fIsDefault
	}
	if in.Index != 0 {
		f |= fIndex
	}
	if in.To != 0 {
		f |= fTo
	}
	if in.PriorSize != 0 {
		f |= fPriorSize
	}
	if in.Delta != 0 {
		f |= fDelta
	}
	if !in.Value.zero() {
		f |= fValue
	}
	return f
}

// Validate checks every instruction of c (see Instruction.Validate).
// The header fields may hold any value.
func (c *Changeset) Validate() error {
	for i := range c.Instructions {
		if err := c.Instructions[i].problem(); err != nil {
			return fmt.Errorf("%w: instruction %d: %w", ErrInvalid, i, err)
		}
	}
	return nil
}

// Validate checks in: a known op; only the fields its op uses are set
// (so the codec, which writes only those, loses nothing); class and field
// names non-empty; a valid primary key where one is used; a table's
// primary key kind Int or String; a valid column type; a well-formed
// value; list indexes within the list's prior size.
func (in *Instruction) Validate() error {
	if err := in.problem(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// problem is what Validate reports, without ErrInvalid.
func (in *Instruction) problem() error {
	if !in.Op.Valid() {
		return fmt.Errorf("unknown op %d", in.Op)
	}
	if extra := in.set() &^ in.used(); extra != 0 {
		return fmt.Errorf("%s: field(s) %s set but not used by the op", in.Op, extra)
	}
	if err := in.check(); err != nil {
		return fmt.Errorf("%s: %w", in.Op, err)
	}
	return nil
}

// check is Validate for an instruction of a valid op whose unused fields
// are zero, as the decoder produces them.
func (in *Instruction) check() error {
	used := in.used()
	switch {
	case in.Class == "":
		return errors.New("empty class name")
	case used&fField != 0 && in.Field == "":
		return errors.New("empty field name")
	case used&fPKKind != 0 && !in.PKKind.ValidPK():
		return fmt.Errorf("primary key kind %s, want int or string", in.PKKind)
	case used&fPK != 0:
		if err := in.PK.check(); err != nil {
			return err
		}
	}
	switch in.Op {
	case AddColumn:
		return in.Type.Validate()
	case Update:
		return in.Value.check()
	case ArrayInsert:
		if in.Index > in.PriorSize {
			return fmt.Errorf("insert at index %d of a list of size %d", in.Index, in.PriorSize)
		}
		return in.Value.check()
	case ArrayMove:
		if in.Index >= in.PriorSize || in.To >= in.PriorSize {
			return fmt.Errorf("move from index %d to %d in a list of size %d", in.Index, in.To, in.PriorSize)
		}
	case ArrayErase:
		if in.Index >= in.PriorSize {
			return fmt.Errorf("erase at index %d of a list of size %d", in.Index, in.PriorSize)
		}
	}
	return nil
}

// Validate checks that p has kind Int or String and no payload of the
// other kind.
func (p PK) Validate() error {
	if err := p.check(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

func (p PK) check() error {
	switch {
	case p.Kind == schema.Int && p.Str != "":
		return fmt.Errorf("int primary key %d with a string payload", p.Int)
	case p.Kind == schema.String && p.Int != 0:
		return fmt.Errorf("string primary key %q with an int payload", p.Str)
	case !p.Kind.ValidPK():
		return fmt.Errorf("primary key kind %s, want int or string", p.Kind)
	}
	return nil
}

// zero reports whether v is the zero Value, bit for bit.
func (v Value) zero() bool { return v.payload() == 0 && v.Kind == schema.Invalid }

// Value payload fields.
const (
	vInt = 1 << iota
	vBool
	vStr
	vFloat
	vTarget
	vClass
)

var valueFieldNames = [...]string{"Int", "Bool", "Str", "Float", "Target", "Class"}

// valuePayload is the payload fields each value kind uses; null
// (schema.Invalid) uses none.
var valuePayload = [...]int{
	schema.Int:       vInt,
	schema.Bool:      vBool,
	schema.String:    vStr,
	schema.Double:    vFloat,
	schema.Timestamp: vInt,
	schema.Link:      vTarget | vClass,
}

func (v Value) payload() int {
	var f int
	if v.Int != 0 {
		f |= vInt
	}
	if v.Bool {
		f |= vBool
	}
	if v.Str != "" {
		f |= vStr
	}
	if math.Float64bits(v.Float) != 0 {
		f |= vFloat
	}
	if v.Target != (PK{}) {
		f |= vTarget
	}
	if v.Class != "" {
		f |= vClass
	}
	return f
}

// Validate checks that v is null or has a known kind, and sets only the
// payload fields of its kind; a link names its class and has a valid
// target key.
func (v Value) Validate() error {
	if err := v.check(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

func (v Value) check() error {
	if int(v.Kind) >= len(valuePayload) {
		return fmt.Errorf("value of unknown kind %d", v.Kind)
	}
	if extra := v.payload() &^ valuePayload[v.Kind]; extra != 0 {
		var names []string
		for i, n := range valueFieldNames {
			if extra&(1<<i) != 0 {
				names = append(names, n)
			}
		}
		kind := v.Kind.String()
		if v.Null() {
			kind = "null"
		}
		return fmt.Errorf("%s value with field(s) %s set", kind, strings.Join(names, ", "))
	}
	if v.Kind == schema.Link {
		if v.Class == "" {
			return errors.New("link value without a class")
		}
		if err := v.Target.check(); err != nil {
			return fmt.Errorf("link value: %w", err)
		}
	}
	return nil
}
