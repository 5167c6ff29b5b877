package oracle

import (
	"fmt"
	"maps"
	"slices"

	"github.com/anishathalye/porcupine"
	"github.com/syncsim/syncsim/history"
)

// The visibility model (DESIGN §5): what "upload complete, then download
// complete" promises a user. Per realm and pair of clients (A, B):
//   - publish spans A's completed wait for upload completion and outputs
//     the changeset ids it covered;
//   - observe spans B's completed wait for download completion and outputs
//     the ids B had integrated;
//   - if a publish returned before an observe was called, every id it
//     published is among those observed, unless removed in between by a
//     restore or a terminate (which roll the server back; clear) or by a
//     reset that reported discarding it (discard).
//
// As a porcupine model the state is the set of ids published and not since
// removed; publish adds to it, observe checks it is a subset of what B has.
// Real-time order does the rest: a publish that returned before an observe
// was called must be linearized before it, while one that overlaps it may
// be put after. A direct pairwise check would do the same work, but the
// porcupine form gives the HTML view of a failure for free, and the search
// is small: one partition per pair holds only A's and B's waits.

type visKind uint8

const (
	visPublish visKind = iota
	visObserve
	visClear   // a restore or terminate rolled the server back
	visDiscard // a reset reported discarding these ids
)

type visOp struct {
	kind   visKind
	client string
	ids    []history.ChangesetID // sorted
	what   string                // for clear: what happened
}

// visState is the set of ids published and not since removed, sorted.
type visState struct{ ids []history.ChangesetID }

func (s *visState) step(op *visOp, why *string) (*visState, bool) {
	switch op.kind {
	case visPublish:
		return &visState{union(s.ids, op.ids)}, true
	case visObserve:
		for _, id := range s.ids {
			if _, ok := slices.BinarySearchFunc(op.ids, id, history.CompareIDs); !ok {
				if why != nil {
					*why = fmt.Sprintf("%v was published (upload complete) before %s's download complete began, but %s does not have it", id, op.client, op.client)
				}
				return nil, false
			}
		}
		return s, true
	case visClear:
		return &visState{}, true
	case visDiscard:
		kept := slices.DeleteFunc(slices.Clone(s.ids), func(id history.ChangesetID) bool {
			_, ok := slices.BinarySearchFunc(op.ids, id, history.CompareIDs)
			return ok
		})
		return &visState{kept}, true
	}
	return nil, false
}

// union merges two sorted sets.
func union(a, b []history.ChangesetID) []history.ChangesetID {
	out := make([]history.ChangesetID, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && history.CompareIDs(a[i], b[j]) < 0):
			out = append(out, a[i])
			i++
		case i == len(a) || history.CompareIDs(a[i], b[j]) > 0:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i, j = i+1, j+1
		}
	}
	return out
}

func sortedIDs(ids []history.ChangesetID) []history.ChangesetID {
	s := slices.Clone(ids)
	slices.SortFunc(s, history.CompareIDs)
	return slices.Compact(s)
}

// visibilityModel is the porcupine model of the visibility rule; its
// partitions are the pairs of clients.
func visibilityModel() porcupine.Model {
	return porcupine.Model{
		Partition: visibilityPartition,
		Init:      func() interface{} { return &visState{} },
		Step: func(state, input, _ interface{}) (bool, interface{}) {
			next, ok := state.(*visState).step(input.(*visOp), nil)
			return ok, next
		},
		Equal: func(a, b interface{}) bool { return slices.Equal(a.(*visState).ids, b.(*visState).ids) },
		Hash: func(s interface{}) uint64 {
			h := uint64(0)
			for _, id := range s.(*visState).ids {
				h = mix64(h ^ id.File<<32 ^ id.Version)
			}
			return h
		},
		DescribeOperation: func(input, _ interface{}) string { return describeVisOp(input.(*visOp)) },
		DescribeState:     func(s interface{}) string { return "published " + idsString(s.(*visState).ids) },
	}
}

