package changeset

import (
	"fmt"

	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/wire"
)

// The binary format opens with Magic and FormatVersion; Decode refuses
// any other version by number.
//
//	changeset   := magic version uvarint(Version) uvarint(LastIntegratedServerVersion)
//	               varint(OriginTimestamp) uvarint(OriginFileIdent) uvarint(n) instruction*n
//	instruction := byte(Op) then, in this order, only the fields the op uses:
//	               string(Class) byte(PKKind) pk string(Field) type flags
//	               uvarint(Index) uvarint(To) uvarint(PriorSize) varint(Delta) value
//	pk          := byte(Kind) (varint | string)
//	type        := byte(Kind) byte(1 Nullable | 2 List) [string(Target) if Link]
//	flags       := byte(1 InList | 2 IsDefault)       (Update only; Index follows iff InList)
//	value       := byte(Kind) then the payload of the kind: none for null, varint for
//	               Int and Timestamp, byte for Bool, string, 8-byte float bits, or
//	               string(Class) pk for a Link
//
// Kinds and ops are written as their numeric values, which are therefore
// fixed. Strings carry a uvarint length.
const (
	Magic         byte = 'C'
	FormatVersion byte = 1
)

// minInstructionSize is the fewest bytes a valid instruction takes: the
// op and a class name of at least one byte with its length.
const minInstructionSize = 3

// maxPrealloc caps how many instructions Decode allocates before reading them.
const maxPrealloc = 256

// Encode returns the binary encoding of cs.
func Encode(cs *Changeset) []byte {
	return AppendBinary(make([]byte, 0, sizeHint(cs)), cs)
}

// AppendBinary appends the binary encoding of cs to dst. It writes only
// the fields each instruction's op uses, so a changeset that fails
// Validate may not survive a round trip: validate what you build.
func AppendBinary(dst []byte, cs *Changeset) []byte {
	dst = wire.AppendHeader(dst, Magic, FormatVersion)
	dst = wire.AppendUvarint(dst, cs.Version)
	dst = wire.AppendUvarint(dst, cs.LastIntegratedServerVersion)
	dst = wire.AppendVarint(dst, cs.OriginTimestamp)
	dst = wire.AppendUvarint(dst, cs.OriginFileIdent)
	dst = wire.AppendUvarint(dst, uint64(len(cs.Instructions)))
	for i := range cs.Instructions {
		dst = appendInstruction(dst, &cs.Instructions[i])
	}
	return dst
}

func sizeHint(cs *Changeset) int {
	n := 32
	for i := range cs.Instructions {
		in := &cs.Instructions[i]
		n += 16 + len(in.Class) + len(in.Field) + len(in.PK.Str) + len(in.Type.Target) +
			len(in.Value.Str) + len(in.Value.Class) + len(in.Value.Target.Str)
	}
	return n
}

func appendInstruction(dst []byte, in *Instruction) []byte {
	dst = append(dst, byte(in.Op))
	if !in.Op.Valid() {
		return dst
	}
	f := in.used()
	dst = wire.AppendString(dst, in.Class)
	if f&fPKKind != 0 {
		dst = append(dst, byte(in.PKKind))
	}
	if f&fPK != 0 {
		dst = appendPK(dst, in.PK)
	}
	if f&fField != 0 {
		dst = wire.AppendString(dst, in.Field)
	}
	if f&fType != 0 {
		dst = appendType(dst, in.Type)
	}
	if f&fInList != 0 {
		dst = append(dst, flags(in.InList, in.IsDefault))
	}
	if f&fIndex != 0 {
		dst = wire.AppendUvarint(dst, uint64(in.Index))
	}
	if f&fTo != 0 {
		dst = wire.AppendUvarint(dst, uint64(in.To))
	}
	if f&fPriorSize != 0 {
		dst = wire.AppendUvarint(dst, uint64(in.PriorSize))
	}
	if f&fDelta != 0 {
		dst = wire.AppendVarint(dst, in.Delta)
	}
	if f&fValue != 0 {
		dst = appendValue(dst, &in.Value)
	}
	return dst
}

func flags(a, b bool) byte {
	var f byte
	if a {
		f |= 1
	}
	if b {
		f |= 2
	}
	return f
}

func appendPK(dst []byte, pk PK) []byte {
	dst = append(dst, byte(pk.Kind))
	if pk.Kind == schema.String {
		return wire.AppendString(dst, pk.Str)
	}
	return wire.AppendVarint(dst, pk.Int)
}

func appendType(dst []byte, t schema.PropType) []byte {
	dst = append(dst, byte(t.Kind), flags(t.Nullable, t.List))
	if t.Kind == schema.Link {
		dst = wire.AppendString(dst, t.Target)
	}
	return dst
}

func appendValue(dst []byte, v *Value) []byte {
	dst = append(dst, byte(v.Kind))
	switch v.Kind {
	case schema.Int, schema.Timestamp:
		dst = wire.AppendVarint(dst, v.Int)
	case schema.Bool:
		dst = wire.AppendBool(dst, v.Bool)
	case schema.String:
		dst = wire.AppendString(dst, v.Str)
	case schema.Double:
		dst = wire.AppendFloat64(dst, v.Float)
	case schema.Link:
		dst = wire.AppendString(dst, v.Class)
		dst = appendPK(dst, v.Target)
	}
	return dst
}

