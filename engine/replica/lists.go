package replica

import (
	"fmt"

	"github.com/syncsim/syncsim/engine/changeset"
)

// The list methods take the positions the app sees: a link list hides the
// entries whose target was erased (they dangle), so visible position i is
// the i-th live entry. Instructions address stored positions; the methods
// translate.

// list is a stored list with the stored positions of its live entries.
type list struct {
	stored []changeset.Value
	live   []int // live[i] is the stored position of visible element i
}

func (tx *Tx) list(class string, pk changeset.PK, field string) (list, error) {
	s := tx.r.state
	l, err := s.StoredList(class, pk, field)
	if err != nil {
		return list{}, err
	}
	li := list{stored: l, live: make([]int, 0, len(l))}
	for i, v := range l {
		if s.Live(v) {
			li.live = append(li.live, i)
		}
	}
	return li, nil
}

// at returns the stored position of visible element i.
func (l list) at(i int) (int, error) {
	if i < 0 || i >= len(l.live) {
		return 0, fmt.Errorf("index %d out of a list of %d visible elements", i, len(l.live))
	}
	return l.live[i], nil
}

// before returns the stored position to insert at so that the new element
// becomes visible element i: before visible element i, or at the end.
func (l list) before(i int) (int, error) {
	if i < 0 || i > len(l.live) {
		return 0, fmt.Errorf("insert at index %d of a list of %d visible elements", i, len(l.live))
	}
	if i == len(l.live) {
		return len(l.stored), nil
	}
	return l.live[i], nil
}

// locate reads the list and finds the stored position pos picks.
func (tx *Tx) locate(class string, pk changeset.PK, field string, pos func(list) (int, error)) (list, int, error) {
	l, err := tx.list(class, pk, field)
	if err != nil {
		return list{}, 0, err
	}
	at, err := pos(l)
	return l, at, err
}

// ListInsert inserts v so that it becomes visible element i.
func (tx *Tx) ListInsert(class string, pk changeset.PK, field string, i int, v changeset.Value) error {
	l, at, err := tx.locate(class, pk, field, func(l list) (int, error) { return l.before(i) })
	if err != nil {
		return fmt.Errorf("list insert into %s.%s: %w", object(class, pk), field, err)
	}
	n := uint32(len(l.stored))
	return tx.apply(
		changeset.Instruction{Op: changeset.ArrayInsert, Class: class, PK: pk, Field: field, Index: uint32(at), PriorSize: n, Value: v},
		changeset.Instruction{Op: changeset.ArrayErase, Class: class, PK: pk, Field: field, Index: uint32(at), PriorSize: n + 1})
}

// ListSet replaces visible element i.
func (tx *Tx) ListSet(class string, pk changeset.PK, field string, i int, v changeset.Value) error {
	l, at, err := tx.locate(class, pk, field, func(l list) (int, error) { return l.at(i) })
	if err != nil {
		return fmt.Errorf("list set in %s.%s: %w", object(class, pk), field, err)
	}
	return tx.apply(
		changeset.Instruction{Op: changeset.Update, Class: class, PK: pk, Field: field, InList: true, Index: uint32(at), Value: v},
		changeset.Instruction{Op: changeset.Update, Class: class, PK: pk, Field: field, InList: true, Index: uint32(at), Value: l.stored[at]})
}

// ListMove moves visible element from so that it becomes visible element
// to. Moving an element onto its own position changes nothing.
func (tx *Tx) ListMove(class string, pk changeset.PK, field string, from, to int) error {
	l, sf, err := tx.locate(class, pk, field, func(l list) (int, error) {
		if _, err := l.at(to); err != nil {
			return 0, err
		}
		return l.at(from)
	})
	if err != nil {
		return fmt.Errorf("list move in %s.%s: %w", object(class, pk), field, err)
	}
	st := moveTarget(l, sf, to)
	if sf == st {
		return nil
	}
	n := uint32(len(l.stored))
	return tx.apply(
		changeset.Instruction{Op: changeset.ArrayMove, Class: class, PK: pk, Field: field, Index: uint32(sf), To: uint32(st), PriorSize: n},
		changeset.Instruction{Op: changeset.ArrayMove, Class: class, PK: pk, Field: field, Index: uint32(st), To: uint32(sf), PriorSize: n})
}

// moveTarget returns the stored position to move the element at stored
// position from to so that it becomes visible element to: with the element
// taken out, the position of visible element to (or the end).
func moveTarget(l list, from, to int) int {
	rest := make([]int, 0, len(l.live)-1)
	for _, p := range l.live {
		switch {
		case p < from:
			rest = append(rest, p)
		case p > from:
			rest = append(rest, p-1)
		}
	}
	if to == len(rest) {
		return len(l.stored) - 1
	}
	return rest[to]
}

// ListErase erases visible element i.
func (tx *Tx) ListErase(class string, pk changeset.PK, field string, i int) error {
	l, at, err := tx.locate(class, pk, field, func(l list) (int, error) { return l.at(i) })
	if err != nil {
		return fmt.Errorf("list erase from %s.%s: %w", object(class, pk), field, err)
	}
	n := uint32(len(l.stored))
	return tx.apply(
		changeset.Instruction{Op: changeset.ArrayErase, Class: class, PK: pk, Field: field, Index: uint32(at), PriorSize: n},
		changeset.Instruction{Op: changeset.ArrayInsert, Class: class, PK: pk, Field: field, Index: uint32(at), PriorSize: n - 1, Value: l.stored[at]})
}

// ListClear removes every element, hidden ones included. Clearing a list
// that is already empty (no stored entries) writes no instruction, so it
// cannot beat a concurrent clear-and-insert (DESIGN §3).
func (tx *Tx) ListClear(class string, pk changeset.PK, field string) error {
	if tx.done {
		return errTxDone
	}
	l, err := tx.list(class, pk, field)
	if err != nil {
		return fmt.Errorf("list clear of %s.%s: %w", object(class, pk), field, err)
	}
	if len(l.stored) == 0 {
		return nil
	}
	inv := make([]changeset.Instruction, len(l.stored))
	for i, v := range l.stored {
		inv[i] = changeset.Instruction{Op: changeset.ArrayInsert, Class: class, PK: pk, Field: field,
			Index: uint32(i), PriorSize: uint32(i), Value: v}
	}
	return tx.apply(changeset.Instruction{Op: changeset.Clear, Class: class, PK: pk, Field: field}, inv...)
}
