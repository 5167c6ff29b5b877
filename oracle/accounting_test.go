package oracle

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/syncsim/syncsim/history"
)

func TestWriteAccounting(t *testing.T) {
	title := func(s string) fields { return fields{"title": history.Str(s)} }
	task := func(f fields, l lists) map[string]history.PlainObject {
		return map[string]history.PlainObject{t1: obj("Task", f, l)}
	}
	person := map[string]history.PlainObject{p1: obj("Person", nil, nil)}
	tests := []struct {
		name string
		step func(*hist)
		want map[history.WriteID]Bucket
		why  string // the failure, for a lost write
	}{
		{name: "a write whose value is in the final state is visible", want: map[history.WriteID]Bucket{1: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, create(t1), set(t1, "title", history.Str("x")))
			h.acked("a", 1, 1, 20)
			h.final(task(title("x"), nil))
		}},
		{name: "a concurrent update with a higher discriminant overrides", want: map[history.WriteID]Bucket{1: BucketOverridden, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", history.Str("x")))
			h.write(2, "b", id(2, 1), 20, 11, set(t1, "title", history.Str("y")))
			h.acked("a", 1, 1, 20)
			h.acked("b", 2, 1, 21)
			h.final(task(title("y"), nil))
		}},
		{name: "equal timestamps: the lower file ident cannot override", want: map[history.WriteID]Bucket{1: BucketLost, 2: BucketVisible}, why: "write 1 of a (changeset 2:1)", step: func(h *hist) {
			h.write(1, "a", id(2, 1), 10, 10, set(t1, "title", history.Str("x")))
			h.write(2, "b", id(1, 1), 10, 11, set(t1, "title", history.Str("y")))
			h.acked("a", 2, 1, 20)
			h.acked("b", 1, 1, 21)
			h.final(task(title("y"), nil))
		}},
		{name: "a value gone with no write that may win over it is lost", why: `set Task[1].title = "x", the final state has "z"`, want: map[history.WriteID]Bucket{1: BucketLost}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", history.Str("x")))
			h.acked("a", 1, 1, 20)
			h.final(task(title("z"), nil))
		}},
		{name: "a concurrent update with a lower discriminant cannot override", why: "write 1 of a (changeset 1:1) is lost", want: map[history.WriteID]Bucket{1: BucketLost, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 20, 10, set(t1, "title", history.Str("x")))
			h.write(2, "b", id(2, 1), 10, 11, set(t1, "title", history.Str("y")))
			h.acked("a", 1, 1, 20)
			h.acked("b", 2, 1, 21)
			h.final(task(title("y"), nil))
		}},
		{name: "an update made on top of another overrides it whatever its timestamp", want: map[history.WriteID]Bucket{1: BucketOverridden, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 20, 10, set(t1, "title", history.Str("x")))
			h.acked("a", 1, 1, 20)
			h.received("b", 2, 30, id(1, 1))
			h.write(2, "b", id(2, 1), 5, 40, set(t1, "title", history.Str("y"))) // b's clock stepped back
			h.acked("b", 2, 1, 50)
			h.final(task(title("y"), nil))
		}},
		{name: "a client's own later update overrides its earlier one", want: map[history.WriteID]Bucket{1: BucketOverridden, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 20, 10, set(t1, "title", history.Str("x")))
			h.write(2, "a", id(1, 2), 5, 20, set(t1, "title", history.Str("y")))
			h.acked("a", 1, 2, 30)
			h.final(task(title("y"), nil))
		}},
		{name: "a non-default update beats a concurrent default one regardless of time", want: map[history.WriteID]Bucket{1: BucketVisible, 2: BucketOverridden}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 5, 10, set(t1, "title", history.Str("x")))
			h.write(2, "b", id(2, 1), 50, 11, setDefault(t1, "title", history.Str("untitled")))
			h.acked("a", 1, 1, 20)
			h.acked("b", 2, 1, 21)
			h.final(task(title("x"), nil))
		}},
		{name: "a concurrent default update cannot override a non-default one", why: `set Task[1].title = "x"`, want: map[history.WriteID]Bucket{1: BucketLost, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 5, 10, set(t1, "title", history.Str("x")))
			h.write(2, "b", id(2, 1), 50, 11, setDefault(t1, "title", history.Str("untitled")))
			h.acked("a", 1, 1, 20)
			h.acked("b", 2, 1, 21)
			h.final(task(title("untitled"), nil))
		}},
		{name: "a concurrent counter add explains a changed value", want: map[history.WriteID]Bucket{1: BucketOverridden, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 5, 10, set(t1, "done", history.Int(3)))
			h.write(2, "b", id(2, 1), 50, 11, add(t1, "done", 2))
			h.acked("a", 1, 1, 20)
			h.acked("b", 2, 1, 21)
			h.final(task(fields{"done": history.Int(5)}, nil))
		}},
		{name: "an update of an object erased concurrently is deleted by the rule", want: map[history.WriteID]Bucket{1: BucketDeleted, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", history.Str("x")))
			h.write(2, "b", id(2, 1), 5, 11, erase(t1))
			h.acked("a", 1, 1, 20)
			h.acked("b", 2, 1, 21)
			h.final(nil)
		}},
		{name: "an update of an object missing with no erase is lost", why: "Task[1] is not in the final state and nothing erased it", want: map[history.WriteID]Bucket{1: BucketLost}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", history.Str("x")))
			h.acked("a", 1, 1, 20)
			h.final(nil)
		}},
		{name: "an erase made before the update does not explain it", why: "nothing erased it", want: map[history.WriteID]Bucket{1: BucketVisible, 2: BucketLost}, step: func(h *hist) {
			h.write(1, "b", id(2, 1), 5, 5, erase(t1))
			h.acked("b", 2, 1, 6)
			h.received("a", 1, 7, id(2, 1))
			h.write(2, "a", id(1, 1), 10, 10, create(t1), set(t1, "title", history.Str("x")))
			h.acked("a", 1, 1, 20)
			h.final(nil)
		}},
		{name: "a link to an object erased concurrently reads null: deleted", want: map[history.WriteID]Bucket{1: BucketDeleted, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "owner", history.Link(p1)))
			h.write(2, "b", id(2, 1), 5, 11, erase(p1))
			h.acked("a", 1, 1, 20)
			h.acked("b", 2, 1, 21)
			h.final(map[string]history.PlainObject{t1: obj("Task", fields{"owner": history.Link(p1)}, nil)}) // dangling
		}},
		{name: "a link to an object whose create a compensating write reverted reads null: deleted", want: map[history.WriteID]Bucket{1: BucketReverted, 2: BucketDeleted}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, create(p1))
			h.write(2, "b", id(2, 1), 20, 11, set(t1, "owner", history.Link(p1)))
			h.acked("a", 1, 1, 20)
			h.acked("b", 2, 1, 21)
			h.Reverts = append(h.Reverts, history.Revert{Client: "a", Realm: testRealm, Changeset: id(1, 1), Object: p1, At: 20})
			h.final(map[string]history.PlainObject{t1: obj("Task", fields{"owner": history.Link(p1)}, nil)}) // dangling
		}},
		{name: "a dangling link no revert or erase explains is lost", why: "write 2 of b", want: map[history.WriteID]Bucket{1: BucketLost, 2: BucketLost}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, create(p1))
			h.write(2, "b", id(2, 1), 20, 11, set(t1, "owner", history.Link(p1)))
			h.acked("a", 1, 1, 20)
			h.acked("b", 2, 1, 21)
			h.Reverts = append(h.Reverts, history.Revert{Client: "a", Realm: testRealm, Changeset: id(1, 2), Object: p1, At: 20})
			h.final(map[string]history.PlainObject{t1: obj("Task", fields{"owner": history.Link(p1)}, nil)}) // dangling
		}},
		{name: "an upload that reached the server may explain though its reply was lost and a discard reported it", want: map[history.WriteID]Bucket{1: BucketOverridden, 2: BucketDiscarded}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, erase(p1))
			h.acked("a", 1, 1, 20)
			h.received("b", 2, 25, id(1, 1))
			h.write(2, "b", id(2, 1), 5, 30, create(p1))
			h.lostUpload("b", 2, salt1, 35, 1)
			h.reset(history.Reset{Client: "b", Mode: history.ModeDiscard, Outcome: history.ResetDiscarded, Call: 50, Return: 60, OldFile: 2, NewFile: 3,
				Discarded: ids(2, 1), DiscardedWrites: []history.WriteID{2}})
			h.final(map[string]history.PlainObject{p1: obj("Person", nil, nil)})
		}},
		{name: "a discarded write whose upload never reached the server explains nothing", why: `erased Person["p1"], which is in the final state`, want: map[history.WriteID]Bucket{1: BucketLost, 2: BucketDiscarded}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, erase(p1))
			h.acked("a", 1, 1, 20)
			h.received("b", 2, 25, id(1, 1))
			h.write(2, "b", id(2, 1), 5, 30, create(p1))
			h.reset(history.Reset{Client: "b", Mode: history.ModeDiscard, Outcome: history.ResetDiscarded, Call: 50, Return: 60, OldFile: 2, NewFile: 3,
				Discarded: ids(2, 1), DiscardedWrites: []history.WriteID{2}})
			h.final(map[string]history.PlainObject{p1: obj("Person", nil, nil)})
		}},
		{name: "a write that reached the server only after a terminate rebuilt the history overrides what the rebuild holds", want: map[history.WriteID]Bucket{1: BucketOverridden, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, erase(p1))
			h.acked("a", 1, 1, 20)
			h.write(2, "b", id(2, 1), 5, 25, create(p1)) // concurrent: b never had a's erase
			h.Terminates = append(h.Terminates, history.Terminate{Realm: testRealm, At: 30})
			h.upload("b", 2, salt2, 40, 45, 1, 1)
			h.final(map[string]history.PlainObject{p1: obj("Person", nil, nil)})
		}},
		{name: "the same concurrent create integrated before the rebuild loses to the erase", why: `erased Person["p1"], which is in the final state`, want: map[history.WriteID]Bucket{1: BucketLost, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, erase(p1))
			h.acked("a", 1, 1, 20)
			h.write(2, "b", id(2, 1), 5, 25, create(p1))
			h.upload("b", 2, salt1, 28, 29, 1, 1)
			h.Terminates = append(h.Terminates, history.Terminate{Realm: testRealm, At: 30})
			h.final(map[string]history.PlainObject{p1: obj("Person", nil, nil)})
		}},
		{name: "erase vs erase is one erase: a compensating write that reverted the other brings the object back for both", want: map[history.WriteID]Bucket{1: BucketOverridden, 2: BucketReverted}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, erase(p1))
			h.write(2, "b", id(2, 1), 20, 11, erase(p1))
			h.acked("a", 1, 1, 20)
			h.acked("b", 2, 1, 21)
			h.Reverts = append(h.Reverts, history.Revert{Client: "b", Realm: testRealm, Changeset: id(2, 1), Object: p1, At: 21})
			h.final(map[string]history.PlainObject{p1: obj("Person", nil, nil)})
		}},
		{name: "an erase the other erase's revert came before is not brought back by it", why: `write 1 of a (changeset 1:1) is lost`, want: map[history.WriteID]Bucket{1: BucketLost, 2: BucketReverted}, step: func(h *hist) {
			h.write(2, "b", id(2, 1), 20, 11, erase(p1))
			h.acked("b", 2, 1, 21)
			h.Reverts = append(h.Reverts, history.Revert{Client: "b", Realm: testRealm, Changeset: id(2, 1), Object: p1, At: 21})
			h.received("a", 1, 25, id(2, 1))
			h.write(1, "a", id(1, 1), 10, 30, erase(p1))
			h.acked("a", 1, 1, 40)
			h.final(map[string]history.PlainObject{p1: obj("Person", nil, nil)})
		}},
		{name: "an unsynced write the fresh copy already held is not replayed: it stands as the server had it", want: map[history.WriteID]Bucket{1: BucketOverridden, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 50, 10, set(t1, "title", history.Str("x")))
			h.lostUpload("a", 1, salt1, 12, 1) // integrated; the reply was lost
			h.received("b", 2, 20, id(1, 1))
			h.write(2, "b", id(2, 1), 5, 30, set(t1, "title", history.Str("y"))) // on top of a's
			h.acked("b", 2, 1, 35)
			h.download("a", 3, cur(0, 0), 0, 40, 45, cur(2, 0), salt1, 2, 0, ent(1, 1, 1), ent(2, 2, 1)) // the fresh copy
			h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Call: 50, Return: 50, OldFile: 1, NewFile: 3,
				RecoveryTimestamp: 100})
			h.final(task(title("y"), nil))
		}},
		{name: "an unsynced write the fresh copy lacked is replayed by the recovery", why: "write 1 of a (changeset 1:1, recovered as 0:0) is lost", want: map[history.WriteID]Bucket{1: BucketLost, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 50, 10, set(t1, "title", history.Str("x")))
			h.write(2, "b", id(2, 1), 5, 30, set(t1, "title", history.Str("y")))
			h.acked("b", 2, 1, 35)
			h.download("a", 3, cur(0, 0), 0, 40, 45, cur(1, 0), salt1, 1, 0, ent(1, 2, 1))
			h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Call: 50, Return: 50, OldFile: 1, NewFile: 3,
				RecoveryTimestamp: 100})
			h.final(task(title("y"), nil))
		}},
		{name: "a compensating write that reverted a create is an erase: a concurrent erase collapses into it, and a create on top undoes both", want: map[history.WriteID]Bucket{1: BucketVisible, 2: BucketOverridden, 3: BucketVisible}, step: func(h *hist) {
			h.write(1, "c", id(3, 1), 1, 5, create(p1))
			h.acked("c", 3, 1, 6)
			h.Reverts = append(h.Reverts, history.Revert{Client: "c", Realm: testRealm, Changeset: id(3, 1), Object: p1, At: 6})
			h.write(2, "a", id(1, 1), 10, 10, erase(p1)) // a never had c's create
			h.acked("a", 1, 1, 12)
			h.received("b", 2, 7, id(3, 1))
			h.write(3, "b", id(2, 1), 2, 15, create(p1))
			h.acked("b", 2, 1, 16)
			h.final(map[string]history.PlainObject{p1: obj("Person", nil, nil)})
		}},
		{name: "a create concurrent with the reverted one and the erase does not undo the erase", why: "write 2 of a (changeset 1:1) is lost", want: map[history.WriteID]Bucket{1: BucketVisible, 2: BucketLost, 3: BucketVisible}, step: func(h *hist) {
			h.write(1, "c", id(3, 1), 1, 5, create(p1))
			h.acked("c", 3, 1, 6)
			h.Reverts = append(h.Reverts, history.Revert{Client: "c", Realm: testRealm, Changeset: id(3, 1), Object: p1, At: 6})
			h.write(2, "a", id(1, 1), 10, 10, erase(p1))
			h.acked("a", 1, 1, 12)
			h.write(3, "b", id(2, 1), 2, 15, create(p1))
			h.acked("b", 2, 1, 16)
			h.final(map[string]history.PlainObject{p1: obj("Person", nil, nil)})
		}},
		{name: "a reset's fresh copy is not the replica: what it downloads reaches the client only when the reset ends", want: map[history.WriteID]Bucket{1: BucketVisible, 2: BucketDeleted}, step: func(h *hist) {
			h.write(1, "b", id(2, 1), 5, 5, erase(t1))
			h.acked("b", 2, 1, 6)
			h.download("a", 3, cur(0, 0), 0, 11, 12, cur(1, 0), salt1, 1, 0, ent(1, 2, 1)) // the fresh copy
			h.write(2, "a", id(1, 1), 15, 15, set(t1, "title", history.Str("x")))          // the replica still has t1
			h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Asked: 10, Call: 20, Return: 20, OldFile: 1, NewFile: 3,
				RecoveryTimestamp: 20})
			h.final(nil)
		}},
		{name: "the replica's own download of an erase comes before a write made after it", why: "nothing erased it", want: map[history.WriteID]Bucket{1: BucketVisible, 2: BucketLost}, step: func(h *hist) {
			h.write(1, "b", id(2, 1), 5, 5, erase(t1))
			h.acked("b", 2, 1, 6)
			h.download("a", 1, cur(0, 0), salt1, 11, 12, cur(1, 0), salt1, 1, 0, ent(1, 2, 1))
			h.write(2, "a", id(1, 1), 15, 15, set(t1, "title", history.Str("x")))
			h.acked("a", 1, 1, 16)
			h.final(nil)
		}},
		{name: "a created object in the final state is visible", want: map[history.WriteID]Bucket{1: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, create(p1))
			h.acked("a", 1, 1, 20)
			h.final(map[string]history.PlainObject{p1: obj("Person", nil, nil)})
		}},
		{name: "a created object missing with no erase is lost", why: `created Person["p1"], which is not in the final state`, want: map[history.WriteID]Bucket{1: BucketLost}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, create(p1))
			h.acked("a", 1, 1, 20)
			h.final(nil)
		}},
		{name: "an erase undone by a create made on top of it is overridden", want: map[history.WriteID]Bucket{1: BucketOverridden, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, erase(p1))
			h.acked("a", 1, 1, 20)
			h.received("b", 2, 25, id(1, 1))
			h.write(2, "b", id(2, 1), 5, 30, create(p1))
			h.acked("b", 2, 1, 40)
			h.final(map[string]history.PlainObject{p1: obj("Person", nil, nil)})
		}},
		{name: "an erased object still there with no later create is lost: erase wins over a concurrent create", why: `erased Person["p1"], which is in the final state`, want: map[history.WriteID]Bucket{1: BucketLost, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, erase(p1))
			h.write(2, "b", id(2, 1), 50, 11, create(p1))
			h.acked("a", 1, 1, 20)
			h.acked("b", 2, 1, 21)
			h.final(map[string]history.PlainObject{p1: obj("Person", nil, nil)})
		}},
		{name: "a list insert in the final list is visible", want: map[history.WriteID]Bucket{1: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, insert(t1, "tags", history.Str("red")))
			h.acked("a", 1, 1, 20)
			h.final(task(nil, lists{"tags": {history.Str("blue"), history.Str("red")}}))
		}},
		{name: "a list insert removed by a concurrent list erase is overridden", want: map[history.WriteID]Bucket{1: BucketOverridden, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, insert(t1, "tags", history.Str("red")))
			h.write(2, "b", id(2, 1), 5, 11, eraseElement(t1, "tags"))
			h.acked("a", 1, 1, 20)
			h.acked("b", 2, 1, 21)
			h.final(task(nil, nil))
		}},
		{name: "a list insert missing from the final list is lost", why: `inserted "red" into Task[1].tags, the final list is ["blue"]`, want: map[history.WriteID]Bucket{1: BucketLost}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, insert(t1, "tags", history.Str("red")))
			h.acked("a", 1, 1, 20)
			h.final(task(nil, lists{"tags": {history.Str("blue")}}))
		}},
		{name: "a write of only counter adds that reached the server is visible", want: map[history.WriteID]Bucket{1: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, add(t1, "done", 1))
			h.acked("a", 1, 1, 20)
			h.final(task(fields{"done": history.Int(1)}, nil))
		}},
		{name: "a write of only counter adds that never reached the server is lost", why: "its changeset 1:1 never reached the server", want: map[history.WriteID]Bucket{1: BucketLost}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, add(t1, "done", 1))
			h.final(task(nil, nil))
		}},
		{name: "a write a discarding reset reported is discarded", want: map[history.WriteID]Bucket{1: BucketDiscarded}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", history.Str("x")))
			h.reset(history.Reset{Client: "a", Mode: history.ModeDiscard, Outcome: history.ResetDiscarded, Call: 50, Return: 60, OldFile: 1, NewFile: 3,
				Discarded: ids(1, 1), DiscardedWrites: []history.WriteID{1}})
			h.final(task(nil, nil))
		}},
		{name: "an unsynced write a discarding reset did not report is lost", why: "it was unsynced when the reset at 50 discarded local changes, which did not report it", want: map[history.WriteID]Bucket{1: BucketLost}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", history.Str("x")))
			h.reset(history.Reset{Client: "a", Mode: history.ModeDiscard, Outcome: history.ResetDiscarded, Call: 50, Return: 60, OldFile: 1, NewFile: 3})
			h.final(task(nil, nil))
		}},
		{name: "a synced write survives a discarding reset", want: map[history.WriteID]Bucket{1: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", history.Str("x")))
			h.acked("a", 1, 1, 20)
			h.reset(history.Reset{Client: "a", Mode: history.ModeDiscard, Outcome: history.ResetDiscarded, Call: 50, Return: 60, OldFile: 1, NewFile: 3})
			h.final(task(title("x"), nil))
		}},
		{name: "an acknowledged write a restore removed is rolled back", want: map[history.WriteID]Bucket{1: BucketRolledBack}, step: func(h *hist) {
			h.Backups = append(h.Backups, history.Backup{Realm: testRealm, ID: 1, At: 5})
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", history.Str("x")))
			h.acked("a", 1, 1, 20)
			h.Restores = append(h.Restores, history.Restore{Realm: testRealm, Backup: 1, At: 30})
			h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Call: 40, Return: 50, OldFile: 1, NewFile: 3})
			h.final(task(nil, nil))
		}},
		{name: "a write lost by a restore that the backup held is lost", why: "write 1 of a", want: map[history.WriteID]Bucket{1: BucketLost}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", history.Str("x")))
			h.acked("a", 1, 1, 20)
			h.Backups = append(h.Backups, history.Backup{Realm: testRealm, ID: 1, At: 25})
			h.Restores = append(h.Restores, history.Restore{Realm: testRealm, Backup: 1, At: 30})
			h.final(task(nil, nil))
		}},
		{name: "an unsynced write a reset recovered wins over what the fresh copy had", want: map[history.WriteID]Bucket{1: BucketVisible, 2: BucketOverridden}, step: func(h *hist) {
			recovered(h)
			h.final(task(title("x"), nil))
		}},
		{name: "an unsynced write a reset failed to recover is lost", why: "write 1 of a (changeset 1:1, recovered as 3:1) is lost", want: map[history.WriteID]Bucket{1: BucketLost, 2: BucketVisible}, step: func(h *hist) {
			recovered(h)
			h.final(task(title("y"), nil))
		}},
		{name: "an unsynced write at a manual reset is preserved in the backup copy", want: map[history.WriteID]Bucket{1: BucketPreserved, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", history.Str("x")))
			h.write(2, "b", id(2, 1), 10, 10, create(t2))
			h.acked("b", 2, 1, 20)
			h.reset(history.Reset{Client: "a", Mode: history.ModeManual, Outcome: history.ResetManual, Call: 50, Return: 60, OldFile: 1})
			h.final(map[string]history.PlainObject{t2: obj("Task", nil, nil)})
		}},
		{name: "a write a compensating write reverted is reverted", want: map[history.WriteID]Bucket{1: BucketReverted}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", history.Str("x")))
			h.acked("a", 1, 1, 20)
			h.Reverts = append(h.Reverts, history.Revert{Client: "a", Realm: testRealm, Changeset: id(1, 1), Object: t1, At: 20})
			h.final(task(nil, nil))
		}},
		{name: "a write half visible, half overridden is overridden", want: map[history.WriteID]Bucket{1: BucketOverridden, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", history.Str("x")), insert(t1, "tags", history.Str("red")))
			h.write(2, "b", id(2, 1), 20, 11, set(t1, "title", history.Str("y")))
			h.acked("a", 1, 1, 20)
			h.acked("b", 2, 1, 21)
			h.final(task(title("y"), lists{"tags": {history.Str("red")}}))
		}},
		{name: "a property the final schema no longer has: deleted", want: map[history.WriteID]Bucket{1: BucketDeleted}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, set(t1, "rank", history.Int(3)))
			h.acked("a", 1, 1, 20)
			h.final(task(nil, nil))
		}},
		{name: "erase vs erase is one erase: a create made on top of a concurrent erase overrides both", want: map[history.WriteID]Bucket{1: BucketOverridden, 2: BucketOverridden, 3: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, erase(p1))
			h.write(2, "b", id(2, 1), 10, 11, erase(p1))
			h.acked("a", 1, 1, 20)
			h.acked("b", 2, 1, 21)
			h.received("c", 3, 25, id(2, 1)) // c never had a's
			h.write(3, "c", id(3, 1), 5, 30, create(p1))
			h.acked("c", 3, 1, 40)
			h.final(person)
		}},
		{name: "erase vs erase is one erase: a create concurrent with both erases overrides neither", why: `write 1 of a (changeset 1:1) is lost: erased Person["p1"]`, want: map[history.WriteID]Bucket{1: BucketLost, 2: BucketLost, 3: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, erase(p1))
			h.write(2, "b", id(2, 1), 10, 11, erase(p1))
			h.acked("a", 1, 1, 20)
			h.acked("b", 2, 1, 21)
			h.write(3, "c", id(3, 1), 5, 30, create(p1))
			h.acked("c", 3, 1, 40)
			h.final(person)
		}},
		{name: "one recovery changeset: its writes are ordered as they were made, the second overrides the first", want: map[history.WriteID]Bucket{1: BucketOverridden, 2: BucketVisible}, step: func(h *hist) {
			recoveredTogether(h)
			h.final(task(title("y"), nil))
		}},
		{name: "one recovery changeset: the first of its writes cannot override the second", why: `write 2 of a (changeset 1:2, recovered as 3:1) is lost: set Task[1].title = "y"`, want: map[history.WriteID]Bucket{1: BucketVisible, 2: BucketLost}, step: func(h *hist) {
			recoveredTogether(h)
			h.final(task(title("x"), nil))
		}},
		{name: "an update of an object whose create a restore rolled back is deleted", want: map[history.WriteID]Bucket{1: BucketRolledBack, 2: BucketDeleted}, step: func(h *hist) {
			createRolledBack(h)
			h.final(nil)
		}},
		{name: "an update of an object whose create was made after the restore that listed its id is lost", why: `write 2 of a (changeset 1:1, recovered as 0:0) is lost: set Task[1].title = "x", but Task[1] is not in the final state and nothing erased it`, want: map[history.WriteID]Bucket{1: BucketLost, 2: BucketLost}, step: func(h *hist) {
			createRolledBack(h)
			// The restore came first: 2:1 it lists is an earlier changeset
			// of the same id, not b's create (the ident handed out again).
			h.Backups[0].At, h.Restores[0].At = 1, 5
			h.final(nil)
		}},
		{name: "a compensating write that reverted another changeset's create deletes an update of the object", want: map[history.WriteID]Bucket{1: BucketReverted, 2: BucketDeleted}, step: func(h *hist) {
			h.write(1, "b", id(2, 1), 10, 10, create(t1))
			h.acked("b", 2, 1, 12)
			h.received("a", 1, 15, id(2, 1))
			h.write(2, "a", id(1, 1), 20, 17, set(t1, "title", history.Str("x")))
			h.acked("a", 1, 1, 25)
			h.Reverts = append(h.Reverts, history.Revert{Client: "b", Realm: testRealm, Changeset: id(2, 1), Object: t1, At: 20})
			h.final(nil)
		}},
		{name: "a compensating write that reverted a changeset that did not create the object explains nothing", why: `write 3 of a (changeset 1:1) is lost: set Task[1].title = "x", but Task[1] is not in the final state`, want: map[history.WriteID]Bucket{1: BucketLost, 2: BucketReverted, 3: BucketLost}, step: func(h *hist) {
			h.write(1, "b", id(2, 1), 10, 10, create(t1))
			h.write(2, "b", id(2, 2), 11, 11, set(t1, "done", history.Int(1)))
			h.acked("b", 2, 2, 12)
			h.received("a", 1, 15, id(2, 1), id(2, 2))
			h.write(3, "a", id(1, 1), 20, 17, set(t1, "title", history.Str("x")))
			h.acked("a", 1, 1, 25)
			h.Reverts = append(h.Reverts, history.Revert{Client: "b", Realm: testRealm, Changeset: id(2, 2), Object: t1, At: 20})
			h.final(nil)
		}},
		{name: "an erase a reset's recovery replayed is overridden by a create not made before the recovery", want: map[history.WriteID]Bucket{1: BucketOverridden, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, erase(p1))
			// The fresh copy has no p1: the recovery makes no changeset.
			h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Call: 50, Return: 60, OldFile: 1, NewFile: 3})
			h.write(2, "b", id(2, 1), 5, 55, create(p1))
			h.acked("b", 2, 1, 70)
			h.final(person)
		}},
		{name: "an erase synced before the reset is not replayed: a concurrent create does not override it", why: `write 1 of a (changeset 1:1) is lost: erased Person["p1"]`, want: map[history.WriteID]Bucket{1: BucketLost, 2: BucketVisible}, step: func(h *hist) {
			h.write(1, "a", id(1, 1), 10, 10, erase(p1))
			h.acked("a", 1, 1, 20)
			h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Call: 50, Return: 60, OldFile: 1, NewFile: 3})
			h.write(2, "b", id(2, 1), 5, 55, create(p1))
			h.acked("b", 2, 1, 70)
			h.final(person)
		}},
		{name: "a changeset received at the instant of a write is not surely before it: concurrent, the higher discriminant overrides", want: map[history.WriteID]Bucket{1: BucketVisible, 2: BucketOverridden}, step: func(h *hist) {
			receivedAt(h, 30)
			h.final(task(title("y"), nil))
		}},
		{name: "a changeset received before a write is under it: it cannot override the write", why: `write 2 of a (changeset 1:1) is lost: set Task[1].title = "x", the final state has "y"`, want: map[history.WriteID]Bucket{1: BucketVisible, 2: BucketLost}, step: func(h *hist) {
			receivedAt(h, 29)
			h.final(task(title("y"), nil))
		}},
		{name: "a manual reset deletes the replica: what it had received before is not under a write made after", want: map[history.WriteID]Bucket{1: BucketVisible, 2: BucketOverridden}, step: func(h *hist) {
			h.write(1, "b", id(2, 1), 50, 10, set(t1, "title", history.Str("y")))
			h.acked("b", 2, 1, 15)
			h.received("a", 1, 20, id(2, 1))
			h.reset(history.Reset{Client: "a", Mode: history.ModeManual, Outcome: history.ResetManual, Call: 30, Return: 40, OldFile: 1})
			h.write(2, "a", id(3, 1), 20, 50, set(t1, "title", history.Str("x")))
			h.acked("a", 3, 1, 60)
			h.final(task(title("y"), nil))
		}},
		{name: "a manual reset deletes the replica: what the new one received is under a write made after", why: `write 2 of a (changeset 3:1) is lost`, want: map[history.WriteID]Bucket{1: BucketVisible, 2: BucketLost}, step: func(h *hist) {
			h.write(1, "b", id(2, 1), 50, 10, set(t1, "title", history.Str("y")))
			h.acked("b", 2, 1, 15)
			h.received("a", 1, 20, id(2, 1))
			h.reset(history.Reset{Client: "a", Mode: history.ModeManual, Outcome: history.ResetManual, Call: 30, Return: 40, OldFile: 1})
			h.received("a", 3, 45, id(2, 1))
			h.write(2, "a", id(3, 1), 20, 50, set(t1, "title", history.Str("x")))
			h.acked("a", 3, 1, 60)
			h.final(task(title("y"), nil))
		}},
		{name: "a compensating write of any changeset that carried the write reverts it: one the recovery replayed", want: map[history.WriteID]Bucket{1: BucketReverted}, step: func(h *hist) {
			revertedThenRecovered(h, id(1, 1))
			h.final(person)
		}},
		{name: "a compensating write of a changeset that never carried the write does not revert it", why: `write 1 of a (changeset 1:1, recovered as 3:1) is lost: erased Person["p1"], which is in the final state`, want: map[history.WriteID]Bucket{1: BucketLost}, step: func(h *hist) {
			revertedThenRecovered(h, id(1, 2))
			h.final(person)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := build(tt.step)
			require.NoError(t, h.Validate())
			res := CheckAccounting(h)
			require.Equal(t, tt.want, res.Writes)
			require.Equal(t, 1, res.Judged)
			if tt.why == "" {
				require.True(t, res.Pass, "%v", res.Failures)
				return
			}
			require.False(t, res.Pass)
			lost := 0
			for _, b := range tt.want {
				if b == BucketLost {
					lost++
				}
			}
			require.Len(t, res.Failures, lost, "one failure per lost write")
			require.Contains(t, strings.Join(res.Failures, "\n"), tt.why)
		})
	}
}

