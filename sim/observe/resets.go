package observe

import (
	"fmt"
	"slices"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/client"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/history"
)

// What a ClientLog records of a client's resets for the client-reset
// oracle: each reset with the states and changesets it began and ended
// with, and the checks of its mode's promises it can make as it reads them.

// resetAsk is a reset ERROR as it reached the client, and the replica's
// pending-reset record then.
type resetAsk struct {
	at         int64
	code       history.Code
	noRecovery bool
	pending    history.ResetMode
}

// resetBegun is what a reset's Before callback saw.
type resetBegun struct {
	ask      resetAsk
	call     int64
	old      uint64
	before   history.PlainState
	fresh    *history.PlainState
	unsynced []history.PlainChangeset
}

// resetAsked notes a reset the server asks of client a.Client, with the
// replica's pending-reset record as the client will find it. An error for
// the fresh copy of a reset under way only restarts its download.
func (r *Recorder) resetAsked(a ResetAsked) {
	l := r.clients[a.Client]
	if l == nil {
		return
	}
	realm := l.open()
	if realm == nil || realm.Session().Resetting() {
		return
	}
	l.NameWrites()
	ask := &resetAsk{at: a.At, code: a.Code, noRecovery: a.NoRecovery}
	if p, ok := realm.Replica().PendingReset(); ok {
		ask.pending = history.ModeRecover
		if p.Mode == replica.ResetDiscard {
			ask.pending = history.ModeDiscard
		}
	}
	l.asked = ask
}

// takeAsk returns the reset the server last asked for (or, for a reset
// the client began itself, one asked now) and forgets it.
func (l *ClientLog) takeAsk() resetAsk {
	a := l.asked
	l.asked = nil
	if a == nil {
		return resetAsk{at: l.rec.now()}
	}
	return *a
}

// learn takes the code and action of the reset from err, the client's
// account of the error (nil: none).
func (a *resetAsk) learn(err *client.SyncError) {
	if err != nil {
		a.code, a.noRecovery = code(err), err.Action == protocol.ActionClientResetNoRecovery
	}
}

func code(err *client.SyncError) history.Code {
	if err == nil {
		return ""
	}
	return history.Code(err.Code.String())
}

func resetMode(m client.ClientResetMode) history.ResetMode {
	switch m {
	case client.Manual:
		return history.ModeManual
	case client.DiscardUnsyncedChanges:
		return history.ModeDiscard
	case client.RecoverOrDiscard:
		return history.ModeRecoverOrDiscard
	}
	return history.ModeRecover
}

// ResetBegins is an automatic reset's Before: the fresh copy is
// downloaded, the replica is about to take it over.
func (l *ClientLog) ResetBegins(before *store.State) {
	l.NameWrites()
	realm := l.open()
	rep := realm.Replica()
	old, _ := rep.Ident()
	b := &resetBegun{ask: l.takeAsk(), call: l.rec.now(), old: old, before: State(before)}
	if fs := realm.Session().FreshState(); fs != nil {
		fresh := State(fs)
		b.fresh = &fresh
	}
	held := l.heldByFresh(old)
	// The reciprocal forms: what a recovery replays (DESIGN §3).
	for _, cs := range rep.Reciprocal() {
		if !held[cs.Version] {
			b.unsynced = append(b.unsynced, Changeset(history.ChangesetID{File: old, Version: cs.Version}, cs))
		}
	}
	l.resetting = b
}

// heldByFresh is the versions of file old the fresh copy downloaded: the
// unsynced changesets the server has (their acknowledgement was lost),
// which a reset neither replays nor discards. The fresh copy's file is the
// last the client was given.
func (l *ClientLog) heldByFresh(old uint64) map[uint64]bool {
	h, name := l.rec.h, l.name
	fresh := uint64(0)
	for _, f := range h.NewFiles {
		if f.Client == name {
			fresh = f.File
		}
	}
	held := map[uint64]bool{}
	for _, d := range h.Downloads {
		if d.Client != name || d.File != fresh {
			continue
		}
		for _, e := range d.Entries {
			if e.ID.File == old {
				held[e.ID.Version] = true
			}
		}
	}
	return held
}

// ResetEnds is an automatic reset's After: the replica took over the fresh
// copy, discarding or recovering its unsynced changes.
func (l *ClientLog) ResetEnds(after *store.State, recovered bool) {
	b := l.resetting
	l.resetting = nil
	realm := l.open()
	rep := realm.Replica()
	lr := realm.Session().LastReset()
	if b == nil || lr == nil {
		l.rec.fail(fmt.Errorf("%w: %s: a client reset ended that the harness did not see begin", ErrReset, l.name))
		return
	}
	ident, _ := rep.Ident()
	b.ask.learn(lr.Error)
	r := l.reset(b, history.ResetDiscarded, l.rec.now())
	r.NewFile = ident
	carried := map[uint64][]history.WriteID{}
	if recovered {
		r.Outcome = history.ResetRecovered
		if cs := lr.Recovered; cs != nil {
			r.RecoveredAs, r.RecoveryTimestamp = history.ChangesetID{File: ident, Version: cs.Version}, cs.OriginTimestamp
			for _, u := range b.unsynced {
				carried[cs.Version] = append(carried[cs.Version], l.carried[u.ID.Version]...)
			}
		}
	} else {
		for _, cs := range lr.Discarded {
			r.Discarded = append(r.Discarded, history.ChangesetID{File: b.old, Version: cs.Version})
			r.DiscardedWrites = append(r.DiscardedWrites, l.carried[cs.Version]...)
		}
		l.checkDiscard(b.unsynced, r.Discarded)
	}
	l.carried = carried
	l.recordReset(b, r, after, nil)
	// The replica now holds what the fresh copy downloaded.
	l.seen = map[history.ChangesetID]bool{}
	for _, d := range l.rec.h.Downloads {
		if d.Client == l.name && d.File == ident {
			for _, e := range d.Entries {
				l.seen[e.ID] = true
			}
		}
	}
	l.adoptions++
}

