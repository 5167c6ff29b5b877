package store

import (
	"crypto/sha256"
	"strings"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/wire"
)

// canonicalTag opens every canonical encoding; change it when the format
// changes.
const canonicalTag = "syncsim.state.v1"

// Canonical returns a deterministic encoding of the visible state: classes
// sorted by name, each with its primary key kind, its properties sorted by
// name, and its objects sorted by primary key with the visible value of
// every property in property order. A dangling link field encodes as null
// and dangling entries of a link list are left out.
//
// The encoding is of what the state shows, not how it stores it, because
// it is the convergence witness that oracles compare with replicas and
// with independent reference models, which see the visible state only.
// Two replicas that applied equivalent histories have equal stored states
// (Equal), hence equal visible states and equal bytes; Equal is the
// stricter check for tests of the merge itself.
//
//	state    := string(tag) uvarint(#classes) class*
//	class    := string(name) byte(pkKind) uvarint(#props) prop* uvarint(#objects) object*
//	prop     := string(name) byte(kind) byte(1 Nullable | 2 List) string(target)
//	object   := pk (value | uvarint(#visible) value*)   one per prop, in prop order
//	pk       := byte(kind) (varint | string)
//	value    := byte(kind) payload: none for null, varint for int and timestamp,
//	            byte for bool, string, 8-byte float bits, string(class) pk for a link
func (s *State) Canonical() []byte {
	b := wire.AppendString(nil, canonicalTag)
	names := s.Classes()
	b = wire.AppendUvarint(b, uint64(len(names)))
	for _, name := range names {
		c := s.classes[name]
		props := c.sortedProps()
		b = wire.AppendString(b, name)
		b = append(b, byte(c.pkKind))
		b = wire.AppendUvarint(b, uint64(len(props)))
		for _, p := range props {
			b = wire.AppendString(b, p.Name)
			b = append(b, byte(p.Type.Kind), typeFlags(p.Type))
			b = wire.AppendString(b, p.Type.Target)
		}
		pks := c.sortedPKs()
		b = wire.AppendUvarint(b, uint64(len(pks)))
		for _, pk := range pks {
			o := c.objects[pk]
			b = appendPK(b, pk)
			for _, p := range props {
				if p.Type.List {
					b = s.appendVisibleList(b, o.lists[p.Name])
					continue
				}
				v := o.fields[p.Name]
				if !s.Live(v) {
					v = changeset.Value{}
				}
				b = appendValue(b, v)
			}
		}
	}
	return b
}

// Hash returns the SHA-256 of Canonical: the convergence witness.
func (s *State) Hash() [32]byte {
	return sha256.Sum256(s.Canonical())
}

func (s *State) appendVisibleList(b []byte, l []changeset.Value) []byte {
	n := 0
	for _, v := range l {
		if s.Live(v) {
			n++
		}
	}
	b = wire.AppendUvarint(b, uint64(n))
	for _, v := range l {
		if s.Live(v) {
			b = appendValue(b, v)
		}
	}
	return b
}

func typeFlags(t schema.PropType) byte {
	var f byte
	if t.Nullable {
		f |= 1
	}
	if t.List {
		f |= 2
	}
	return f
}

func appendPK(b []byte, pk changeset.PK) []byte {
	b = append(b, byte(pk.Kind))
	if pk.Kind == schema.String {
		return wire.AppendString(b, pk.Str)
	}
	return wire.AppendVarint(b, pk.Int)
}

func appendValue(b []byte, v changeset.Value) []byte {
	b = append(b, byte(v.Kind))
	switch v.Kind {
	case schema.Int, schema.Timestamp:
		b = wire.AppendVarint(b, v.Int)
	case schema.Bool:
		b = wire.AppendBool(b, v.Bool)
	case schema.String:
		b = wire.AppendString(b, v.Str)
	case schema.Double:
		b = wire.AppendFloat64(b, v.Float)
	case schema.Link:
		b = wire.AppendString(b, v.Class)
		b = appendPK(b, v.Target)
	}
	return b
}

// String dumps the stored state for test failure messages, sorted like
// Canonical: one line per class with its properties, then one line per
// object. Dangling links are marked with a trailing "†".
func (s *State) String() string {
	var sb strings.Builder
	for _, name := range s.Classes() {
		c := s.classes[name]
		props := c.sortedProps()
		sb.WriteString("class " + name + " pk " + c.pkKind.String() + " {")
		for i, p := range props {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(p.Name + " " + p.Type.String())
		}
		sb.WriteString("}\n")
		for _, pk := range c.sortedPKs() {
			o := c.objects[pk]
			sb.WriteString("  " + formatObject(name, pk))
			for _, p := range props {
				sb.WriteString(" " + p.Name + "=")
				if !p.Type.List {
					sb.WriteString(s.formatStored(o.fields[p.Name]))
					continue
				}
				sb.WriteString("[")
				for i, v := range o.lists[p.Name] {
					if i > 0 {
						sb.WriteString(" ")
					}
					sb.WriteString(s.formatStored(v))
				}
				sb.WriteString("]")
			}
			sb.WriteString("\n")
		}
	}
	return sb.String()
}

func (s *State) formatStored(v changeset.Value) string {
	if !s.Live(v) {
		return formatValue(v) + "†"
	}
	return formatValue(v)
}
