package merge

import (
	"fmt"
	"math"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/mutant"
)

// The list transforms work on stored positions (dangling links count).
// Notation in comments: Ins(i) inserts at i, Era(i) erases element i,
// Mov(f,t) moves element f so that it ends at index t, Set(i) updates
// element i, n is the size both were made on.
//
// A move keeps the relative order of all other elements, so where two
// instructions interact through a move the transform computes the final
// list: the elements not moved keep their order, and each moved or
// inserted element lands in a "gap" between them; both transformed
// instructions are then read off that final list, which makes TP1 hold
// by construction.

// listRank orders list ops so that transformList handles each unordered
// pair once, with the lower-ranked op first.
func listRank(o *op) int {
	switch o.Op {
	case changeset.Clear:
		return 0
	case changeset.ArrayInsert:
		return 1
	case changeset.ArrayErase:
		return 2
	case changeset.ArrayMove:
		return 3
	}
	return 4 // Update of an element
}

// hasPrior reports whether o carries the list's size in PriorSize.
func hasPrior(o *op) bool {
	return o.Op == changeset.ArrayInsert || o.Op == changeset.ArrayMove || o.Op == changeset.ArrayErase
}

// transformList handles two instructions on the same list:
//
//   - Clear discards every concurrent instruction in the list whatever its
//     discriminant; of two clears the newer wins (the older is dropped,
//     and so, by the same rule, are the older side's later instructions
//     in the list, while the newer side's stay).
//   - Ins vs Ins at the same index: the lower discriminant's element comes
//     first. Appends are inserts at the end: both survive.
//   - Era vs Era of the same element: erased once. Set or Mov of an erased
//     element: dropped (the erase wins over a move).
//   - Mov vs Mov of the same element: the higher discriminant wins, moving
//     the element from where the other put it.
//   - Set vs Set of the same element: as updates of a field (non-default
//     beats default, then the higher discriminant).
//   - otherwise indexes shift past each other.
func transformList(a, b *op, m mutant.Set) error {
	if err := checkListPair(a, b); err != nil {
		return err
	}
	if listRank(a) > listRank(b) {
		a, b = b, a
	}
	switch a.Op {
	case changeset.Clear:
		clearVs(a, b)
	case changeset.ArrayInsert:
		insertVs(a, b, m)
	case changeset.ArrayErase:
		eraseVs(a, b)
	case changeset.ArrayMove:
		moveVs(a, b)
	default:
		if a.Index == b.Index {
			dropLoser(a, b)
		}
	}
	return nil
}

// checkListPair checks what can be checked of two list instructions made
// on the same state: equal prior sizes, an element update's index within
// the prior size, room for one more element.
func checkListPair(a, b *op) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s and %s of %s.%s: %s", ErrBadChangeset, a.Op, b.Op, a.Class, a.Field,
			fmt.Sprintf(format, args...))
	}
	for _, o := range [2]*op{a, b} {
		if o.Op == changeset.ArrayInsert && o.PriorSize == math.MaxUint32 {
			return bad("insert into a list of size %d", o.PriorSize)
		}
	}
	switch {
	case hasPrior(a) && hasPrior(b) && a.PriorSize != b.PriorSize:
		return bad("prior sizes %d and %d: not made on the same state", a.PriorSize, b.PriorSize)
	case a.Op == changeset.Update && hasPrior(b) && a.Index >= b.PriorSize:
		return bad("element %d updated in a list of size %d", a.Index, b.PriorSize)
	case b.Op == changeset.Update && hasPrior(a) && b.Index >= a.PriorSize:
		return bad("element %d updated in a list of size %d", b.Index, a.PriorSize)
	}
	return nil
}

// clearVs handles Clear c against any list op x.
func clearVs(c, x *op) {
	if x.Op == changeset.Clear && c.disc.Less(x.disc) {
		c.dead = true
		return
	}
	x.dead = true
}