// recoveredTogether: a's writes 1 (title x) and 2 (title y, on top of it,
// with an older timestamp) are both unsynced at a reset at 50 that
// recovers them as one changeset 3:1.
func recoveredTogether(h *hist) {
	h.write(1, "a", id(1, 1), 20, 10, set(t1, "title", history.Str("x")))
	h.write(2, "a", id(1, 2), 5, 20, set(t1, "title", history.Str("y")))
	h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Call: 50, Return: 60, OldFile: 1, NewFile: 3,
		RecoveredAs: id(3, 1), RecoveryTimestamp: 60})
	h.acked("a", 3, 1, 70)
}

// createRolledBack: b's create of t1 (2:1, acknowledged) is rolled back by
// a restore at 40 from a backup taken before it; a, which had received it,
// updated t1 at 30, unsynced, and learns of the restore at its reset at
// 50, whose recovery drops the update (the fresh copy has no t1).
func createRolledBack(h *hist) {
	h.Backups = append(h.Backups, history.Backup{Realm: testRealm, ID: 1, At: 5})
	h.write(1, "b", id(2, 1), 10, 10, create(t1))
	h.acked("b", 2, 1, 20)
	h.received("a", 1, 25, id(2, 1))
	h.write(2, "a", id(1, 1), 30, 30, set(t1, "title", history.Str("x")))
	h.Restores = append(h.Restores, history.Restore{Realm: testRealm, Backup: 1, At: 40})
	h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Call: 50, Return: 60, OldFile: 1, NewFile: 3})
}

