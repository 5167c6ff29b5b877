// Package merge implements the conflict rules of sync as operational
// transform: given changesets made concurrently on the same state, it
// rewrites each to apply after the other so that both orders reach the same
// state (TP1), which with a central server that orders all changesets is
// all that strong convergence needs.
//
// The design: a changeset is its instructions, each tagged with the
// discriminant of its changeset. Two sequences are transformed with the
// classic grid: every instruction b of theirs is transformed past every
// instruction a of ours in turn, and each a is replaced by its transform
// past b. The pairwise transform (transformPair) sees two instructions made
// on the same state and rewrites both in place; either may become nothing.
// It is symmetric (transforming (a, b) gives the mirror image of (b, a)),
// so the result does not depend on which side calls itself "ours".
// Instructions later in one changeset see the earlier ones' effects
// through the grid: e.g. of two concurrent erases of one object the newer
// is kept and the older dropped one grid cell earlier, so a create that
// follows the older erase in its own changeset then meets the newer erase
// (and loses), while one that follows the newer erase never meets the
// older.
package merge

import (
	"errors"
	"fmt"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/mutant"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// ErrSchemaMismatch is wrapped by the error for concurrent AddTable or
// AddColumn instructions that disagree; it is the store's sentinel, so
// errors.Is works with either name.
var ErrSchemaMismatch = store.ErrSchemaMismatch

// ErrBadChangeset is wrapped by the errors for input the transform cannot
// work with: an invalid instruction, list instructions whose prior sizes
// show they were not made on the same state, or concurrent changesets with
// the same discriminant (there is no order to resolve their conflicts by).
var ErrBadChangeset = store.ErrBadChangeset

// Transform transforms concurrent changesets a and b, both made on the
// same state S: a2 is a rewritten to apply after b, b2 is b rewritten to
// apply after a, and S·a·b2 equals S·b·a2. The inputs are not modified.
func Transform(a, b *changeset.Changeset) (a2, b2 *changeset.Changeset, err error) {
	as, bs, err := TransformSeq([]*changeset.Changeset{a}, []*changeset.Changeset{b})
	if err != nil {
		return nil, nil, err
	}
	return as[0], bs[0], nil
}

// TransformSeq transforms two sequences of changesets, each causally
// ordered within itself and concurrent with the other, both starting on
// the same state S: S·ours·theirs2 equals S·theirs·ours2. Every changeset
// of the result keeps its header (versions, origin); its instructions may
// be fewer, none at all. The inputs are not modified, and a changeset the
// transform leaves as it was is returned as the same pointer: treat both
// inputs and results as immutable.
//
// The server integrates an upload with TransformSeq(upload, concurrent
// history); a client integrates a download with TransformSeq(unsynced
// local changesets, download). Transforming against a sequence in one call
// or piece by piece gives the same result.
func TransformSeq(ours, theirs []*changeset.Changeset) (ours2, theirs2 []*changeset.Changeset, err error) {
	return transformSeq(ours, theirs, 0, true, 0)
}

// TransformSeqWith is TransformSeq with the merge mutants of mutants
// switched on (see package mutant); the server and the replica pass their
// configured set. Unlike TransformSeq it does not validate the
// instructions: its callers pass only changesets validated when they were
// admitted (decoded from the wire or the journal, or applied to a store),
// and the transformed forms of valid changesets are valid.
func TransformSeqWith(ours, theirs []*changeset.Changeset, mutants mutant.Set) (ours2, theirs2 []*changeset.Changeset, err error) {
	return transformSeq(ours, theirs, mutants, false, 0)
}

// ErrTooLarge is wrapped by the error of a transform whose sides hold more
// instructions than the bound it was given.
var ErrTooLarge = errors.New("transform too large")

// TransformSeqBounded is TransformSeqWith that fails with an error wrapping
// ErrTooLarge, before any work, if ours and theirs together hold more than
// bound instructions (a transform never produces more instructions than it
// is given). A bound of 0 or less is no bound.
func TransformSeqBounded(ours, theirs []*changeset.Changeset, mutants mutant.Set, bound int) (ours2, theirs2 []*changeset.Changeset, err error) {
	return transformSeq(ours, theirs, mutants, false, bound)
}

func transformSeq(ours, theirs []*changeset.Changeset, mutants mutant.Set, validate bool, bound int) (ours2, theirs2 []*changeset.Changeset, err error) {
	if err := check(ours, "ours", validate); err != nil {
		return nil, nil, err
	}
	if err := check(theirs, "theirs", validate); err != nil {
		return nil, nil, err
	}
	if bound > 0 {
		n := 0
		for _, cs := range ours {
			n += len(cs.Instructions)
		}
		for _, cs := range theirs {
			n += len(cs.Instructions)
		}
		if n > bound {
			return nil, nil, fmt.Errorf("%w: %d instructions, more than the bound %d", ErrTooLarge, n, bound)
		}
	}
	for i, o := range ours {
		for j, t := range theirs {
			if o.Discriminant() == t.Discriminant() {
				return nil, nil, fmt.Errorf("%w: ours[%d] and theirs[%d] are concurrent with the same discriminant %+v",
					ErrBadChangeset, i, j, o.Discriminant())
			}
		}
	}
	// Only changesets that touch what a changeset of the other side
	// touches take part in the grid: every cell of the others is a no-op
	// (transformPair leaves instructions of different classes, or of
	// different objects without a table or column op, as they are), so
	// skipping them changes nothing, and they are returned as they are.
	inA := make([]bool, len(ours))
	inB := make([]bool, len(theirs))
	some := false
	for i, o := range ours {
		for j, t := range theirs {
			if (!inA[i] || !inB[j]) && overlap(o, t) {
				inA[i], inB[j], some = true, true, true
			}
		}
	}
	if !some {
		// New slices all the same: callers may append to the results.
		return clone(ours), clone(theirs), nil
	}
	a := flatten(ours, inA)
	b := flatten(theirs, inB)
	for j := range b {
		for i := range a {
			if a[i].dead {
				continue
			}
			if err := transformPair(&a[i], &b[j], mutants); err != nil {
				return nil, nil, fmt.Errorf("ours[%d] instruction %d vs theirs[%d] instruction %d: %w",
					a[i].cs, a[i].pos, b[j].cs, b[j].pos, err)
			}
			if b[j].dead {
				break
			}
		}
	}
	return regroup(ours, a), regroup(theirs, b), nil
}

func clone(seq []*changeset.Changeset) []*changeset.Changeset {
	out := make([]*changeset.Changeset, len(seq))
	copy(out, seq)
	return out
}

// check rejects nil changesets and, if validate, invalid instructions.
func check(seq []*changeset.Changeset, side string, validate bool) error {
	for i, cs := range seq {
		if cs == nil {
			return fmt.Errorf("%w: %s[%d] is nil", ErrBadChangeset, side, i)
		}
	}
	if !validate {
		return nil
	}
	for i, cs := range seq {
		for k := range cs.Instructions {
			if err := cs.Instructions[k].Validate(); err != nil {
				return fmt.Errorf("%w: %s[%d] instruction %d: %w", ErrBadChangeset, side, i, k, err)
			}
		}
	}
	return nil
}

// overlap reports whether some instruction of a and some instruction of b
// may interact: they are in one class, and one is a table or column op or
// both address one object.
func overlap(a, b *changeset.Changeset) bool {
	for i := range a.Instructions {
		x := &a.Instructions[i]
		for j := range b.Instructions {
			if Interact(x, &b.Instructions[j]) {
				return true
			}
		}
	}
	return false
}

// Interact reports whether two concurrent instructions may change each
// other under the transform; if not, transforming them leaves both as
// they are. It is true for two instructions of one class of which one is
// a table or column op (AddTable, EraseTable, AddColumn, EraseColumn), and
// for two instructions on one object.
func Interact(x, y *changeset.Instruction) bool {
	return x.Class == y.Class && (classWide(x.Op) || classWide(y.Op) || x.PK == y.PK)
}

// classWide reports whether o acts on a whole table or column.
func classWide(o changeset.Op) bool {
	return o == changeset.AddTable || o == changeset.EraseTable || o == changeset.AddColumn || o == changeset.EraseColumn
}

// op is an instruction being transformed, with the precedence of its
// changeset and where it came from. It points at the caller's instruction,
// which is never written: the fields a transform changes are shadowed by
// op's own Index, To and PriorSize, and by fold for an Update's value.
type op struct {
	*changeset.Instruction
	Index, To, PriorSize uint32
	fold                 int64 // AddInteger deltas folded into an Update's int value
	disc                 changeset.Discriminant
	cs                   int  // index of the changeset in its sequence
	pos                  int  // index of the instruction in its changeset, for errors
	dead                 bool // transformed away
}

// result returns the transformed instruction.
func (o *op) result() changeset.Instruction {
	in := *o.Instruction
	in.Index, in.To, in.PriorSize = o.Index, o.To, o.PriorSize
	if in.Value.Kind == schema.Int {
		in.Value.Int += o.fold
	}
	return in
}

// flatten copies the instructions of the changesets of seq for which take
// is true into ops.
func flatten(seq []*changeset.Changeset, take []bool) []op {
	n := 0
	for i, cs := range seq {
		if take[i] {
			n += len(cs.Instructions)
		}
	}
	ops := make([]op, 0, n)
	for i, cs := range seq {
		if !take[i] {
			continue
		}
		d := cs.Discriminant()
		for k := range cs.Instructions {
			in := &cs.Instructions[k]
			ops = append(ops, op{Instruction: in, Index: in.Index, To: in.To, PriorSize: in.PriorSize,
				disc: d, cs: i, pos: k})
		}
	}
	return ops
}

// regroup builds the transformed changesets: the headers of seq with the
// surviving ops in order. A changeset none of whose ops changed is
// returned as it is (the same pointer): most changesets of a long
// concurrent history are untouched by a short one, and copying them all
// on every integration would dominate its cost.
func regroup(seq []*changeset.Changeset, ops []op) []*changeset.Changeset {
	alive := make([]int, len(seq))
	changed := make([]bool, len(seq))
	for i := range ops {
		o := &ops[i]
		if !o.dead {
			alive[o.cs]++
		}
		if o.dead || o.fold != 0 || o.Index != o.Instruction.Index || o.To != o.Instruction.To || o.PriorSize != o.Instruction.PriorSize {
			changed[o.cs] = true
		}
	}
	out := make([]*changeset.Changeset, len(seq))
	for i, cs := range seq {
		if !changed[i] {
			out[i] = cs
			continue
		}
		c := *cs
		c.Instructions = nil
		if alive[i] > 0 {
			c.Instructions = make([]changeset.Instruction, 0, alive[i])
		}
		out[i] = &c
	}
	for i := range ops {
		if o := &ops[i]; !o.dead && changed[o.cs] {
			c := out[o.cs]
			c.Instructions = append(c.Instructions, o.result())
		}
	}
	return out
}