// Decode decodes a changeset that fills src exactly. It rejects an
// unknown format version, truncated or trailing bytes, and any
// instruction that fails Validate; errors wrap wire.ErrMalformed.
func Decode(src []byte) (*Changeset, error) {
	d := wire.NewDecoder(src)
	cs := new(Changeset)
	DecodeFrom(&d, cs)
	d.End("changeset")
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("decode changeset: %w", err)
	}
	return cs, nil
}

// DecodeFrom decodes one changeset from d into cs, for formats that embed
// changesets; a problem is recorded in d (see wire.Decoder.Err).
func DecodeFrom(d *wire.Decoder, cs *Changeset) {
	d.Header("changeset", Magic, FormatVersion)
	cs.Version = d.Uvarint("version")
	cs.LastIntegratedServerVersion = d.Uvarint("last integrated server version")
	cs.OriginTimestamp = d.Varint("origin timestamp")
	cs.OriginFileIdent = d.Uvarint("origin file ident")
	n := d.Count("instruction count", minInstructionSize)
	if n == 0 {
		cs.Instructions = nil
		return
	}
	// Allocate for at most maxPrealloc instructions up front: a count
	// followed by garbage then costs little, and memory grows only with
	// instructions actually decoded.
	cs.Instructions = make([]Instruction, 0, min(n, maxPrealloc))
	var names names
	for i := range n {
		cs.Instructions = append(cs.Instructions, Instruction{})
		decodeInstruction(d, &names, &cs.Instructions[i])
		if d.Err() != nil {
			d.Within(fmt.Sprintf("instruction %d", i))
			cs.Instructions = nil
			return
		}
	}
}

// names interns the strings of one changeset that tend to repeat: class
// and field names and string primary keys.
type names struct {
	seen [16]string
	n    int
}

func (ns *names) read(d *wire.Decoder, what string) string {
	b := d.Bytes(what)
	for _, s := range ns.seen[:ns.n] {
		if s == string(b) {
			return s
		}
	}
	s := string(b)
	if ns.n < len(ns.seen) {
		ns.seen[ns.n] = s
		ns.n++
	}
	return s
}

func decodeInstruction(d *wire.Decoder, ns *names, in *Instruction) {
	start := d.Offset()
	in.Op = Op(d.Byte("op"))
	if !in.Op.Valid() {
		d.Fail(start, "op", fmt.Sprintf("unknown op %d", in.Op))
		return
	}
	in.Class = ns.read(d, "class name")
	f := opFields[in.Op]
	if f&fPKKind != 0 {
		in.PKKind = schema.Kind(d.Byte("primary key kind"))
	}
	if f&fPK != 0 {
		in.PK = decodePK(d, ns, "primary key kind", "primary key")
	}
	if f&fField != 0 {
		in.Field = ns.read(d, "field name")
	}
	if f&fType != 0 {
		in.Type = decodeType(d)
	}
	if f&fInList != 0 {
		at := d.Offset()
		fl := d.Byte("update flags")
		if fl > 3 {
			d.Fail(at, "update flags", fmt.Sprintf("unknown flag bits %#02x", fl))
		}
		in.InList, in.IsDefault = fl&1 != 0, fl&2 != 0
	}
	if f&fIndex != 0 && (in.Op != Update || in.InList) {
		in.Index = d.Uint32("index")
	}
	if f&fTo != 0 {
		in.To = d.Uint32("move target index")
	}
	if f&fPriorSize != 0 {
		in.PriorSize = d.Uint32("prior list size")
	}
	if f&fDelta != 0 {
		in.Delta = d.Varint("delta")
	}
	if f&fValue != 0 {
		decodeValue(d, ns, &in.Value)
	}
	if d.Err() != nil {
		return
	}
	if err := in.check(); err != nil {
		d.FailCause(start, in.Op.String(), err.Error(), ErrInvalid)
	}
}

func decodePK(d *wire.Decoder, ns *names, kindWhat, what string) PK {
	at := d.Offset()
	switch k := schema.Kind(d.Byte(kindWhat)); k {
	case schema.Int:
		return PK{Kind: k, Int: d.Varint(what)}
	case schema.String:
		return PK{Kind: k, Str: ns.read(d, what)}
	default:
		d.Fail(at, kindWhat, fmt.Sprintf("kind %d is not int or string", k))
		return PK{}
	}
}

func decodeType(d *wire.Decoder) schema.PropType {
	at := d.Offset()
	t := schema.PropType{Kind: schema.Kind(d.Byte("column kind"))}
	fl := d.Byte("column flags")
	if fl > 3 {
		d.Fail(at+1, "column flags", fmt.Sprintf("unknown flag bits %#02x", fl))
	}
	t.Nullable, t.List = fl&1 != 0, fl&2 != 0
	if t.Kind == schema.Link {
		t.Target = d.String("link target")
	}
	return t
}

func decodeValue(d *wire.Decoder, ns *names, v *Value) {
	at := d.Offset()
	v.Kind = schema.Kind(d.Byte("value kind"))
	switch v.Kind {
	case schema.Invalid:
	case schema.Int, schema.Timestamp:
		v.Int = d.Varint("value")
	case schema.Bool:
		v.Bool = d.Bool("value")
	case schema.String:
		v.Str = d.String("value")
	case schema.Double:
		v.Float = d.Float64("value")
	case schema.Link:
		v.Class = ns.read(d, "link class")
		v.Target = decodePK(d, ns, "link target kind", "link target")
	default:
		d.Fail(at, "value kind", fmt.Sprintf("unknown kind %d", v.Kind))
	}
}