// visibilityPartition splits a realm's operations per (publisher,
// observer) pair; restores, terminates and resets go to every pair.
func visibilityPartition(ops []porcupine.Operation) [][]porcupine.Operation {
	publishers, observers := map[string]bool{}, map[string]bool{}
	for _, o := range ops {
		switch op := o.Input.(*visOp); op.kind {
		case visPublish:
			publishers[op.client] = true
		case visObserve:
			observers[op.client] = true
		}
	}
	var parts [][]porcupine.Operation
	for _, a := range slices.Sorted(maps.Keys(publishers)) {
		for _, b := range slices.Sorted(maps.Keys(observers)) {
			var part []porcupine.Operation
			for _, o := range ops {
				op := o.Input.(*visOp)
				if (op.kind == visPublish && op.client == a) || (op.kind == visObserve && op.client == b) ||
					op.kind == visClear || op.kind == visDiscard {
					part = append(part, o)
				}
			}
			parts = append(parts, part)
		}
	}
	return parts
}

// explainVisibility replays a linearized prefix and says why op cannot
// follow it.
func explainVisibility(prefix []porcupine.Operation, op porcupine.Operation) string {
	s := &visState{}
	for _, p := range prefix {
		s, _ = s.step(p.Input.(*visOp), nil)
	}
	var why string
	if _, ok := s.step(op.Input.(*visOp), &why); ok {
		return ""
	}
	return why
}

// visibilityOps turns one realm's history into porcupine operations.
func visibilityOps(h *history.History) (ops []porcupine.Operation, lanes []string) {
	lanes, lane := clientLanes(h)
	harness := len(lanes) - 1
	rolled := rolledBackBy(h)
	for _, w := range h.WaitUploads {
		if w.Outcome == history.WaitCompleted {
			ops = append(ops, porcupine.Operation{ClientId: lane[w.Client], Call: w.Call, Return: w.Return,
				Input: &visOp{kind: visPublish, client: w.Client, ids: sortedIDs(stillHeld(h, rolled, w.Covered, w.Call))}})
		}
	}
	for _, w := range h.WaitDownloads {
		if w.Outcome == history.WaitCompleted {
			ops = append(ops, porcupine.Operation{ClientId: lane[w.Client], Call: w.Call, Return: w.Return,
				Input: &visOp{kind: visObserve, client: w.Client, ids: sortedIDs(w.Integrated)}})
		}
	}
	for _, r := range h.Restores {
		ops = append(ops, porcupine.Operation{ClientId: harness, Call: r.At, Return: r.At,
			Input: &visOp{kind: visClear, what: fmt.Sprintf("restore to backup %d", r.Backup)}})
	}
	for _, t := range h.Terminates {
		ops = append(ops, porcupine.Operation{ClientId: harness, Call: t.At, Return: t.At,
			Input: &visOp{kind: visClear, what: "terminate and re-enable"}})
	}
	for _, r := range h.Resets {
		if len(r.Discarded) > 0 {
			ops = append(ops, porcupine.Operation{ClientId: lane[r.Client], Call: r.Call, Return: r.Return,
				Input: &visOp{kind: visDiscard, client: r.Client, ids: sortedIDs(r.Discarded)}})
		}
	}
	return ops, lanes
}

// stillHeld drops from ids those the server no longer held at t: rolled
// back by a restore before t, or of a client file a terminate before t
// forgot (its data lives on in the new epoch's first changeset). A
// client that has not yet learnt of that can still wait for them, and
// its wait completes at once.
func stillHeld(h *history.History, rolled map[history.ChangesetID][]int64, ids []history.ChangesetID, t int64) []history.ChangesetID {
	gone := func(id history.ChangesetID) bool {
		return slices.ContainsFunc(rolled[id], func(at int64) bool { return at <= t })
	}
	forgotten := map[uint64]bool{}
	for _, term := range h.Terminates {
		if term.At <= t {
			for _, f := range h.NewFiles {
				if f.Return <= term.At {
					forgotten[f.File] = true
				}
			}
		}
	}
	return slices.DeleteFunc(slices.Clone(ids), func(id history.ChangesetID) bool { return gone(id) || forgotten[id.File] })
}

func describeVisOp(op *visOp) string {
	switch op.kind {
	case visPublish:
		return fmt.Sprintf("%s upload complete: %s", op.client, idsString(op.ids))
	case visObserve:
		return fmt.Sprintf("%s download complete: has %s", op.client, idsString(op.ids))
	case visClear:
		return op.what
	}
	return fmt.Sprintf("%s reset discarded %s", op.client, idsString(op.ids))
}
