package store

import (
	"fmt"
	"slices"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
)

// Apply applies the instructions of cs in order, atomically: when an
// instruction fails, the ones already applied are undone and s is as it
// was. Each instruction first checks everything it needs and only then
// changes s, recording how to undo the change; the cost of atomicity is
// proportional to what the changeset touches, not to the size of s.
//
// Semantics, beyond the obvious:
//   - AddTable and AddColumn are idempotent when identical to what exists
//     (for links, nullability is ignored: links are always nullable);
//     a different primary key kind or property type is ErrSchemaMismatch.
//   - CreateObject of an existing object does nothing; a new object has
//     every property at its default (null for optional properties and
//     links, the kind's zero value otherwise, empty lists).
//   - EraseObject of a missing object (in an existing class) does nothing:
//     of two concurrent erases the transform keeps the newer, which then
//     applies where the object is already gone.
//   - EraseTable and EraseColumn of something missing are ErrBadChangeset:
//     the transform removes both of two duplicate erases, so a duplicate
//     here is a bug upstream.
//   - AddInteger on a null field does nothing.
//   - List instructions must state the list's stored size in PriorSize.
//
// Every other mismatch between an instruction and the state wraps
// ErrBadChangeset.
func (s *State) Apply(cs *changeset.Changeset) error {
	if cs == nil {
		return fmt.Errorf("%w: nil changeset", ErrBadChangeset)
	}
	var u undoLog
	for i := range cs.Instructions {
		in := &cs.Instructions[i]
		if err := s.apply(in, &u); err != nil {
			u.rollback()
			return fmt.Errorf("instruction %d (%s): %w", i, in.Op, err)
		}
	}
	return nil
}

// undoLog records how to revert each change of the changeset being
// applied, in the order made.
type undoLog []func()

func (u *undoLog) push(f func()) { *u = append(*u, f) }

// rollback reverts the recorded changes, the last one first.
func (u undoLog) rollback() {
	for i := len(u) - 1; i >= 0; i-- {
		u[i]()
	}
}

func (s *State) apply(in *changeset.Instruction, u *undoLog) error {
	if err := in.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadChangeset, err)
	}
	switch in.Op {
	case changeset.AddTable:
		return s.addTable(in, u)
	case changeset.EraseTable:
		return s.eraseTable(in, u)
	case changeset.AddColumn:
		return s.addColumn(in, u)
	case changeset.EraseColumn:
		return s.eraseColumn(in, u)
	case changeset.CreateObject:
		return s.createObject(in, u)
	case changeset.EraseObject:
		return s.eraseObject(in, u)
	case changeset.Update:
		if in.InList {
			return s.updateElement(in, u)
		}
		return s.update(in, u)
	case changeset.AddInteger:
		return s.addInteger(in, u)
	case changeset.ArrayInsert:
		return s.arrayInsert(in, u)
	case changeset.ArrayMove:
		return s.arrayMove(in, u)
	case changeset.ArrayErase:
		return s.arrayErase(in, u)
	case changeset.Clear:
		return s.clear(in, u)
	}
	return fmt.Errorf("%w: unknown op %d", ErrBadChangeset, in.Op)
}

func (s *State) addTable(in *changeset.Instruction, u *undoLog) error {
	if c, ok := s.classes[in.Class]; ok {
		if c.pkKind != in.PKKind {
			return fmt.Errorf("%w: class %q has a primary key of kind %s, the instruction says %s",
				ErrSchemaMismatch, in.Class, c.pkKind, in.PKKind)
		}
		return nil
	}
	name := in.Class
	s.classes[name] = &class{
		pkKind:  in.PKKind,
		props:   make(map[string]schema.PropType),
		objects: make(map[changeset.PK]*object),
	}
	u.push(func() { delete(s.classes, name) })
	return nil
}

func (s *State) eraseTable(in *changeset.Instruction, u *undoLog) error {
	c, err := s.class(in.Class)
	if err != nil {
		return err
	}
	name := in.Class
	delete(s.classes, name)
	u.push(func() { s.classes[name] = c })
	return nil
}

