package merge

import (
	"fmt"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/mutant"
	"github.com/syncsim/syncsim/engine/schema"
)

// transformPair transforms two concurrent instructions made on the same
// state: afterwards a is a rewritten to apply after b, and b is b rewritten
// to apply after a; a dead one is dropped. Both orders reach the same
// state (TP1). The rules, by the scope the two instructions share:
//
//   - other classes, objects or fields: independent, unchanged;
//   - table: EraseTable beats everything in its class (two erases become
//     none); identical AddTables both stay, differing ones are a schema
//     mismatch;
//   - column: EraseColumn beats everything on that property in any object,
//     AddColumn included (two erases become none); identical AddColumns
//     both stay, differing ones are a schema mismatch;
//   - object: EraseObject beats everything in the object, CreateObject
//     included; of two erases the newer by discriminant is kept and the
//     older dropped (realm-core's rule: dropping both let whoever erased
//     more often win); creates are idempotent;
//   - scalar field: see transformField;
//   - list: see transformList.
//
// The function is symmetric: transformPair(b, a) mirrors transformPair(a, b)
// (unless a mutant of m breaks the rules: a is ours, b theirs).
func transformPair(a, b *op, m mutant.Set) error {
	if a.Class != b.Class {
		return nil
	}
	switch {
	case a.Op == changeset.EraseTable || b.Op == changeset.EraseTable:
		killInner(a, b, changeset.EraseTable)
		return nil
	case a.Op == changeset.AddTable && b.Op == changeset.AddTable:
		if a.PKKind != b.PKKind {
			return fmt.Errorf("%w: concurrent AddTable %q with primary keys %s and %s",
				ErrSchemaMismatch, a.Class, a.PKKind, b.PKKind)
		}
		return nil
	case a.Op == changeset.AddTable || b.Op == changeset.AddTable:
		// Anything else in the class was made where the class existed,
		// so the AddTable is a no-op there and the other is unaffected.
		return nil
	case isColumnOp(a.Op) || isColumnOp(b.Op):
		return transformColumn(a, b)
	case a.PK != b.PK:
		return nil
	case isObjectOp(a.Op) || isObjectOp(b.Op):
		transformObject(a, b, m)
		return nil
	case a.Field != b.Field:
		return nil
	case isListOp(a) && isListOp(b):
		return transformList(a, b, m)
	case !isListOp(a) && !isListOp(b):
		transformField(a, b, m)
	}
	// A list op and a scalar op on one property cannot both be valid on
	// the same state; applying them will say which one is wrong.
	return nil
}

// killInner handles an erase (of a table, column or object) against an
// instruction inside what it erases: the inner instruction is dropped, and
// of two identical erases neither survives (the thing is erased once).
func killInner(a, b *op, erase changeset.Op) {
	switch {
	case a.Op == erase && b.Op == erase:
		a.dead, b.dead = true, true
	case a.Op == erase:
		b.dead = true
	default:
		a.dead = true
	}
}

func isColumnOp(o changeset.Op) bool {
	return o == changeset.AddColumn || o == changeset.EraseColumn
}

func isObjectOp(o changeset.Op) bool {
	return o == changeset.CreateObject || o == changeset.EraseObject
}

// isListOp reports whether o addresses a list: its elements or the whole.
func isListOp(o *op) bool {
	switch o.Op {
	case changeset.ArrayInsert, changeset.ArrayMove, changeset.ArrayErase, changeset.Clear:
		return true
	case changeset.Update:
		return o.InList
	}
	return false
}

// transformColumn handles two instructions of one class, at least one of
// them AddColumn or EraseColumn.
func transformColumn(a, b *op) error {
	if a.Field != b.Field {
		return nil
	}
	switch {
	case a.Op == changeset.EraseColumn || b.Op == changeset.EraseColumn:
		// Object ops have no Field, so they never get here.
		killInner(a, b, changeset.EraseColumn)
	case a.Op == changeset.AddColumn && b.Op == changeset.AddColumn:
		if !sameType(a.Type, b.Type) {
			return fmt.Errorf("%w: concurrent AddColumn %s.%s with types %s and %s",
				ErrSchemaMismatch, a.Class, a.Field, a.Type, b.Type)
		}
	}
	// AddColumn against an instruction on that property of some object:
	// the property existed, so the AddColumn is a no-op there.
	return nil
}

