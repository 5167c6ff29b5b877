package replica

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// ErrExists is wrapped by the error of Create for an object that exists.
var ErrExists = errors.New("object exists")

// Tx is a write transaction: each method applies one instruction to the
// replica's state at once (so reads through State see it) and records it
// for the changeset the transaction commits. A method whose instruction
// does not fit the state returns an error and changes nothing; the
// transaction goes on unless fn returns the error.
type Tx struct {
	r    *Replica
	ins  []changeset.Instruction
	undo [][]changeset.Instruction // per instruction applied, how to revert it
	done bool
}

// Write runs fn in a write transaction and commits the instructions it
// made as one changeset: the next local version, based on the current
// download cursor, stamped with the local clock and the replica's ident
// (0 if not yet assigned; it is filled in when the ident arrives). The
// commit is durable when Write returns the version. If fn returns an
// error, or the commit fails, every change of the transaction is undone
// and Write returns the error. A transaction that changes nothing commits
// nothing and returns the current version.
func (r *Replica) Write(fn func(tx *Tx) error) (uint64, error) {
	if r.broken != nil {
		return 0, r.broken
	}
	if r.tx != nil {
		return 0, fmt.Errorf("replica %q: Write inside a write transaction", r.name)
	}
	tx := &Tx{r: r}
	r.tx = tx
	err := fn(tx)
	r.tx, tx.done = nil, true
	if err != nil {
		return 0, errors.Join(err, tx.rollback())
	}
	if len(tx.ins) == 0 {
		return r.version, nil
	}
	v, err := r.commit(tx.ins)
	if err != nil {
		return 0, errors.Join(err, tx.rollback())
	}
	return v, nil
}

// commitInstructions applies ins to the state as one changeset and
// commits it.
func (r *Replica) commitInstructions(ins []changeset.Instruction) (uint64, error) {
	if err := r.state.Apply(&changeset.Changeset{Instructions: ins}); err != nil {
		return 0, err
	}
	return r.commit(ins)
}

// commit makes ins, already applied to the state, the next local
// changeset: journals it durably, then records it as an own changeset.
func (r *Replica) commit(ins []changeset.Instruction) (uint64, error) {
	cs := &changeset.Changeset{
		Version:                     r.version + 1,
		LastIntegratedServerVersion: r.cursor.ServerVersion,
		OriginTimestamp:             int64(r.clk.Now()),
		OriginFileIdent:             r.ident,
		Instructions:                ins,
	}
	rec := encodeCommit(cs)
	if err := r.persist(rec); err != nil {
		return 0, err
	}
	r.addOwn(cs, len(rec)-1)
	for _, o := range r.observers {
		o.Committed(cs)
	}
	r.maybeCompact()
	return cs.Version, nil
}

// addOwn records a committed changeset of encoded size size.
func (r *Replica) addOwn(cs *changeset.Changeset, size int) {
	r.version = cs.Version
	r.owns = append(r.owns, own{cs: cs, size: size})
	r.unacked += uint64(size)
	r.recip = append(r.recip, cs)
}

// rollback reverts the applied instructions, the last first.
func (tx *Tx) rollback() error {
	var ins []changeset.Instruction
	for i := len(tx.undo) - 1; i >= 0; i-- {
		ins = append(ins, tx.undo[i]...)
	}
	if len(ins) == 0 {
		return nil
	}
	if err := tx.r.state.Apply(&changeset.Changeset{Instructions: ins}); err != nil {
		// The inverse of what was just applied cannot fail unless this
		// package is wrong; memory no longer matches the journal.
		return tx.r.fail(fmt.Errorf("undoing an aborted transaction: %w", err))
	}
	return nil
}

var errTxDone = errors.New("replica: transaction already finished")

// State is the replica's state with the transaction's changes so far; read
// only.
func (tx *Tx) State() *store.State { return tx.r.state }

// apply applies in, whose inverse (given the state before it) is inv.
func (tx *Tx) apply(in changeset.Instruction, inv ...changeset.Instruction) error {
	if tx.done {
		return errTxDone
	}
	if err := tx.r.state.Apply(&changeset.Changeset{Instructions: []changeset.Instruction{in}}); err != nil {
		return err
	}
	tx.ins = append(tx.ins, in)
	tx.undo = append(tx.undo, inv)
	return nil
}

// Create creates the object class[pk]; it is an error if it exists.
func (tx *Tx) Create(class string, pk changeset.PK) error {
	if _, ok := tx.r.state.Class(class); !ok {
		return fmt.Errorf("create %s: %w: class %q", object(class, pk), store.ErrNotFound, class)
	}
	if tx.r.state.Exists(class, pk) {
		return fmt.Errorf("create %s: %w", object(class, pk), ErrExists)
	}
	return tx.apply(changeset.Instruction{Op: changeset.CreateObject, Class: class, PK: pk},
		changeset.Instruction{Op: changeset.EraseObject, Class: class, PK: pk})
}