func (s *State) addColumn(in *changeset.Instruction, u *undoLog) error {
	c, err := s.class(in.Class)
	if err != nil {
		return err
	}
	t, f := normalType(in.Type), in.Field
	if have, ok := c.props[f]; ok {
		if have != t {
			return fmt.Errorf("%w: property %s.%s has type %s, the instruction says %s",
				ErrSchemaMismatch, in.Class, f, have, t)
		}
		return nil
	}
	c.props[f] = t
	for _, o := range c.objects {
		o.setDefault(f, t)
	}
	u.push(func() {
		delete(c.props, f)
		for _, o := range c.objects {
			delete(o.fields, f)
			delete(o.lists, f)
		}
	})
	return nil
}

func (s *State) eraseColumn(in *changeset.Instruction, u *undoLog) error {
	c, err := s.class(in.Class)
	if err != nil {
		return err
	}
	f := in.Field
	t, ok := c.props[f]
	if !ok {
		return fmt.Errorf("%w: class %q has no property %q", ErrBadChangeset, in.Class, f)
	}
	type saved struct {
		o *object
		v changeset.Value
		l []changeset.Value
	}
	old := make([]saved, 0, len(c.objects))
	for _, o := range c.objects {
		old = append(old, saved{o, o.fields[f], o.lists[f]})
		delete(o.fields, f)
		delete(o.lists, f)
	}
	delete(c.props, f)
	u.push(func() {
		c.props[f] = t
		for _, sv := range old {
			if t.List {
				sv.o.lists[f] = sv.l
			} else {
				sv.o.fields[f] = sv.v
			}
		}
	})
	return nil
}

func (s *State) createObject(in *changeset.Instruction, u *undoLog) error {
	c, err := s.class(in.Class)
	if err != nil {
		return err
	}
	if in.PK.Kind != c.pkKind {
		return fmt.Errorf("%w: %s primary key for class %q, whose primary key is %s",
			ErrBadChangeset, in.PK.Kind, in.Class, c.pkKind)
	}
	pk := in.PK
	if _, ok := c.objects[pk]; ok {
		return nil
	}
	c.objects[pk] = c.newObject()
	u.push(func() { delete(c.objects, pk) })
	return nil
}

func (s *State) eraseObject(in *changeset.Instruction, u *undoLog) error {
	c, err := s.class(in.Class)
	if err != nil {
		return err
	}
	if in.PK.Kind != c.pkKind {
		return fmt.Errorf("%w: %s primary key for class %q, whose primary key is %s",
			ErrBadChangeset, in.PK.Kind, in.Class, c.pkKind)
	}
	pk := in.PK
	o, ok := c.objects[pk]
	if !ok {
		return nil // already gone: a no-op (see Apply)
	}
	delete(c.objects, pk)
	u.push(func() { c.objects[pk] = o })
	return nil
}

func (s *State) update(in *changeset.Instruction, u *undoLog) error {
	o, t, err := s.field(in, false)
	if err != nil {
		return err
	}
	if err := checkValue(t, in.Value); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBadChangeset, in.Field, err)
	}
	f, old := in.Field, o.fields[in.Field]
	o.fields[f] = in.Value
	u.push(func() { o.fields[f] = old })
	return nil
}

func (s *State) addInteger(in *changeset.Instruction, u *undoLog) error {
	o, t, err := s.field(in, false)
	if err != nil {
		return err
	}
	if t.Kind != schema.Int {
		return fmt.Errorf("%w: AddInteger on %s, a property of type %s", ErrBadChangeset, in.Field, t)
	}
	f, old := in.Field, o.fields[in.Field]
	if old.Null() {
		return nil
	}
	v := old
	v.Int += in.Delta // wraps on overflow, the same way on every replica
	o.fields[f] = v
	u.push(func() { o.fields[f] = old })
	return nil
}

func (s *State) updateElement(in *changeset.Instruction, u *undoLog) error {
	o, t, err := s.field(in, true)
	if err != nil {
		return err
	}
	f, i := in.Field, int(in.Index)
	l := o.lists[f]
	if i >= len(l) {
		return fmt.Errorf("%w: update of element %d of %s, a list of size %d", ErrBadChangeset, i, f, len(l))
	}
	if err := checkValue(t, in.Value); err != nil {
		return fmt.Errorf("%w: %s[%d]: %w", ErrBadChangeset, f, i, err)
	}
	old := l[i]
	l[i] = in.Value
	u.push(func() { o.lists[f][i] = old })
	return nil
}

