package mergetest

import (
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// action is one kind of thing a simulated user does; it does nothing when
// the state offers nothing to do it to.
type action func(w *writer)

// weighted is an action with its relative frequency.
type weighted struct {
	weight int
	act    action
}

// user is the mix of a user transaction: mostly field and list edits,
// some object creation and erasure, rare schema changes.
var user = []weighted{
	{4, (*writer).createObject},
	{2, (*writer).eraseObject},
	{8, (*writer).update},
	{4, (*writer).addInteger},
	{8, (*writer).insert},
	{5, (*writer).erase},
	{5, (*writer).move},
	{4, (*writer).setElement},
	{2, (*writer).clear},
	{1, (*writer).addColumn},
	{1, (*writer).eraseColumn},
	{1, (*writer).addTable},
	{1, (*writer).eraseTable},
}

// populate is the mix that builds a base state: objects, values, lists,
// and a few erasures to leave dangling links.
var populate = []weighted{
	{6, (*writer).createObject},
	{1, (*writer).eraseObject},
	{6, (*writer).update},
	{8, (*writer).insert},
}

// lists is the mix of list instructions only.
var lists = []weighted{
	{5, (*writer).insert},
	{4, (*writer).erase},
	{4, (*writer).move},
	{3, (*writer).setElement},
	{1, (*writer).clear},
}

// writer simulates a user writing to s: each instruction it draws is valid
// on s as it is then, and is applied to s at once.
type writer struct {
	t     *rapid.T
	s     *store.State
	label string
	out   []changeset.Instruction
}

func newWriter(t *rapid.T, s *store.State, label string) *writer {
	return &writer{t: t, s: s, label: label}
}

// run draws up to n more instructions from mix; it gives up after 4n
// tries, as an action does nothing when the state offers it nothing.
func (w *writer) run(n int, mix []weighted) {
	total := 0
	for _, m := range mix {
		total += m.weight
	}
	for tries, end := 0, len(w.out)+n; len(w.out) < end && tries < 4*n; tries++ {
		r := rapid.IntRange(0, total-1).Draw(w.t, w.label+": action")
		for _, m := range mix {
			if r < m.weight {
				m.act(w)
				break
			}
			r -= m.weight
		}
	}
}

// do applies in to the state and records it.
func (w *writer) do(in changeset.Instruction) {
	if err := w.s.Apply(&changeset.Changeset{Instructions: []changeset.Instruction{in}}); err != nil {
		w.t.Fatalf("%s: generated instruction %+v does not apply: %v\n%s", w.label, in, err, w.s)
	}
	w.out = append(w.out, in)
}

func (w *writer) draw(n int, what string) int {
	return rapid.IntRange(0, n-1).Draw(w.t, w.label+": "+what)
}

func (w *writer) chance(p float64, what string) bool {
	return rapid.Float64Range(0, 1).Draw(w.t, w.label+": "+what) < p
}

// place is a property of an object.
type place struct {
	class string
	pk    changeset.PK
	prop  schema.Property
}

// places returns every property of every object for which keep is true,
// in a deterministic order.
func (w *writer) places(keep func(schema.PropType) bool) []place {
	var ps []place
	for _, name := range w.s.Classes() {
		c, _ := w.s.Class(name)
		for _, pk := range w.s.Objects(name) {
			for _, p := range c.Props {
				if keep(p.Type) {
					ps = append(ps, place{name, pk, p})
				}
			}
		}
	}
	return ps
}

// pick draws one of ps, or reports false if there are none. A third of
// the time it takes the first of ps, a third of the time one of the places
// of the first object in ps: hot spots that concurrent writers (and
// successive instructions) share, so that they conflict often.
func (w *writer) pick(ps []place, what string) (place, bool) {
	if len(ps) == 0 {
		return place{}, false
	}
	switch w.draw(3, what+": hot spot") {
	case 0:
		return ps[0], true
	case 1:
		n := 1
		for n < len(ps) && ps[n].class == ps[0].class && ps[n].pk == ps[0].pk {
			n++
		}
		ps = ps[:n]
	}
	return ps[w.draw(len(ps), what)], true
}

func (w *writer) listLen(p place) uint32 {
	l, err := w.s.StoredList(p.class, p.pk, p.prop.Name)
	if err != nil {
		w.t.Fatalf("%s: %v", w.label, err)
	}
	return uint32(len(l))
}

// value draws a value for a property (or list element) of type t: small
// ranges so that values repeat, null sometimes where allowed, links to
// existing objects only (they may dangle later).
func (w *writer) value(t schema.PropType) changeset.Value {
	if t.Nullable && w.chance(0.2, "null") {
		return changeset.Value{}
	}
	v := changeset.Value{Kind: t.Kind}
	switch t.Kind {
	case schema.Int:
		v.Int = int64(w.draw(8, "int")) - 2
	case schema.Timestamp:
		v.Int = int64(w.draw(4, "timestamp"))
	case schema.Bool:
		v.Bool = w.chance(0.5, "bool")
	case schema.String:
		v.Str = []string{"x", "y", "z"}[w.draw(3, "string")]
	case schema.Double:
		v.Float = []float64{0, 1.5, -2.25}[w.draw(3, "double")]
	case schema.Link:
		targets := w.s.Objects(t.Target)
		if len(targets) == 0 {
			return changeset.Value{}
		}
		v.Class, v.Target = t.Target, targets[w.draw(len(targets), "link target")]
	}
	return v
}

func (w *writer) createObject() {
	classes := w.s.Classes()
	if len(classes) == 0 {
		return
	}
	name := classes[w.draw(len(classes), "create: class")]
	keys := pks[name]
	w.do(changeset.Instruction{Op: changeset.CreateObject, Class: name, PK: keys[w.draw(len(keys), "create: pk")]})
}

func (w *writer) eraseObject() {
	var objs []place
	for _, name := range w.s.Classes() {
		for _, pk := range w.s.Objects(name) {
			objs = append(objs, place{class: name, pk: pk})
		}
	}
	o, ok := w.pick(objs, "erase: object")
	if ok {
		w.do(changeset.Instruction{Op: changeset.EraseObject, Class: o.class, PK: o.pk})
	}
}

func (w *writer) update() {
	p, ok := w.pick(w.places(func(t schema.PropType) bool { return !t.List }), "update: field")
	if ok {
		w.do(changeset.Instruction{Op: changeset.Update, Class: p.class, PK: p.pk, Field: p.prop.Name,
			Value: w.value(p.prop.Type), IsDefault: w.chance(0.2, "update: default")})
	}
}

func (w *writer) addInteger() {
	p, ok := w.pick(w.places(func(t schema.PropType) bool { return !t.List && t.Kind == schema.Int }), "add: field")
	if ok {
		w.do(changeset.Instruction{Op: changeset.AddInteger, Class: p.class, PK: p.pk, Field: p.prop.Name,
			Delta: int64(w.draw(5, "add: delta")) - 2})
	}
}

// listOp draws a list, non-empty if nonEmpty, and returns it with its size.
func (w *writer) listOp(nonEmpty bool, what string) (place, uint32, bool) {
	var ps []place
	for _, p := range w.places(func(t schema.PropType) bool { return t.List }) {
		if !nonEmpty || w.listLen(p) > 0 {
			ps = append(ps, p)
		}
	}
	p, ok := w.pick(ps, what+": list")
	if !ok {
		return p, 0, false
	}
	return p, w.listLen(p), true
}

func (w *writer) insert() {
	p, n, ok := w.listOp(false, "insert")
	if !ok {
		return
	}
	i := uint32(w.draw(int(n)+1, "insert: index"))
	if w.chance(0.3, "insert: append") {
		i = n
	}
	w.do(changeset.Instruction{Op: changeset.ArrayInsert, Class: p.class, PK: p.pk, Field: p.prop.Name,
		Index: i, PriorSize: n, Value: w.value(p.prop.Type)})
}

func (w *writer) erase() {
	p, n, ok := w.listOp(true, "erase")
	if ok {
		w.do(changeset.Instruction{Op: changeset.ArrayErase, Class: p.class, PK: p.pk, Field: p.prop.Name,
			Index: uint32(w.draw(int(n), "erase: index")), PriorSize: n})
	}
}

func (w *writer) move() {
	p, n, ok := w.listOp(true, "move")
	if ok {
		w.do(changeset.Instruction{Op: changeset.ArrayMove, Class: p.class, PK: p.pk, Field: p.prop.Name,
			Index: uint32(w.draw(int(n), "move: from")), To: uint32(w.draw(int(n), "move: to")), PriorSize: n})
	}
}

func (w *writer) setElement() {
	p, n, ok := w.listOp(true, "set")
	if ok {
		w.do(changeset.Instruction{Op: changeset.Update, Class: p.class, PK: p.pk, Field: p.prop.Name,
			InList: true, Index: uint32(w.draw(int(n), "set: index")),
			Value: w.value(p.prop.Type), IsDefault: w.chance(0.2, "set: default")})
	}
}

func (w *writer) clear() {
	p, _, ok := w.listOp(false, "clear")
	if ok {
		w.do(changeset.Instruction{Op: changeset.Clear, Class: p.class, PK: p.pk, Field: p.prop.Name})
	}
}

// addColumn adds a universe property that a class lacks.
func (w *writer) addColumn() {
	var ps []place
	for _, c := range Universe().Classes {
		have, ok := w.s.Class(c.Name)
		if !ok {
			continue
		}
		for _, p := range c.Props {
			if _, exists := have.Property(p.Name); !exists {
				ps = append(ps, place{class: c.Name, prop: p})
			}
		}
	}
	p, ok := w.pick(ps, "add column")
	if ok {
		w.do(changeset.Instruction{Op: changeset.AddColumn, Class: p.class, Field: p.prop.Name, Type: p.prop.Type})
	}
}

func (w *writer) eraseColumn() {
	var ps []place
	for _, name := range w.s.Classes() {
		c, _ := w.s.Class(name)
		for _, p := range c.Props {
			ps = append(ps, place{class: name, prop: p})
		}
	}
	p, ok := w.pick(ps, "erase column")
	if ok {
		w.do(changeset.Instruction{Op: changeset.EraseColumn, Class: p.class, Field: p.prop.Name})
	}
}

// addTable adds a universe class, whether or not it exists (an identical
// AddTable is a no-op).
func (w *writer) addTable() {
	cs := Universe().Classes
	c := cs[w.draw(len(cs), "add table")]
	w.do(changeset.Instruction{Op: changeset.AddTable, Class: c.Name, PKKind: c.PKKind})
}

func (w *writer) eraseTable() {
	classes := w.s.Classes()
	if len(classes) == 0 {
		return
	}
	w.do(changeset.Instruction{Op: changeset.EraseTable, Class: classes[w.draw(len(classes), "erase table")]})
}
