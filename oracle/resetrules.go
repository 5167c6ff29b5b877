package oracle

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/syncsim/syncsim/history"
)

// The client-reset oracle (DESIGN §5): for every reset, an independent
// reference of DESIGN §3 "Client reset" computes the expected outcome and
// post-reset state from what the ResetCheck recorded, and the replica must
// match it.
//
// The decision, in order:
//  1. mode manual → manual;
//  2. a breaking schema change (code SchemaChange) → manual, whatever the mode;
//  3. a pending "reset in progress" record: discard, recover and
//     recoverOrDiscard after a pending discard, and recover after a pending
//     recover → manual; recoverOrDiscard after a pending recover → discard;
//     discard after a pending recover → discard;
//  4. recovery not allowed (NoRecovery), or unsynced changes that erase a
//     class or property (recovery cannot replay them; DESIGN is silent,
//     this reference treats them so): recover → manual, recoverOrDiscard →
//     discard;
//  5. a local class or property the state the reset would end at lacks, or
//     has with another type (or a class with another primary key) → manual:
//     for a discard the fresh copy; for a recovery the fresh copy with the
//     classes and properties the unsynced changes added (replayed like the
//     objects created locally, rule 1: a schema change not yet synced is an
//     additive change, which recovery carries over);
//  6. discard → the fresh state; recover → the fresh state with the
//     unsynced changesets replayed by the recovery rules (below).
//
// Manual: nothing local is touched (After = Before) and the backup copy
// holds the pre-reset state and every unsynced changeset. A failed
// automatic reset touches nothing either. A discard also reports every
// unsynced changeset (the Reset's Discarded). A recovery with nothing to
// replay ends at the fresh state (which equals the local one when the
// server lost nothing).
//
// The recovery rules, replaying each unsynced changeset in order onto the
// fresh state, in its reciprocal form (as transformed against the server
// changes the client integrated on top of it, which the observer records),
// instruction by instruction:
//   - CreateObject creates the object if it is missing (rule 1: local
//     creations are kept); nothing else creates an object (no zombies:
//     objects the server deleted are never re-created);
//   - an instruction on a missing object is dropped (rule 2);
//   - EraseObject erases (rule 3);
//   - Update and AddInteger apply: the client's value wins (rule 4);
//   - lists (rule 5): each list is followed in a model of the local list
//     as each instruction saw it (its PriorSize: elements the server added
//     in between are taken to have been appended; if the list shrank over
//     an element the recovery inserted, positions are lost and the list is
//     copied), marking which elements the recovery inserted. An insert at
//     local index i goes, in the list being recovered, to min(i, its
//     size) (realm-core's ListTracker), not to the end. An update, erase
//     or move of an element the
//     recovery inserted is translated (a move: the element is taken out,
//     then put back as an insert at its destination). One of any other
//     (pre-existing) element stops replaying the list and marks it for
//     copying; a Clear clears it, forgets the marks and replays on. At the
//     end every marked list of an object that exists becomes the local
//     (Before) list with links to missing objects dropped; if the local
//     replica no longer has the object (a downloaded erase removed it),
//     there is no list to copy and the fresh one stays.
//
// States are compared as they read: a link to a missing object reads as
// null, a list hides its entries.

// ResetResult is the verdict of the client-reset oracle.
type ResetResult struct {
	Pass     bool
	Failures []string
	Judged   int // resets judged
}

// Expectation is what the reset rules require of one reset: the outcome,
// why, and for a recovery or a discard the state the replica must end in.
type Expectation struct {
	Outcome history.ResetOutcome
	Why     string
	State   *history.PlainState
}

// errNoFresh: the expectation depends on the fresh copy, which was not
// recorded.
var errNoFresh = errors.New("no fresh copy recorded")

