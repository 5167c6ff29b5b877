package replica

import (
	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// Diff returns the instructions that turn state from into state to
// exactly (stored values, dangling links included), touching only what
// differs: the tables and columns to erase (missing from to, or of another
// primary key kind or type) and to add, the objects to erase and to
// create, the fields whose stored values differ, and for each list that
// differs an edit of its differing middle (updates in place, then erases
// or inserts). Applying them to from makes from.Equal(to). Neither state
// is modified.
func Diff(from, to *store.State) []changeset.Instruction {
	d := differ{from: from, to: to, kept: map[string]bool{}, added: map[string]map[string]bool{}}
	d.schema()
	for _, c := range to.Schema().Classes {
		d.class(c)
	}
	return d.ins
}

// differ builds the instructions of a Diff.
type differ struct {
	from, to *store.State
	ins      []changeset.Instruction
	// kept: classes of to that from has with the same primary key kind
	// (their objects carry over); added: per class, the columns added
	// (their values in from are the defaults).
	kept  map[string]bool
	added map[string]map[string]bool
}

func (d *differ) emit(in changeset.Instruction) { d.ins = append(d.ins, in) }

// schema emits the table and column changes.
func (d *differ) schema() {
	for _, c := range d.from.Schema().Classes {
		tc, ok := d.to.Class(c.Name)
		if !ok || tc.PKKind != c.PKKind {
			d.emit(changeset.Instruction{Op: changeset.EraseTable, Class: c.Name})
			continue
		}
		d.kept[c.Name] = true
		for _, p := range c.Props {
			if tp, ok := tc.Property(p.Name); !ok || tp.Type != p.Type {
				d.emit(changeset.Instruction{Op: changeset.EraseColumn, Class: c.Name, Field: p.Name})
			}
		}
	}
	for _, c := range d.to.Schema().Classes {
		fc, _ := d.from.Class(c.Name)
		if !d.kept[c.Name] {
			d.emit(changeset.Instruction{Op: changeset.AddTable, Class: c.Name, PKKind: c.PKKind})
		}
		d.added[c.Name] = map[string]bool{}
		for _, p := range c.Props {
			if fp, ok := fc.Property(p.Name); d.kept[c.Name] && ok && fp.Type == p.Type {
				continue
			}
			d.added[c.Name][p.Name] = true
			d.emit(changeset.Instruction{Op: changeset.AddColumn, Class: c.Name, Field: p.Name, Type: p.Type})
		}
	}
}

// class emits the object changes of class c of to.
func (d *differ) class(c schema.Class) {
	if d.kept[c.Name] {
		for _, pk := range d.from.Objects(c.Name) {
			if !d.to.Exists(c.Name, pk) {
				d.emit(changeset.Instruction{Op: changeset.EraseObject, Class: c.Name, PK: pk})
			}
		}
	}
	for _, pk := range d.to.Objects(c.Name) {
		exists := d.kept[c.Name] && d.from.Exists(c.Name, pk)
		if !exists {
			d.emit(changeset.Instruction{Op: changeset.CreateObject, Class: c.Name, PK: pk})
		}
		for _, p := range c.Props {
			fresh := !exists || d.added[c.Name][p.Name] // from holds the default
			if p.Type.List {
				var old []changeset.Value
				if !fresh {
					old, _ = d.from.StoredList(c.Name, pk, p.Name) // it exists
				}
				now, _ := d.to.StoredList(c.Name, pk, p.Name)
				d.list(c.Name, pk, p.Name, old, now)
				continue
			}
			old := defaultOf(p.Type)
			if !fresh {
				old, _ = d.from.Stored(c.Name, pk, p.Name)
			}
			if now, _ := d.to.Stored(c.Name, pk, p.Name); !same(old, now) {
				d.emit(changeset.Instruction{Op: changeset.Update, Class: c.Name, PK: pk, Field: p.Name, Value: now})
			}
		}
	}
}

// list emits the edit that turns stored list a into b: past their common
// prefix and suffix, updates of the positions both middles have, then
// erases of the rest of a's middle or inserts of the rest of b's.
func (d *differ) list(class string, pk changeset.PK, field string, a, b []changeset.Value) {
	p := 0
	for p < len(a) && p < len(b) && same(a[p], b[p]) {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && same(a[len(a)-1-s], b[len(b)-1-s]) {
		s++
	}
	am, bm := a[p:len(a)-s], b[p:len(b)-s]
	k := min(len(am), len(bm))
	for i := range k {
		if !same(am[i], bm[i]) {
			d.emit(changeset.Instruction{Op: changeset.Update, Class: class, PK: pk, Field: field, InList: true,
				Index: uint32(p + i), Value: bm[i]})
		}
	}
	size := len(a)
	for range am[k:] {
		d.emit(changeset.Instruction{Op: changeset.ArrayErase, Class: class, PK: pk, Field: field,
			Index: uint32(p + k), PriorSize: uint32(size)})
		size--
	}
	for i, v := range bm[k:] {
		d.emit(changeset.Instruction{Op: changeset.ArrayInsert, Class: class, PK: pk, Field: field,
			Index: uint32(p + k + i), PriorSize: uint32(size), Value: v})
		size++
	}
}

// defaultOf is the value a new object (or new column) has for a scalar
// property of type t, as the store sets it: null for optional properties
// and links, the kind's zero value otherwise.
func defaultOf(t schema.PropType) changeset.Value {
	if t.Nullable || t.Kind == schema.Link {
		return changeset.Value{}
	}
	return changeset.Value{Kind: t.Kind}
}
