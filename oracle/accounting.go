package oracle

import (
	"fmt"
	"strings"

	"github.com/syncsim/syncsim/history"
)

// Write accounting (DESIGN §5): nothing lost unseen. Every local write
// ends in exactly one bucket; a write in none is lost, and fails the run.
//
// A write's fate at its client's resets comes first (lineage.go): listed
// in DiscardedWrites of a reset that discarded → discarded; unsynced at a
// manual reset → preserved (in the backup copy). Otherwise the changeset
// that now carries it (its own, or the recovery changeset of the last
// reset that replayed it) decides: rolled back if it was acknowledged and
// a restore removed it from the server's history; else each judged effect
// is looked for in the realm's final state on the server:
//   - visible: it is there (the value, the object, the list element; an
//     erased object is absent);
//   - else explained by another effect that may have won over it
//     (reverted > deleted > overridden):
//     reverted: a compensating write reverted it;
//     deleted: its object (or a link value's target) was erased by an
//     erase not made before it, or its class or property no longer exists;
//     overridden: an update of the same field that may beat it (made on top
//     of it, or concurrent with a higher discriminant, a non-default beating
//     a default), an AddInteger on the field not made before it, a list
//     erase/update/move/clear of the list not made before it (a recovery's
//     copy of the whole list counts), or for an erase a create made on top
//     of it;
//   - else lost.
//
// An explaining effect counts only if it may have reached the server
// (acknowledged to its maker or received by some client), or carries a
// write that is itself judged. The write's bucket is that of its effects:
// lost if one is lost, else the worst of visible < overridden < deleted <
// reverted. A write with no judged effect (only list erases, moves,
// clears, counter adds) is visible if its carrier reached the server (or
// recovery had nothing to upload), else lost.

// Bucket is where a write ended.
type Bucket string

// The buckets.
const (
	BucketVisible    Bucket = "visible"
	BucketOverridden Bucket = "overridden"
	BucketDeleted    Bucket = "deleted"
	BucketReverted   Bucket = "reverted"
	BucketDiscarded  Bucket = "discarded"
	BucketRolledBack Bucket = "rolled back"
	BucketPreserved  Bucket = "preserved"
	BucketLost       Bucket = "lost"
)

// severity orders the buckets an effect can end in.
func (b Bucket) severity() int {
	switch b {
	case BucketVisible:
		return 0
	case BucketOverridden:
		return 1
	case BucketDeleted:
		return 2
	case BucketReverted:
		return 3
	}
	return 4
}

// maxFailures bounds the failures an oracle lists per realm.
const maxFailures = 10

// AccountingResult is the verdict of the write-accounting oracle.
type AccountingResult struct {
	Pass     bool
	Failures []string
	// Judged is the number of realms judged: those with writes and a final
	// state (without one nothing can be decided, and the realm is skipped).
	Judged  int
	Buckets map[Bucket]int             // writes per bucket
	Writes  map[history.WriteID]Bucket `json:"-"` // each write's bucket
}

// CheckAccounting judges every write of h against the final states of its
// Convergence record.
func CheckAccounting(h *history.History) AccountingResult {
	res := newAccountingResult()
	for _, rh := range h.ByRealm() {
		res.add(rh, nil)
	}
	return res
}

func newAccountingResult() AccountingResult {
	return AccountingResult{Pass: true, Buckets: map[Bucket]int{}, Writes: map[history.WriteID]Bucket{}}
}

// add judges one realm's writes; l is its lineage (nil: built here).
func (res *AccountingResult) add(rh history.RealmHistory, l *lineage) {
	final := finalState(rh.History)
	if final == nil || len(rh.History.Writes) == 0 {
		return
	}
	if l == nil {
		l = newLineage(rh.History)
	}
	res.Judged++
	a := &accountant{lineage: l, final: final}
	var lost []string
	for _, w := range a.writes {
		b, why := a.judge(w)
		res.Writes[w.ID] = b
		res.Buckets[b]++
		if b == BucketLost {
			lost = append(lost, why)
		}
	}
	if len(lost) > 0 {
		res.Pass = false
		res.Failures = append(res.Failures, realmFailures(rh.Realm, lost, "lost writes")...)
	}
}