// revertedThenRecovered: a erases p1 in changeset 1:1 at 10; the server
// reports a compensating write of changeset reverted on p1 at 20, before
// a learns that 1:1 was acknowledged; a resets at 50 and its recovery
// replays the erase as 3:1 (acknowledged at 70), its last carrier.
func revertedThenRecovered(h *hist, reverted history.ChangesetID) {
	h.write(1, "a", id(1, 1), 10, 10, erase(p1))
	h.Reverts = append(h.Reverts, history.Revert{Client: "a", Realm: testRealm, Changeset: reverted, Object: p1, At: 20})
	h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Call: 50, Return: 60, OldFile: 1, NewFile: 3,
		RecoveredAs: id(3, 1), RecoveryTimestamp: 60})
	h.acked("a", 3, 1, 70)
}

// receivedAt: b's update (title y, timestamp 50) reaches a at the given
// time; a updates the title to x (timestamp 20) at 30.
func receivedAt(h *hist, at int64) {
	h.write(1, "b", id(2, 1), 50, 10, set(t1, "title", history.Str("y")))
	h.acked("b", 2, 1, 20)
	h.received("a", 1, at, id(2, 1))
	h.write(2, "a", id(1, 1), 20, 30, set(t1, "title", history.Str("x")))
	h.acked("a", 1, 1, 40)
}