// ExpectReset is the reference of DESIGN §3 "Client reset" for rc.
func ExpectReset(rc *history.ResetCheck) (Expectation, error) {
	manual := func(why string) (Expectation, error) { return Expectation{Outcome: history.ResetManual, Why: why}, nil }
	mode := rc.Mode
	switch {
	case mode == history.ModeManual:
		return manual("the mode is manual")
	case rc.Code == history.CodeSchemaChange:
		return manual("a breaking schema change")
	case rc.Pending == history.ModeDiscard:
		return manual("an earlier discard is still pending")
	case rc.Pending == history.ModeRecover && mode == history.ModeRecover:
		return manual("an earlier recovery is still pending")
	case rc.Pending == history.ModeRecover && mode == history.ModeRecoverOrDiscard:
		mode = history.ModeDiscard
	}
	discard := "the mode is discard"
	if mode == history.ModeDiscard && rc.Mode != history.ModeDiscard {
		discard = "an earlier recovery is still pending: discard"
	}
	if mode != history.ModeDiscard {
		why := ""
		switch {
		case rc.NoRecovery:
			why = "recovery is not allowed"
		case erasesSchema(rc.Unsynced):
			why = "the unsynced changes erase a class or property"
		}
		if why != "" && mode == history.ModeRecover {
			return manual(why)
		}
		if why != "" {
			mode, discard = history.ModeDiscard, why+": discard"
		}
	}
	if rc.Fresh == nil {
		return Expectation{}, errNoFresh
	}
	if mode == history.ModeDiscard {
		if why := schemaLoss(rc.Before.Schema, rc.Fresh.Schema); why != "" {
			return manual(why)
		}
		fresh := rc.Fresh.Clone()
		return Expectation{Outcome: history.ResetDiscarded, Why: discard, State: &fresh}, nil
	}
	state := recoverState(rc.Fresh, &rc.Before, rc.Unsynced)
	if why := schemaLoss(rc.Before.Schema, state.Schema); why != "" {
		return manual(why)
	}
	return Expectation{Outcome: history.ResetRecovered, Why: "recovery may proceed", State: &state}, nil
}

func erasesSchema(unsynced []history.PlainChangeset) bool {
	for _, cs := range unsynced {
		for _, in := range cs.Instructions {
			if in.Op == history.OpEraseTable || in.Op == history.OpEraseColumn {
				return true
			}
		}
	}
	return false
}

// schemaLoss says which local class or property the fresh schema lacks or
// types differently; "" if none.
func schemaLoss(local, fresh map[string]history.PlainClass) string {
	for _, name := range slices.Sorted(maps.Keys(local)) {
		lc := local[name]
		fc, ok := fresh[name]
		switch {
		case !ok:
			return fmt.Sprintf("the fresh copy lacks local class %s", name)
		case lc.PK != fc.PK:
			return fmt.Sprintf("the fresh copy's class %s has primary key %s, the local one %s", name, fc.PK, lc.PK)
		}
		for _, p := range slices.Sorted(maps.Keys(lc.Props)) {
			fp, ok := fc.Props[p]
			if !ok || fp != lc.Props[p] {
				return fmt.Sprintf("local property %s.%s is %s, in the fresh copy %s", name, p, history.PropString(lc.Props[p], true), history.PropString(fp, ok))
			}
		}
	}
	return ""
}

// CheckResets judges every ResetCheck of h.
func CheckResets(h *history.History) ResetResult {
	res := ResetResult{Pass: true}
	for i := range h.ResetChecks {
		rc := &h.ResetChecks[i]
		res.Judged++
		var reset *history.Reset
		for j := range h.Resets {
			if r := &h.Resets[j]; r.Client == rc.Client && r.Realm == rc.Realm && r.Call == rc.Call {
				reset = r
			}
		}
		fails := checkReset(rc, reset)
		if len(fails) > 0 {
			res.Pass = false
			res.Failures = append(res.Failures, fmt.Sprintf("realm %s: %s's reset at %d (mode %s, code %s, pending %q, outcome %s): %s",
				rc.Realm, rc.Client, rc.Call, rc.Mode, rc.Code, rc.Pending, rc.Outcome, joinLimited(fails)))
		}
	}
	return res
}

func joinLimited(parts []string) string {
	const limit = 6
	if len(parts) > limit {
		parts = append(parts[:limit:limit], fmt.Sprintf("and %d more", len(parts)-limit))
	}
	return strings.Join(parts, "; ")
}