// realmFailures prefixes a realm's failures with its name, at most
// maxFailures of them.
func realmFailures(realm string, fails []string, what string) []string {
	var out []string
	for i, f := range fails {
		if i == maxFailures {
			return append(out, fmt.Sprintf("realm %s: and %d more %s", realm, len(fails)-i, what))
		}
		out = append(out, fmt.Sprintf("realm %s: %s", realm, f))
	}
	return out
}

func finalState(h *history.History) *history.PlainState {
	if h.Convergence == nil || len(h.Convergence.Final) == 0 {
		return nil
	}
	return &h.Convergence.Final[0].PlainState
}

type accountant struct {
	*lineage
	final *history.PlainState
}

// judge puts w in its bucket; why says what was lost.
func (a *accountant) judge(w *history.Write) (Bucket, string) {
	f := a.fates[w.ID]
	if f.end != "" {
		return f.end, ""
	}
	inc := f.last()
	for _, at := range a.rolled[inc.id] {
		if at >= inc.made && a.acknowledged(inc) {
			return BucketRolledBack, ""
		}
	}
	worst, judged := BucketVisible, false
	for i := range w.Fields {
		if supersededInWrite(w, i) {
			continue
		}
		b, why := a.effect(inc, i)
		switch {
		case b == "":
			continue
		case b == BucketLost:
			return BucketLost, a.lostWhy(w, f, why)
		case b.severity() > worst.severity():
			worst = b
		}
		judged = true
	}
	if !judged && !a.reached(inc) && !inc.id.IsZero() {
		return BucketLost, a.lostWhy(w, f, fmt.Sprintf("its changeset %v never reached the server", inc.id))
	}
	return worst, ""
}

func (a *accountant) lostWhy(w *history.Write, f *fate, why string) string {
	s := fmt.Sprintf("write %d of %s (changeset %v", w.ID, w.Client, w.Changeset)
	if inc := f.last(); inc != f.incs[0] {
		s += fmt.Sprintf(", recovered as %v", inc.id)
	}
	s += ") is lost: " + why
	if r := f.unreported; r != nil {
		s += fmt.Sprintf("; it was unsynced when the reset at %d discarded local changes, which did not report it", r.Call)
	}
	return s
}

// supersededInWrite reports whether effect i of w is undone by a later
// effect of w itself (a second update of the field, an erase after a
// create, a create after an erase), so only the later one is judged.
func supersededInWrite(w *history.Write, i int) bool {
	e := &w.Fields[i]
	for _, g := range w.Fields[i+1:] {
		if g.Object != e.Object {
			continue
		}
		switch e.Op {
		case history.EffectSet:
			if g.Op == history.EffectSet && g.Field == e.Field {
				return true
			}
		case history.EffectCreate:
			if g.Op == history.EffectErase {
				return true
			}
		case history.EffectErase:
			if g.Op == history.EffectCreate {
				return true
			}
		}
	}
	return false
}

// counts reports whether an effect of inc can explain another's absence:
// inc may have reached the server, or it carries a live write (judged
// itself).
func (a *accountant) counts(inc *incarnation) bool {
	f := a.fates[inc.write.ID]
	return a.reached(inc) || (inc == f.last() && f.end == "" && f.unreported == nil)
}