// recovered: a's write 1 (title x, timestamp 10) is unsynced when b's
// concurrent write 2 (title y, timestamp 50) is synced; a resets at 100,
// its fresh copy (file 3) holds 2:1, and the recovery uploads 3:1.
func recovered(h *hist) {
	h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", history.Str("x")))
	h.write(2, "b", id(2, 1), 50, 11, set(t1, "title", history.Str("y")))
	h.acked("b", 2, 1, 21)
	h.received("a", 3, 90, id(2, 1))
	h.reset(history.Reset{Client: "a", Mode: history.ModeRecover, Outcome: history.ResetRecovered, Call: 80, Return: 100, OldFile: 1, NewFile: 3,
		RecoveredAs: id(3, 1), RecoveryTimestamp: 100})
	h.acked("a", 3, 1, 110)
}

func TestWriteAccountingSkipsRealmsWithoutAFinalState(t *testing.T) {
	h := build(func(h *hist) { h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", history.Str("x"))) })
	res := CheckAccounting(h)
	require.True(t, res.Pass)
	require.Zero(t, res.Judged)
	rep, err := Check(h, Options{})
	require.NoError(t, err)
	v, _ := rep.Verdict(OracleAccounting)
	require.True(t, v.Skipped)
	require.Nil(t, rep.Accounting)
}

// Check runs the three new oracles, reports their failures under their
// names and counts the writes per bucket; they are skipped when nothing
// was recorded for them.
func TestCheckRunsAccountingSessionsAndResets(t *testing.T) {
	rep, err := Check(build(basic), Options{})
	require.NoError(t, err)
	for _, o := range []Oracle{OracleAccounting, OracleSessions, OracleResets} {
		v, ok := rep.Verdict(o)
		require.True(t, ok, o)
		require.True(t, v.Pass && v.Skipped, "%s: %+v", o, v)
	}
	h := build(func(h *hist) {
		h.write(1, "a", id(1, 1), 10, 10, set(t1, "title", history.Str("x")))
		h.write(2, "a", id(1, 2), 11, 11, set(t1, "done", history.Int(4)))
		h.acked("a", 1, 2, 20)
		h.Reads = append(h.Reads, history.Read{Client: "a", Realm: testRealm, Object: t1, Field: "title", Value: `"old"`, Call: 30, Return: 30})
		h.ResetChecks = append(h.ResetChecks, history.ResetCheck{Client: "a", Realm: testRealm, Call: 40, Mode: history.ModeManual,
			Outcome: history.ResetDiscarded, Before: state(nil), After: state(nil)})
		h.final(map[string]history.PlainObject{t1: obj("Task", fields{"done": history.Int(4)}, nil)})
	})
	rep, err = Check(h, Options{})
	require.NoError(t, err)
	for o, why := range map[Oracle]string{
		OracleAccounting: `set Task[1].title = "x"`,
		OracleSessions:   "read-your-writes",
		OracleResets:     "outcome discarded, want manual: the mode is manual",
	} {
		v, _ := rep.Verdict(o)
		require.False(t, v.Pass || v.Skipped, o)
		require.Len(t, v.Failures, 1, o)
		require.Contains(t, v.Failures[0], why, o)
	}
	require.Equal(t, map[Bucket]int{BucketLost: 1, BucketVisible: 1}, rep.Accounting.Buckets)
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	require.Contains(t, string(b), `"Buckets":{"lost":1,"visible":1}`)
	require.NotContains(t, string(b), `"Writes"`)
}