// reset is the Reset record of b, ended at ret with outcome.
func (l *ClientLog) reset(b *resetBegun, outcome history.ResetOutcome, ret int64) history.Reset {
	return history.Reset{Client: l.name, Realm: l.realm, Mode: resetMode(l.mode), Outcome: outcome,
		Code: b.ask.code, Call: b.call, Return: ret, OldFile: b.old, Asked: min(b.ask.at, b.call)}
}

// recordReset records r and what the client-reset oracle needs of it: b,
// the state after and a manual reset's backup copy.
func (l *ClientLog) recordReset(b *resetBegun, r history.Reset, after *store.State, backup *history.BackupCopy) {
	h := l.rec.h
	h.Resets = append(h.Resets, r)
	h.ResetChecks = append(h.ResetChecks, history.ResetCheck{Client: r.Client, Realm: r.Realm, Call: r.Call,
		Mode: r.Mode, Code: r.Code, NoRecovery: b.ask.noRecovery, Pending: b.ask.pending, Outcome: r.Outcome,
		Fresh: b.fresh, Unsynced: b.unsynced, Before: b.before, After: State(after), Backup: backup})
}

// checkDiscard: a discard reports exactly the unsynced changesets it
// deleted (those the fresh copy holds are not deleted).
func (l *ClientLog) checkDiscard(unsynced []history.PlainChangeset, discarded []history.ChangesetID) {
	for _, u := range unsynced {
		if !slices.Contains(discarded, u.ID) {
			l.rec.fail(fmt.Errorf("%w: %s: unsynced changeset %v was neither reported discarded nor on the server", ErrReset, l.name, u.ID))
		}
	}
	for _, id := range discarded {
		if !slices.ContainsFunc(unsynced, func(u history.PlainChangeset) bool { return u.ID == id }) {
			l.rec.fail(fmt.Errorf("%w: %s: a discard reported changeset %v, which was not unsynced", ErrReset, l.name, id))
		}
	}
}

// ResetManual records a reset that went to the manual handler: nothing
// local changed, and the backup copy is read back.
func (l *ClientLog) ResetManual(m client.ManualReset) {
	l.NameWrites()
	rep := l.open().Replica()
	now := l.rec.now()
	b := l.resetting
	l.resetting = nil
	if b == nil {
		b = l.unsyncedNow(l.takeAsk())
		b.call = now
	}
	b.ask.learn(m.Err)
	l.recordReset(b, l.reset(b, history.ResetManual, now), rep.State(), l.backupCopy(m))
}

// backupCopy reads a manual reset's backup copy back, and checks that it
// holds every changeset the replica has unsynced; nil if there is no copy
// or it does not open (a failure, which the client-reset oracle reports
// too).
func (l *ClientLog) backupCopy(m client.ManualReset) *history.BackupCopy {
	if m.BackupPath == "" {
		l.rec.fail(fmt.Errorf("%w: %s: the manual handler got no backup copy: %v", ErrReset, l.name, m.Reason))
		return nil
	}
	b, err := replica.Open(l.storage, m.BackupPath, l.clk, schema.Schema{})
	if err != nil {
		l.rec.fail(fmt.Errorf("%w: %s: the backup copy %q does not open: %w", ErrReset, l.name, m.BackupPath, err))
		return nil
	}
	defer b.Close()
	ident, _ := b.Ident()
	bc := &history.BackupCopy{State: State(b.State())}
	for _, cs := range b.Unsynced() {
		bc.Unsynced = append(bc.Unsynced, history.ChangesetID{File: ident, Version: cs.Version})
	}
	if got, want := versionsOf(b.Unsynced()), versionsOf(l.open().Replica().Unsynced()); !slices.Equal(got, want) {
		l.rec.fail(fmt.Errorf("%w: %s: the backup copy holds unsynced changesets %v, the replica %v", ErrReset, l.name, got, want))
	}
	return bc
}

func versionsOf(cs []*changeset.Changeset) []uint64 {
	out := make([]uint64, len(cs))
	for i, c := range cs {
		out[i] = c.Version
	}
	return out
}

// unsyncedNow is a reset asked by ask that begins with the replica as it
// is now: its state and every unsynced changeset.
func (l *ClientLog) unsyncedNow(ask resetAsk) *resetBegun {
	rep := l.open().Replica()
	ident, _ := rep.Ident()
	b := &resetBegun{ask: ask, old: ident, before: State(rep.State())}
	for _, cs := range rep.Unsynced() {
		b.unsynced = append(b.unsynced, Changeset(history.ChangesetID{File: ident, Version: cs.Version}, cs))
	}
	return b
}

// ResetFailed records the automatic reset under way, if any, as failed:
// the client process is about to die with it.
func (l *ClientLog) ResetFailed() {
	realm := l.open()
	if realm == nil {
		return
	}
	rep := realm.Replica()
	now := l.rec.now()
	b := l.resetting
	l.resetting = nil
	if b == nil {
		if !realm.Session().Resetting() || l.asked == nil {
			return // no reset under way (or one the client began itself, which the wire did not show)
		}
		b = l.unsyncedNow(l.takeAsk())
		b.call = b.ask.at
	}
	l.recordReset(b, l.reset(b, history.ResetFailed, now), rep.State(), nil)
}