// effect judges effect i of inc's write ("" if the effect is not judged);
// for a lost one, why.
func (a *accountant) effect(inc *incarnation, i int) (Bucket, string) {
	e := &inc.write.Fields[i]
	switch e.Op {
	case history.EffectSet, history.EffectCreate, history.EffectErase, history.EffectInsert, history.EffectSetElement:
	default:
		return "", ""
	}
	class, _, _ := strings.Cut(e.Object, "[")
	cls, classOK := a.final.Schema[class]
	obj, objOK := a.final.Objects[e.Object]
	_, propOK := cls.Props[e.Field]
	switch {
	case e.Op == history.EffectErase:
		if !objOK {
			return BucketVisible, ""
		}
	case !classOK:
		return BucketDeleted, ""
	case e.Op == history.EffectCreate:
		if objOK {
			return BucketVisible, ""
		}
	case !objOK:
		if b := a.explain(inc, i, false); b != "" {
			return b, ""
		}
		return BucketLost, fmt.Sprintf("%s %s.%s = %s, but %s is not in the final state and nothing erased it", verb(e.Op), e.Object, e.Field, e.Value, e.Object)
	case !propOK:
		return BucketDeleted, ""
	case e.Op == history.EffectSet:
		if a.final.Visible(obj.Fields[e.Field]).String() == e.Value {
			return BucketVisible, ""
		}
	default:
		for _, v := range a.final.VisibleList(obj.Lists[e.Field]) {
			if v.String() == e.Value {
				return BucketVisible, ""
			}
		}
	}
	if b := a.explain(inc, i, true); b != "" {
		return b, ""
	}
	switch e.Op {
	case history.EffectCreate:
		return BucketLost, fmt.Sprintf("created %s, which is not in the final state, and nothing erased it", e.Object)
	case history.EffectErase:
		return BucketLost, fmt.Sprintf("erased %s, which is in the final state, and no create of it came after", e.Object)
	case history.EffectSet:
		return BucketLost, fmt.Sprintf("set %s.%s = %s, the final state has %v, and no write that may win over it touched the field", e.Object, e.Field, e.Value, a.final.Visible(obj.Fields[e.Field]))
	}
	return BucketLost, fmt.Sprintf("%s %s into %s.%s, the final list is %s, and nothing removed elements from it", verb(e.Op), e.Value, e.Object, e.Field, history.ListString(a.final.VisibleList(obj.Lists[e.Field])))
}

func verb(op history.EffectOp) string {
	switch op {
	case history.EffectInsert:
		return "inserted"
	case history.EffectSetElement:
		return "set an element to"
	}
	return "set"
}

// explain looks for what may have undone effect i of inc: reverted, else
// deleted, else overridden, else "". fieldWise: the object exists, so
// effects on the field (not only erases) can explain.
func (a *accountant) explain(inc *incarnation, i int, fieldWise bool) Bucket {
	e := &inc.write.Fields[i]
	for _, c := range a.fates[inc.write.ID].incs {
		// A compensating write of any changeset that carried the write
		// (a recovery may replay one the server had already reverted).
		if a.reverted(c, e.Object, history.Infinite) {
			return BucketReverted
		}
	}
	// later reports whether effect j of b may come after effect i of inc:
	// not made before it.
	later := func(b *incarnation, j int) bool {
		if b.write == inc.write {
			return b == inc && j > i
		}
		return a.counts(b) && !a.surelyBefore(b, inc)
	}
	erased := func(object string) bool {
		for _, r := range a.byObject[object] {
			if r.fv().Op == history.EffectErase && later(r.inc, r.i) {
				return true
			}
		}
		return false
	}
	if (e.Op != history.EffectErase && erased(e.Object)) || (e.Link != "" && erased(e.Link)) {
		return BucketDeleted
	}
	if e.Op != history.EffectErase && (a.createRolledBack(e.Object) || a.createReverted(e.Object, inc.id)) {
		return BucketDeleted
	}
	// A link or list entry to an object whose create was rolled back or
	// reverted (by anyone's compensating write, this write's own carrier
	// included) reads as null, or is hidden.
	if e.Link != "" && (a.createRolledBack(e.Link) || a.createReverted(e.Link, history.ChangesetID{})) {
		return BucketDeleted
	}
	if !fieldWise || e.Op == history.EffectCreate {
		return ""
	}
	if e.Op == history.EffectErase && a.concurrentEraseReverted(inc, e.Object) {
		return BucketOverridden
	}
	for _, r := range a.byObject[e.Object] {
		if g := r.fv(); (g.Field == e.Field || e.Op == history.EffectErase) && a.overrides(inc, i, r, later) {
			return BucketOverridden
		}
	}
	return ""
}