func (s *State) arrayInsert(in *changeset.Instruction, u *undoLog) error {
	o, t, err := s.field(in, true)
	if err != nil {
		return err
	}
	f, i := in.Field, int(in.Index)
	l := o.lists[f]
	if err := checkPrior(in, len(l)); err != nil {
		return err
	}
	if err := checkValue(t, in.Value); err != nil {
		return fmt.Errorf("%w: %s[%d]: %w", ErrBadChangeset, f, i, err)
	}
	o.lists[f] = slices.Insert(l, i, in.Value)
	u.push(func() { o.lists[f] = slices.Delete(o.lists[f], i, i+1) })
	return nil
}

func (s *State) arrayErase(in *changeset.Instruction, u *undoLog) error {
	o, _, err := s.field(in, true)
	if err != nil {
		return err
	}
	f, i := in.Field, int(in.Index)
	l := o.lists[f]
	if err := checkPrior(in, len(l)); err != nil {
		return err
	}
	old := l[i]
	o.lists[f] = slices.Delete(l, i, i+1)
	u.push(func() { o.lists[f] = slices.Insert(o.lists[f], i, old) })
	return nil
}

func (s *State) arrayMove(in *changeset.Instruction, u *undoLog) error {
	o, _, err := s.field(in, true)
	if err != nil {
		return err
	}
	f, from, to := in.Field, int(in.Index), int(in.To)
	l := o.lists[f]
	if err := checkPrior(in, len(l)); err != nil {
		return err
	}
	move(l, from, to)
	u.push(func() { move(o.lists[f], to, from) })
	return nil
}

func (s *State) clear(in *changeset.Instruction, u *undoLog) error {
	o, _, err := s.field(in, true)
	if err != nil {
		return err
	}
	f, old := in.Field, o.lists[in.Field]
	o.lists[f] = nil
	u.push(func() { o.lists[f] = old })
	return nil
}

// checkPrior checks a list instruction's PriorSize against the list's
// stored size. Validate has checked the indexes against PriorSize.
func checkPrior(in *changeset.Instruction, size int) error {
	if int(in.PriorSize) != size {
		return fmt.Errorf("%w: %s of %s with prior size %d, but the list has %d elements",
			ErrBadChangeset, in.Op, in.Field, in.PriorSize, size)
	}
	return nil
}

// move moves l[from] to index to, shifting the elements in between.
func move(l []changeset.Value, from, to int) {
	v := l[from]
	if from < to {
		copy(l[from:to], l[from+1:to+1])
	} else {
		copy(l[to+1:from+1], l[to:from])
	}
	l[to] = v
}

// class returns the class called name.
func (s *State) class(name string) (*class, error) {
	c, ok := s.classes[name]
	if !ok {
		return nil, fmt.Errorf("%w: no class %q", ErrBadChangeset, name)
	}
	return c, nil
}

// object returns the object of class with primary key pk, and its class.
func (s *State) object(class string, pk changeset.PK) (*class, *object, error) {
	c, err := s.class(class)
	if err != nil {
		return nil, nil, err
	}
	o, ok := c.objects[pk]
	if !ok {
		return nil, nil, fmt.Errorf("%w: no object %s", ErrBadChangeset, formatObject(class, pk))
	}
	return c, o, nil
}

// field returns the object an instruction addresses and the type of its
// property, checking that the property is a list exactly when list is set.
func (s *State) field(in *changeset.Instruction, list bool) (*object, schema.PropType, error) {
	c, o, err := s.object(in.Class, in.PK)
	if err != nil {
		return nil, schema.PropType{}, err
	}
	t, ok := c.props[in.Field]
	switch {
	case !ok:
		return nil, t, fmt.Errorf("%w: class %q has no property %q", ErrBadChangeset, in.Class, in.Field)
	case t.List != list && list:
		return nil, t, fmt.Errorf("%w: %s on %s.%s, which is not a list", ErrBadChangeset, in.Op, in.Class, in.Field)
	case t.List != list:
		return nil, t, fmt.Errorf("%w: %s on %s.%s, which is a list", ErrBadChangeset, in.Op, in.Class, in.Field)
	}
	return o, t, nil
}