// checkReset compares one reset with the reference; reset is its Reset
// record, if any.
func checkReset(rc *history.ResetCheck, reset *history.Reset) []string {
	want, err := ExpectReset(rc)
	if err != nil && rc.Outcome == history.ResetFailed {
		return untouched(rc)
	}
	if err != nil {
		return []string{fmt.Sprintf("outcome %s, but the reference needs the fresh copy: %v", rc.Outcome, err)}
	}
	if rc.Outcome == history.ResetFailed && want.Outcome != history.ResetManual {
		return untouched(rc)
	}
	if rc.Outcome != want.Outcome {
		return []string{fmt.Sprintf("outcome %s, want %s: %s", rc.Outcome, want.Outcome, want.Why)}
	}
	if want.Outcome == history.ResetManual {
		fails := untouched(rc)
		if rc.Backup == nil {
			return append(fails, "no backup copy recorded for the manual handler")
		}
		for _, d := range rc.Backup.State.Diff(&rc.Before, 5) {
			fails = append(fails, "the backup copy differs from the pre-reset state: "+d)
		}
		for _, cs := range rc.Unsynced {
			if !slices.Contains(rc.Backup.Unsynced, cs.ID) {
				fails = append(fails, fmt.Sprintf("the backup copy lacks unsynced changeset %v", cs.ID))
			}
		}
		return fails
	}
	verb := "recover"
	if want.Outcome == history.ResetDiscarded {
		verb = "discard"
	}
	var fails []string
	for _, d := range rc.After.Diff(want.State, 8) {
		fails = append(fails, fmt.Sprintf("after %s: %s", verb, d))
	}
	if want.Outcome == history.ResetDiscarded && reset != nil {
		for _, cs := range rc.Unsynced {
			if !slices.Contains(reset.Discarded, cs.ID) {
				fails = append(fails, fmt.Sprintf("it did not report discarding unsynced changeset %v", cs.ID))
			}
		}
	}
	return fails
}

// untouched checks that the reset left the local state as it was.
func untouched(rc *history.ResetCheck) []string {
	var fails []string
	for _, d := range rc.After.Diff(&rc.Before, 5) {
		fails = append(fails, "it touched the local state: "+d)
	}
	return fails
}

// listKey names a list: an object's list property.
type listKey struct{ object, field string }

// listTracker follows one list through a recovery. local models the local
// list as the next instruction sees it, target the list being recovered:
// per element, the id of an element the recovery inserted, 0 for others.
type listTracker struct {
	copy   bool
	sized  bool // local has been sized (by a PriorSize, or a Clear)
	local  []int
	target []int
	next   int
}

// resize makes the local model prior elements long: growth is taken to be
// at the end, and shrinking must not reach an inserted element (false).
func (t *listTracker) resize(prior int) bool {
	if !t.sized {
		t.local, t.sized = make([]int, prior), true
	}
	for len(t.local) < prior {
		t.local = append(t.local, 0)
	}
	for len(t.local) > prior {
		if t.local[len(t.local)-1] != 0 {
			return false
		}
		t.local = t.local[:len(t.local)-1]
	}
	return true
}

// inserted is the target position of the inserted element at local index
// i, -1 if the element there is not one the recovery inserted.
func (t *listTracker) inserted(i int) int {
	if i < 0 || i >= len(t.local) || t.local[i] == 0 {
		return -1
	}
	return slices.Index(t.target, t.local[i])
}

// place is the target position of an insert at local index i: min(i,
// the size of the list being recovered).
func (t *listTracker) place(i int) int {
	return min(i, len(t.target))
}

// recoverState replays unsynced onto a copy of fresh by the recovery rules;
// before is the pre-reset local state (the source of copied lists).
func recoverState(fresh, before *history.PlainState, unsynced []history.PlainChangeset) history.PlainState {
	e := fresh.Clone()
	e.Schema = cloneSchema(fresh.Schema)
	lists := map[listKey]*listTracker{}
	var marked []listKey
	for _, cs := range unsynced {
		for _, in := range cs.Instructions {
			if addSchema(&e, in) {
				continue
			}
			obj, ok := e.Objects[in.Object]
			switch in.Op {
			case history.OpCreateObject:
				if !ok {
					e.Objects[in.Object] = newObject(e.Schema[in.Class], in.Class)
					for k := range lists {
						if k.object == in.Object {
							delete(lists, k)
						}
					}
				}
				continue
			case history.OpEraseObject:
				delete(e.Objects, in.Object)
				continue
			}
			if !ok {
				continue // rule 2: the server deleted it (or it never was)
			}
			k := listKey{in.Object, in.Field}
			switch {
			case in.Op == history.OpUpdate && !in.InList:
				obj.Fields[in.Field] = in.Value
				continue
			case in.Op == history.OpAddInteger:
				if v := obj.Fields[in.Field]; v.Kind == history.KindInt {
					v.Int += in.Delta
					obj.Fields[in.Field] = v
				}
				continue
			case in.Op == history.OpClear:
				obj.Lists[in.Field] = nil
				lists[k] = &listTracker{sized: true}
				continue
			case in.Op != history.OpArrayInsert && in.Op != history.OpUpdate && in.Op != history.OpArrayErase && in.Op != history.OpArrayMove:
				continue // schema instructions: the schema check has passed
			}
			t := lists[k]
			if t == nil {
				t = &listTracker{target: make([]int, len(obj.Lists[in.Field]))}
				lists[k] = t
			}
			if t.copy {
				continue
			}
			if list, ok := replayList(t, in, obj.Lists[in.Field]); ok {
				obj.Lists[in.Field] = list
			} else {
				t.copy = true
				marked = append(marked, k)
			}
		}
	}
	for _, k := range marked {
		t, obj := lists[k], e.Objects[k.object]
		if t == nil || !t.copy || !e.Has(k.object) {
			continue // cleared or re-created since, or gone
		}
		if _, local := before.Objects[k.object]; !local {
			continue // no local list to copy: the replica no longer has the object
		}
		var copied []history.Value
		for _, v := range before.Objects[k.object].Lists[k.field] {
			if v.Kind != history.KindLink || e.Has(v.Link) {
				copied = append(copied, v)
			}
		}
		obj.Lists[k.field] = copied
	}
	return e
}