// insertVs handles Ins(i) a against an insert, erase, move or element
// update b.
func insertVs(a, b *op, m mutant.Set) {
	i := a.Index
	switch b.Op {
	case changeset.ArrayInsert:
		if j := b.Index; i == j && m.Has(mutant.InsertTieUnordered) {
			// MUTANT insert-tie-unordered: each side puts the other's
			// element first, so the two orders disagree.
			a.Index++
			b.Index++
		} else if i < j || (i == j && a.disc.Less(b.disc)) {
			b.Index++
		} else {
			a.Index++
		}
		a.PriorSize++
		b.PriorSize++
	case changeset.ArrayErase:
		if j := b.Index; j < i {
			a.Index--
		} else {
			b.Index++
		}
		a.PriorSize--
		b.PriorSize++
	case changeset.ArrayMove:
		// The new element x lands in gap g of the elements not moved
		// (those before it in the list, less the moved one). The moved
		// element lands in gap t. In the same gap, x keeps the side of
		// the moved element it had when inserted.
		f, t := b.Index, b.To
		g := i - b2u(f < i)
		if g < t || (g == t && i <= f) {
			a.Index, b.To = g, t+1
		} else {
			a.Index, b.To = g+1, t
		}
		b.Index = f + b2u(f >= i)
		b.PriorSize++
	case changeset.Update:
		if b.Index >= i {
			b.Index++
		}
	}
}

// eraseVs handles Era(i) a against an erase, move or element update b.
func eraseVs(a, b *op) {
	i := a.Index
	switch b.Op {
	case changeset.ArrayErase:
		switch j := b.Index; {
		case i == j:
			a.dead, b.dead = true, true
		case i < j:
			b.Index--
		default:
			a.Index--
		}
		a.PriorSize--
		b.PriorSize--
	case changeset.ArrayMove:
		f, t := b.Index, b.To
		if i == f { // erase wins: erase the element where the move put it
			a.Index = t
			b.dead = true
			return
		}
		m := mapMove(i, f, t)
		a.Index = m
		b.Index = f - b2u(i < f)
		b.To = t - b2u(m < t)
		b.PriorSize--
	case changeset.Update:
		switch j := b.Index; {
		case i == j:
			b.dead = true
		case j > i:
			b.Index--
		}
	}
}

// moveVs handles Mov(f1,t1) a against a move or element update b.
func moveVs(a, b *op) {
	f1, t1 := a.Index, a.To
	if b.Op == changeset.Update {
		if b.Index == f1 {
			b.Index = t1
		} else {
			b.Index = mapMove(b.Index, f1, t1)
		}
		return
	}
	f2, t2 := b.Index, b.To
	if f1 == f2 { // the later move wins, from where the other put it
		if b.disc.Less(a.disc) {
			a.Index = t2
			b.dead = true
		} else {
			b.Index = t1
			a.dead = true
		}
		return
	}
	// Two elements moved. pa2 is b's element after a; pb1 is a's element
	// after b. Each lands in a gap of the elements moved by neither: g1
	// as a put it, g2 as b put it.
	pa2, pb1 := mapMove(f2, f1, t1), mapMove(f1, f2, t2)
	g1, g2 := t1-b2u(pa2 < t1), t2-b2u(pb1 < t2)
	aFirst := g1 < g2
	if g1 == g2 {
		// Same gap: keep the order of the two elements that both moves
		// agree on, or else the later move's.
		aSays, bSays := t1 < pa2, pb1 < t2
		switch {
		case aSays == bSays, b.disc.Less(a.disc):
			aFirst = aSays
		default:
			aFirst = bSays
		}
	}
	if aFirst {
		a.To, b.To = g1, g2+1
	} else {
		a.To, b.To = g1+1, g2
	}
	a.Index, b.Index = pb1, pa2
}

// mapMove returns where the element at index p (p != f) is after Mov(f,t).
func mapMove(p, f, t uint32) uint32 {
	q := p - b2u(p > f)
	return q + b2u(q >= t)
}

func b2u(c bool) uint32 {
	if c {
		return 1
	}
	return 0
}