// sameType reports whether two column types are the same; links are
// always nullable, so nullability does not tell link types apart.
func sameType(t, u schema.PropType) bool {
	if t.Kind == schema.Link {
		t.Nullable, u.Nullable = true, true
	}
	return t == u
}

// transformObject handles two instructions on one object, at least one of
// them CreateObject or EraseObject. An erase was made where the object
// existed, so a concurrent create of it was a no-op there: erase wins.
func transformObject(a, b *op, m mutant.Set) {
	if m.Has(mutant.EraseLosesToCreate) && a.Op != b.Op && isObjectOp(a.Op) && isObjectOp(b.Op) {
		// MUTANT erase-loses-to-create: the create wins, the erase is
		// dropped; on one side the object comes back with default
		// fields, on the other it keeps its old ones.
		if a.Op == changeset.EraseObject {
			a.dead = true
		} else {
			b.dead = true
		}
		return
	}
	if a.Op == changeset.EraseObject && b.Op == changeset.EraseObject {
		// Erase vs erase: the newer is kept (applied after the other side's
		// erase it is a no-op in the store) and goes on to beat what
		// follows the older one in its changeset, a re-create included.
		if a.disc.Less(b.disc) {
			a.dead = true
		} else {
			b.dead = true
		}
		return
	}
	if a.Op == changeset.EraseObject || b.Op == changeset.EraseObject {
		killInner(a, b, changeset.EraseObject)
	}
	// Otherwise a CreateObject against a create or anything inside: both
	// stay; creates are idempotent.
}

// transformField handles two instructions on one scalar field, each an
// Update or an AddInteger:
//
//   - Update vs Update: a non-default update beats a default one; between
//     two of the same kind the higher discriminant wins. The loser is
//     dropped.
//   - AddInteger vs AddInteger: they commute; both stay.
//   - AddInteger vs Update: if the add is later by discriminant, or the
//     update is a default (made "at the beginning of time"), the add
//     happened after the update: its delta is folded into the update's
//     value (null stays null: an add after an update to null does
//     nothing) and the add stays. Otherwise the update overwrote the
//     add, which is dropped.
func transformField(a, b *op, m mutant.Set) {
	switch {
	case a.Op == changeset.Update && b.Op == changeset.Update && m.Has(mutant.UpdateIgnoresDiscriminant):
		// MUTANT update-ignores-discriminant: ours (the changeset being
		// integrated) wins whatever the discriminants and defaults.
		b.dead = true
	case a.Op == changeset.Update && b.Op == changeset.Update:
		dropLoser(a, b)
	case a.Op == changeset.AddInteger && b.Op == changeset.AddInteger && m.Has(mutant.AddLosesToAdd):
		// MUTANT add-loses-to-add: the adds do not commute; the one with
		// the lower discriminant is dropped.
		if a.disc.Less(b.disc) {
			a.dead = true
		} else {
			b.dead = true
		}
	case a.Op == changeset.Update && b.Op == changeset.AddInteger:
		addVsUpdate(b, a)
	case a.Op == changeset.AddInteger && b.Op == changeset.Update:
		addVsUpdate(a, b)
	}
}

func addVsUpdate(add, up *op) {
	if up.IsDefault || up.disc.Less(add.disc) {
		up.fold += add.Delta // folded only into an int value: null stays null
		return
	}
	add.dead = true
}

// dropLoser drops the losing one of two updates of the same field or list
// element.
func dropLoser(a, b *op) {
	if updateBeats(a, b) {
		b.dead = true
	} else {
		a.dead = true
	}
}

// updateBeats reports whether update a beats concurrent update b of the
// same place: non-default beats default, then the higher discriminant.
func updateBeats(a, b *op) bool {
	if a.IsDefault != b.IsDefault {
		return !a.IsDefault
	}
	return b.disc.Less(a.disc)
}