// Erase erases the object class[pk]. Links to it dangle.
func (tx *Tx) Erase(class string, pk changeset.PK) error {
	inv, err := store.Recreate(tx.r.state, class, pk)
	if err != nil {
		return fmt.Errorf("erase %s: %w", object(class, pk), err)
	}
	return tx.apply(changeset.Instruction{Op: changeset.EraseObject, Class: class, PK: pk}, inv...)
}

// ErrLinkTarget is wrapped by the error of EraseTable for a class that a
// property of another class links to.
var ErrLinkTarget = errors.New("class is the target of links")

// EraseTable erases class with its properties and objects (an EraseTable
// instruction). Concurrently it wins over everything inside the class; a
// client reset that recovers it erases the class from the fresh copy too.
// A class another class's property links to cannot be erased (as in
// realm-core); erase or change that property first.
func (tx *Tx) EraseTable(class string) error {
	if tx.done {
		return errTxDone
	}
	for _, c := range tx.r.state.Schema().Classes {
		if c.Name == class {
			continue
		}
		for _, p := range c.Props {
			if p.Type.Kind == schema.Link && p.Type.Target == class {
				return fmt.Errorf("erase table %q: %w: %s.%s", class, ErrLinkTarget, c.Name, p.Name)
			}
		}
	}
	inv, err := store.RecreateTable(tx.r.state, class)
	if err != nil {
		return fmt.Errorf("erase table %q: %w", class, err)
	}
	return tx.apply(changeset.Instruction{Op: changeset.EraseTable, Class: class}, inv...)
}

// EraseColumn erases property field of class in every object (an
// EraseColumn instruction). Concurrently it wins over everything on that
// property; a client reset that recovers it erases the property from the
// fresh copy too.
func (tx *Tx) EraseColumn(class, field string) error {
	if tx.done {
		return errTxDone
	}
	inv, err := store.RecreateColumn(tx.r.state, class, field)
	if err != nil {
		return fmt.Errorf("erase column %s.%s: %w", class, field, err)
	}
	return tx.apply(changeset.Instruction{Op: changeset.EraseColumn, Class: class, Field: field}, inv...)
}

// Set sets a scalar field.
func (tx *Tx) Set(class string, pk changeset.PK, field string, v changeset.Value) error {
	return tx.update(class, pk, field, v, false)
}

// SetDefault sets a scalar field as a default value: any concurrent
// non-default write wins over it.
func (tx *Tx) SetDefault(class string, pk changeset.PK, field string, v changeset.Value) error {
	return tx.update(class, pk, field, v, true)
}

func (tx *Tx) update(class string, pk changeset.PK, field string, v changeset.Value, isDefault bool) error {
	old, err := tx.r.state.Stored(class, pk, field)
	if err != nil {
		return fmt.Errorf("set %s.%s: %w", object(class, pk), field, err)
	}
	return tx.apply(changeset.Instruction{Op: changeset.Update, Class: class, PK: pk, Field: field, Value: v, IsDefault: isDefault},
		changeset.Instruction{Op: changeset.Update, Class: class, PK: pk, Field: field, Value: old})
}

// Add adds delta to an int field (a counter); on a null field it does
// nothing.
func (tx *Tx) Add(class string, pk changeset.PK, field string, delta int64) error {
	old, err := tx.r.state.Stored(class, pk, field)
	if err != nil {
		return fmt.Errorf("add to %s.%s: %w", object(class, pk), field, err)
	}
	return tx.apply(changeset.Instruction{Op: changeset.AddInteger, Class: class, PK: pk, Field: field, Delta: delta},
		changeset.Instruction{Op: changeset.Update, Class: class, PK: pk, Field: field, Value: old})
}

// Upsert creates class[pk] if it does not exist, then sets each field of
// fields whose visible value differs from the given one, in field name
// order. Unchanged fields are not written, so a detached copy written back
// neither looks like a new object nor overrides concurrent writes to the
// fields it did not change. Only scalar fields may be given.
func (tx *Tx) Upsert(class string, pk changeset.PK, fields map[string]changeset.Value) error {
	if !tx.r.state.Exists(class, pk) {
		if err := tx.Create(class, pk); err != nil {
			return fmt.Errorf("upsert: %w", err)
		}
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		have, err := tx.r.state.Get(class, pk, name)
		if err != nil {
			return fmt.Errorf("upsert %s.%s: %w", object(class, pk), name, err)
		}
		if same(have, fields[name]) {
			continue
		}
		if err := tx.Set(class, pk, name, fields[name]); err != nil {
			return fmt.Errorf("upsert: %w", err)
		}
	}
	return nil
}

// same reports whether a and b are the same value; doubles compare by
// their bits.
func same(a, b changeset.Value) bool {
	if a.Kind == schema.Double && b.Kind == schema.Double {
		return math.Float64bits(a.Float) == math.Float64bits(b.Float)
	}
	return a == b
}

// object names class[pk] for errors.
func object(class string, pk changeset.PK) string {
	if pk.Kind == schema.String {
		return fmt.Sprintf("%s[%q]", class, pk.Str)
	}
	return fmt.Sprintf("%s[%d]", class, pk.Int)
}