// overrides reports whether effect r may override effect i of inc (of the
// same object and field, or of the same object for an erase); later is
// explain's.
func (a *accountant) overrides(inc *incarnation, i int, r effectRef, later func(*incarnation, int) bool) bool {
	e, g := &inc.write.Fields[i], r.fv()
	switch e.Op {
	case history.EffectErase: // undone by a create made on top of it
		if r.inc.write == inc.write {
			return r.inc == inc && r.i > i && g.Op == history.EffectCreate
		}
		if g.Op != history.EffectCreate || !a.counts(r.inc) {
			return false
		}
		if a.maybeAfter(r.inc, inc) || a.rebuiltBetween(inc, r.inc) {
			return true
		}
		// A reset's recovery replays an erase on the fresh copy, which may
		// no longer have the object (erased, or its create rolled back): it
		// then erases nothing, and any create not made before the recovery
		// may bring the object back.
		if inc != a.fates[inc.write.ID].incs[0] && !a.surelyAfter(inc, r.inc) {
			return true
		}
		// Erase vs erase is one erase: a create made on top of a
		// concurrent erase of the object undoes this one too.
		for _, x := range a.byObject[e.Object] {
			if x.fv().Op == history.EffectErase && x.inc.write != inc.write && a.counts(x.inc) &&
				!a.surelyBefore(x.inc, inc) && !a.surelyBefore(inc, x.inc) && a.maybeAfter(r.inc, x.inc) {
				return true
			}
			// A compensating write that reverted a create is an erase too,
			// right after the create: one this erase may not have seen.
			if x.fv().Op == history.EffectCreate && x.inc.write != inc.write && a.reverted(x.inc, e.Object, history.Infinite) &&
				!a.surelyBefore(x.inc, inc) && a.maybeAfter(r.inc, x.inc) && r.inc.write != x.inc.write {
				return true
			}
		}
		return false
	case history.EffectSet:
		switch g.Op {
		case history.EffectSet:
			return r.inc.write != inc.write && a.counts(r.inc) && a.mayBeat(g, r.inc, e, inc)
		case history.EffectAdd:
			return later(r.inc, r.i)
		}
		return false
	}
	switch g.Op { // a list element
	case history.EffectEraseElement, history.EffectSetElement, history.EffectMove, history.EffectClear:
		return later(r.inc, r.i)
	}
	return false
}

// createRolledBack reports whether a restore rolled back a create of
// object: the server's history lost it, and with it the object (a write
// to it made on another replica is then dropped, by transform or by a
// client reset's recovery rule 2).
func (a *accountant) createRolledBack(object string) bool {
	for _, r := range a.byObject[object] {
		if r.fv().Op != history.EffectCreate {
			continue
		}
		for _, at := range a.rolled[r.inc.id] {
			if at >= r.inc.made {
				return true
			}
		}
	}
	return false
}

// createReverted reports whether a compensating write reverted a
// changeset's create of object (other than except's): that erases the
// object, for every client.
func (a *accountant) createReverted(object string, except history.ChangesetID) bool {
	for _, r := range a.h.Reverts {
		if r.Object != object || (!except.IsZero() && r.Changeset == except) {
			continue
		}
		for _, x := range a.byObject[object] {
			if x.inc.id == r.Changeset && x.fv().Op == history.EffectCreate {
				return true
			}
		}
	}
	return false
}

// concurrentEraseReverted reports whether a concurrent erase of object by
// another write was reverted by a compensating write: erase vs erase is
// one erase, and the compensation that brings the object back undoes both.
func (a *accountant) concurrentEraseReverted(inc *incarnation, object string) bool {
	for _, x := range a.byObject[object] {
		if x.fv().Op != history.EffectErase || x.inc.write == inc.write || !a.counts(x.inc) ||
			a.surelyBefore(x.inc, inc) || a.surelyBefore(inc, x.inc) {
			continue
		}
		for _, c := range a.fates[x.inc.write.ID].incs {
			if a.reverted(c, object, history.Infinite) {
				return true
			}
		}
	}
	return false
}
