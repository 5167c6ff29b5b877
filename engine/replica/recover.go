package replica

import (
	"errors"
	"fmt"
	"slices"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/mutant"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// ErrRecoveryErasesSchema is wrapped by the error of Recover for unsynced
// changes that erase a class or property: recovery cannot replay them.
var ErrRecoveryErasesSchema = errors.New("recovery cannot replay an erased class or property")

// Recover computes the target state of a client reset that recovers the
// unsynced local changes: the changesets unsynced (in their reciprocal
// form, see Replica.Reciprocal, in order; local is the pre-reset local
// state they lead to) replayed onto fresh, the state of a fresh copy of
// the server's realm. It returns the
// target and the instructions that turn fresh into it, which the replica
// uploads as its recovered changes. fresh and local are not modified.
//
// The recovery rules:
//  1. objects created locally are kept (a CreateObject is replayed);
//  2. an object the server deleted stays deleted: instructions inside an
//     object that is missing are dropped, and only an explicit CreateObject
//     creates one, so recovery never brings back a server-deleted object;
//  3. an object deleted locally is deleted;
//  4. conflicting updates of a field: the client's value wins (updates and
//     AddInteger are replayed);
//  5. lists: an insert is replayed at its local position clamped to the
//     target list's size, min(local index, size) (realm-core's
//     ListTracker), not at the end; an update, move or erase of an
//     element the recovery inserted is translated to where that element
//     went. An update, move or erase of any
//     other (pre-existing) element makes the list be copied over whole from
//     local at the end, links to objects the target lacks dropped, and
//     further instructions on it ignored. A local Clear is replayed as a
//     Clear (and ends the copying: what follows it only touches elements
//     the recovery inserted).
//
// Schema instructions are replayed when fresh lacks them (additive
// changes are carried over); one that contradicts fresh (another primary
// key kind or property type) is an error wrapping store.ErrSchemaMismatch,
// and so is an instruction that does not fit the target: the changes
// cannot be recovered. A local EraseTable or EraseColumn cannot be
// recovered either (a destructive schema change, as in realm-core): the
// error wraps ErrRecoveryErasesSchema. The caller
// checks that the target holds every class and property of local.
func Recover(fresh *store.State, unsynced []*changeset.Changeset, local *store.State) (*store.State, []changeset.Instruction, error) {
	return recoverWith(fresh, unsynced, local, 0)
}

// Recover is the package function Recover with the replica's current
// state as local and the recovery mutants of its Options switched on;
// unsynced are its unsynced changesets in reciprocal form (Reciprocal), or
// those of them the caller keeps.
func (r *Replica) Recover(fresh *store.State, unsynced []*changeset.Changeset) (*store.State, []changeset.Instruction, error) {
	return recoverWith(fresh, unsynced, r.state, r.opts.Mutants)
}

func recoverWith(fresh *store.State, unsynced []*changeset.Changeset, local *store.State, mutants mutant.Set) (*store.State, []changeset.Instruction, error) {
	rc := &recovery{t: fresh.Clone(), local: local, lists: map[listKey]*listTracker{}, mutants: mutants}
	for _, cs := range unsynced {
		for i := range cs.Instructions {
			in := &cs.Instructions[i]
			if err := rc.replay(in); err != nil {
				return nil, nil, fmt.Errorf("recovering local version %d instruction %d (%s): %w", cs.Version, i, in.Op, err)
			}
		}
	}
	if err := rc.copyLists(); err != nil {
		return nil, nil, err
	}
	return rc.t, rc.out, nil
}

// listKey names a list: an object's list property.
type listKey struct {
	class string
	pk    changeset.PK
	field string
}

// recovery is a Recover in progress.
type recovery struct {
	t       *store.State // the target so far
	local   *store.State
	out     []changeset.Instruction // what was applied to t
	lists   map[listKey]*listTracker
	copies  []listKey // lists that were marked for copying, in order
	mutants mutant.Set
}

// apply applies in to the target and records it.
func (rc *recovery) apply(in changeset.Instruction) error {
	if err := rc.t.Apply(&changeset.Changeset{Instructions: []changeset.Instruction{in}}); err != nil {
		return err
	}
	rc.out = append(rc.out, in)
	return nil
}

// forget stops tracking the lists match picks (their object or column is
// gone, or the object is new).
func (rc *recovery) forget(match func(listKey) bool) {
	for k := range rc.lists {
		if match(k) {
			delete(rc.lists, k)
		}
	}
}

// hasField reports whether the target has the object and property an
// instruction addresses.
func (rc *recovery) hasField(in *changeset.Instruction) bool {
	c, ok := rc.t.Class(in.Class)
	if !ok || !rc.t.Exists(in.Class, in.PK) {
		return false
	}
	_, ok = c.Property(in.Field)
	return ok
}

func (rc *recovery) replay(in *changeset.Instruction) error {
	switch in.Op {
	case changeset.AddTable:
		c, ok := rc.t.Class(in.Class)
		switch {
		case !ok:
			return rc.apply(*in)
		case c.PKKind != in.PKKind:
			return fmt.Errorf("%w: class %q has a primary key of kind %s on the server, %s locally",
				store.ErrSchemaMismatch, in.Class, c.PKKind, in.PKKind)
		}
	case changeset.AddColumn:
		c, ok := rc.t.Class(in.Class)
		if !ok {
			return fmt.Errorf("%w: the server has no class %q", store.ErrSchemaMismatch, in.Class)
		}
		p, ok := c.Property(in.Field)
		switch {
		case !ok:
			return rc.apply(*in)
		case p.Type != stored(in.Type):
			return fmt.Errorf("%w: property %s.%s has type %s on the server, %s locally",
				store.ErrSchemaMismatch, in.Class, in.Field, p.Type, in.Type)
		}
	case changeset.EraseTable:
		return fmt.Errorf("%w: class %q", ErrRecoveryErasesSchema, in.Class)
	case changeset.EraseColumn:
		return fmt.Errorf("%w: property %s.%s", ErrRecoveryErasesSchema, in.Class, in.Field)
	case changeset.CreateObject:
		if _, ok := rc.t.Class(in.Class); ok && !rc.t.Exists(in.Class, in.PK) {
			rc.forget(func(k listKey) bool { return k.class == in.Class && k.pk == in.PK })
			return rc.apply(*in)
		}
	case changeset.EraseObject:
		if rc.t.Exists(in.Class, in.PK) {
			rc.forget(func(k listKey) bool { return k.class == in.Class && k.pk == in.PK })
			return rc.apply(*in)
		}
	case changeset.Update, changeset.AddInteger:
		if in.InList {
			return rc.list(in)
		}
		if rc.mutants.Has(mutant.RecoverResurrectsDeleted) && !rc.t.Exists(in.Class, in.PK) {
			// MUTANT recover-resurrects-deleted: breaks rule 2 — the
			// object the server deleted is created again for the change.
			if _, ok := rc.t.Class(in.Class); ok {
				if err := rc.apply(changeset.Instruction{Op: changeset.CreateObject, Class: in.Class, PK: in.PK}); err != nil {
					return err
				}
			}
		}
		if rc.hasField(in) {
			return rc.apply(*in)
		}
	default:
		return rc.list(in)
	}
	return nil
}

// list replays a list instruction (rule 5).
func (rc *recovery) list(in *changeset.Instruction) error {
	if !rc.hasField(in) {
		return nil
	}
	k := listKey{in.Class, in.PK, in.Field}
	lt := rc.lists[k]
	if lt == nil {
		lt = &listTracker{size: int(in.PriorSize)} // an Update has no PriorSize: it marks the list for copying
		rc.lists[k] = lt
	}
	if in.Op == changeset.Clear {
		*lt = listTracker{}
		return rc.apply(*in)
	}
	if lt.copy {
		return nil
	}
	if in.Op != changeset.Update && !lt.resize(int(in.PriorSize)) {
		rc.markCopy(k, lt)
		return nil
	}
	have, err := rc.t.StoredList(in.Class, in.PK, in.Field)
	if err != nil {
		return err
	}
	n := len(have)
	at := changeset.Instruction{Class: in.Class, PK: in.PK, Field: in.Field}
	switch in.Op {
	case changeset.ArrayInsert:
		r := lt.translate(int(in.Index), n)
		lt.insert(int(in.Index), r)
		at.Op, at.Index, at.PriorSize, at.Value = changeset.ArrayInsert, uint32(r), uint32(n), in.Value
		return rc.apply(at)
	case changeset.Update:
		j := lt.find(int(in.Index))
		if j < 0 {
			rc.markCopy(k, lt)
			return nil
		}
		at.Op, at.InList, at.Index, at.Value, at.IsDefault = changeset.Update, true, uint32(lt.recs[j].remote), in.Value, in.IsDefault
		return rc.apply(at)
	case changeset.ArrayErase:
		j := lt.find(int(in.Index))
		if j < 0 {
			rc.markCopy(k, lt)
			return nil
		}
		r := lt.recs[j].remote
		lt.erase(j)
		at.Op, at.Index, at.PriorSize = changeset.ArrayErase, uint32(r), uint32(n)
		return rc.apply(at)
	case changeset.ArrayMove:
		j := lt.find(int(in.Index))
		if j < 0 {
			rc.markCopy(k, lt)
			return nil
		}
		from := lt.recs[j].remote
		lt.erase(j)
		to := lt.translate(int(in.To), n-1)
		lt.insert(int(in.To), to)
		if from == to {
			return nil
		}
		at.Op, at.Index, at.To, at.PriorSize = changeset.ArrayMove, uint32(from), uint32(to), uint32(n)
		return rc.apply(at)
	}
	return fmt.Errorf("%w: %s is not a list instruction", store.ErrBadChangeset, in.Op)
}

// markCopy marks a list to be copied over from local at the end.
func (rc *recovery) markCopy(k listKey, lt *listTracker) {
	lt.copy, lt.recs = true, nil
	if !slices.Contains(rc.copies, k) {
		rc.copies = append(rc.copies, k)
	}
}

// copyLists copies the lists marked for copying from local, in the order
// marked, where the object still exists on both sides: a Clear then the
// local list's elements, without links to objects the target lacks.
func (rc *recovery) copyLists() error {
	for _, k := range rc.copies {
		if lt := rc.lists[k]; lt == nil || !lt.copy || !rc.local.Exists(k.class, k.pk) {
			continue
		}
		src, err := rc.local.StoredList(k.class, k.pk, k.field)
		if err != nil {
			continue // the local replica erased the column
		}
		want := slices.DeleteFunc(src, func(v changeset.Value) bool {
			return v.Kind == schema.Link && !rc.t.Exists(v.Class, v.Target)
		})
		have, err := rc.t.StoredList(k.class, k.pk, k.field)
		if err != nil {
			return err
		}
		if slices.EqualFunc(have, want, same) {
			continue
		}
		if err := rc.apply(changeset.Instruction{Op: changeset.Clear, Class: k.class, PK: k.pk, Field: k.field}); err != nil {
			return err
		}
		for i, v := range want {
			if err := rc.apply(changeset.Instruction{Op: changeset.ArrayInsert, Class: k.class, PK: k.pk, Field: k.field,
				Index: uint32(i), PriorSize: uint32(i), Value: v}); err != nil {
				return err
			}
		}
	}
	return nil
}

// listTracker follows one list through the replay: the local list's
// stored size as the next local instruction sees it, and where the
// elements the recovery inserted are, locally and in the target.
type listTracker struct {
	size int
	recs []cross
	copy bool // the list is to be copied; instructions on it are ignored
}

// cross is an element the recovery inserted: its position in the local
// list and in the target's.
type cross struct{ local, remote int }

// resize makes the model's size prior, the size the next instruction saw:
// server changes integrated between local changesets may have changed it.
// Growth is taken to be at the end; shrinking must not reach an inserted
// element, else resize reports false (positions are no longer known).
func (lt *listTracker) resize(prior int) bool {
	for _, c := range lt.recs {
		if c.local >= prior {
			return false
		}
	}
	lt.size = prior
	return true
}

// find returns the index in recs of the inserted element at local
// position i, or -1 if the element there is a pre-existing one.
func (lt *listTracker) find(i int) int {
	return slices.IndexFunc(lt.recs, func(c cross) bool { return c.local == i })
}

// translate returns the target position for an insert at local position i
// into a target list of n elements: the local position, clamped to the
// target's size, min(i, n) (realm-core's ListTracker): not at the end.
func (lt *listTracker) translate(i, n int) int {
	return min(i, n)
}

// insert records an element inserted at local position i and target
// position r.
func (lt *listTracker) insert(i, r int) {
	for k := range lt.recs {
		if lt.recs[k].local >= i {
			lt.recs[k].local++
		}
		if lt.recs[k].remote >= r {
			lt.recs[k].remote++
		}
	}
	lt.recs = append(lt.recs, cross{i, r})
	lt.size++
}

// erase forgets the inserted element recs[j], which was removed from
// both lists.
func (lt *listTracker) erase(j int) {
	c := lt.recs[j]
	lt.recs = slices.Delete(lt.recs, j, j+1)
	for k := range lt.recs {
		if lt.recs[k].local > c.local {
			lt.recs[k].local--
		}
		if lt.recs[k].remote > c.remote {
			lt.recs[k].remote--
		}
	}
	lt.size--
}