// replayList replays a list instruction on list (rule 5), false if it
// addresses an element the recovery did not insert.
func replayList(t *listTracker, in history.PlainInstruction, list []history.Value) ([]history.Value, bool) {
	i := int(in.Index)
	if in.Op != history.OpUpdate && !t.resize(int(in.PriorSize)) {
		return nil, false
	}
	switch in.Op {
	case history.OpArrayInsert:
		at := t.place(i)
		t.next++
		t.local = slices.Insert(t.local, min(i, len(t.local)), t.next)
		t.target = slices.Insert(t.target, at, t.next)
		return slices.Insert(list, at, in.Value), true
	case history.OpUpdate:
		at := t.inserted(i)
		if at < 0 {
			return nil, false
		}
		list[at] = in.Value
		return list, true
	}
	at := t.inserted(i)
	if at < 0 {
		return nil, false
	}
	id, v := t.local[i], list[at]
	t.local = slices.Delete(t.local, i, i+1)
	t.target = slices.Delete(t.target, at, at+1)
	list = slices.Delete(list, at, at+1)
	if in.Op == history.OpArrayErase {
		return list, true
	}
	// A move: put it back as an insert at its destination.
	to := min(int(in.To), len(t.local))
	dest := t.place(to)
	t.local = slices.Insert(t.local, to, id)
	t.target = slices.Insert(t.target, dest, id)
	return slices.Insert(list, dest, v), true
}

// newObject is an object of class c with every property at its default.
func newObject(c history.PlainClass, class string) history.PlainObject {
	o := history.PlainObject{Class: class, Fields: map[string]history.Value{}, Lists: map[string][]history.Value{}}
	for name, p := range c.Props {
		if !p.List {
			o.Fields[name] = p.Zero()
		}
	}
	return o
}

func cloneSchema(s map[string]history.PlainClass) map[string]history.PlainClass {
	out := make(map[string]history.PlainClass, len(s))
	for name, c := range s {
		out[name] = history.PlainClass{PK: c.PK, Props: maps.Clone(c.Props)}
	}
	return out
}

// addSchema replays an unsynced AddTable or AddColumn onto e (a class or
// property the fresh copy has already stays as it is there); it reports
// whether in was one.
func addSchema(e *history.PlainState, in history.PlainInstruction) bool {
	switch in.Op {
	case history.OpAddTable:
		if _, ok := e.Schema[in.Class]; !ok {
			e.Schema[in.Class] = history.PlainClass{PK: in.PK, Props: map[string]history.PlainProp{}}
		}
		return true
	case history.OpAddColumn:
		c, ok := e.Schema[in.Class]
		if _, has := c.Props[in.Field]; !ok || has || in.Prop == nil {
			return true
		}
		if c.Props == nil {
			c.Props = map[string]history.PlainProp{}
			e.Schema[in.Class] = c
		}
		c.Props[in.Field] = *in.Prop
		for name, o := range e.Objects {
			if o.Class == in.Class && !in.Prop.List {
				o.Fields[in.Field] = in.Prop.Zero()
				e.Objects[name] = o
			}
		}
		return true
	}
	return false
}
