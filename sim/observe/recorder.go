package scenarios

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/client"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/history"
	"github.com/syncsim/syncsim/sim/observe"
)

// What the sync workloads record of their clients for the oracles, besides
// what the wire shows (observe.Wire): local writes and reads, client resets
// with what the client-reset oracle needs of each, and the faults.

// clientLog is a client's recording state, kept across its process's
// crashes (the replica's file survives them).
type clientLog struct {
	// writing: a write transaction runs, and committed is what it committed.
	writing   bool
	committed *changeset.Changeset
	// unnamed indexes the Writes committed before the replica had a client
	// file ident: their changesets take the ident it gets.
	unnamed []int
	// carried: for each local version of the replica's current file, the
	// writes its changeset carries (its own, or a recovery's).
	carried map[uint64][]history.WriteID
	// asked is the reset the server last asked for; resetting the
	// automatic reset whose Before has run and whose After has not.
	asked     *resetAsk
	resetting *resetBegun
	// adoptions counts the fresh copies the replica took over.
	adoptions int
}

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

func (run *syncRun) now() int64 { return int64(run.w.Clock.Now()) }

func (run *syncRun) client(name string) *syncClient {
	for _, c := range run.clients {
		if c.node.Name == name {
			return c
		}
	}
	return nil
}

// at schedules a fault at virtual time at on node ("" for the network or
// the world), recorded in the trace and in the history.
func (run *syncRun) at(at time.Duration, node, kind, realm string, fn func(), attrs ...slog.Attr) {
	run.w.At(at, node, kind, func() {
		f := history.Fault{Kind: strings.TrimPrefix(kind, "fault."), Target: node, Realm: realm, At: run.now()}
		if f.Target == "" {
			f.Target = "all"
		}
		details := make([]string, len(attrs))
		for i, a := range attrs {
			details[i] = a.String()
		}
		f.Detail = strings.Join(details, " ")
		run.h.Faults = append(run.h.Faults, f)
		fn()
	}, attrs...)
}

// write runs one random write transaction and records what it committed.
func (c *syncClient) write() {
	call := c.run.now()
	c.nameWrites()
	c.log.writing, c.log.committed = true, nil
	v, err := RandomTransaction(c.realm, c.node.Rand)
	c.log.writing = false
	if err != nil {
		c.run.w.Record(c.node.Name, "sync.write.failed", slog.String("error", err.Error()))
		return
	}
	c.writes++
	c.run.w.Record(c.node.Name, "sync.write", slog.Uint64("version", v))
	cs := c.log.committed
	if cs == nil {
		return // nothing changed: nothing committed
	}
	h := c.run.h
	id := history.WriteID(len(h.Writes) + 1)
	h.Writes = append(h.Writes, history.Write{Client: c.node.Name, Realm: c.run.cfg.Path, ID: id,
		Changeset: history.ChangesetID{File: cs.OriginFileIdent, Version: cs.Version}, Timestamp: cs.OriginTimestamp,
		Call: call, Return: c.run.now(), Fields: observe.Effects(cs)})
	if cs.OriginFileIdent == 0 {
		c.log.unnamed = append(c.log.unnamed, len(h.Writes)-1)
	}
	c.log.carried[cs.Version] = []history.WriteID{id}
}

// nameWrites gives the writes committed before the replica had a client
// file ident the ident it has now, if any.
func (c *syncClient) nameWrites() {
	if len(c.log.unnamed) == 0 || c.realm == nil {
		return
	}
	ident, _ := c.realm.Replica().Ident()
	if ident == 0 {
		return
	}
	for _, i := range c.log.unnamed {
		c.run.h.Writes[i].Changeset.File = ident
	}
	c.log.unnamed = nil
}

// readFields are the scalar and link fields the workload reads.
var readFields = []string{"title", "done", "prio", "owner"}

// read reads one field of a random object and records what it read.
func (c *syncClient) read() {
	r := c.reads
	class, pk, field := "Person", changeset.StrPK(fmt.Sprintf("p%d", r.IntN(personKeys))), "name"
	if r.Chance(0.8) {
		class, pk, field = "Task", changeset.IntPK(int64(r.IntN(taskKeys))), readFields[r.IntN(len(readFields))]
	}
	st := c.realm.State()
	value := ""
	if st.Exists(class, pk) {
		v, err := st.Get(class, pk, field)
		if err != nil {
			c.run.w.Fail(fmt.Errorf("%w: %s: reading %s.%s: %w", ErrSync, c.node.Name, observe.ObjectName(class, pk), field, err))
			return
		}
		value = observe.Value(v).String()
	}
	now := c.run.now()
	c.run.h.Reads = append(c.run.h.Reads, history.Read{Client: c.node.Name, Realm: c.run.cfg.Path,
		Object: observe.ObjectName(class, pk), Field: field, Value: value, Call: now, Return: now})
}

// resetAsked notes a reset the server asks of client a.Client, with the
// replica's pending-reset record as the client will find it. An error for
// the fresh copy of a reset under way only restarts its download.
func (run *syncRun) resetAsked(a observe.ResetAsked) {
	c := run.client(a.Client)
	if c == nil || c.realm == nil || c.realm.Session().Resetting() {
		return
	}
	c.nameWrites()
	ask := &resetAsk{at: a.At, code: a.Code, noRecovery: a.NoRecovery}
	if p, ok := c.realm.Replica().PendingReset(); ok {
		ask.pending = history.ModeRecover
		if p.Mode == replica.ResetDiscard {
			ask.pending = history.ModeDiscard
		}
	}
	c.log.asked = ask
}

// takeAsk returns the reset the server last asked for (or, for a reset
// the client began itself, one asked now) and forgets it.
func (c *syncClient) takeAsk() resetAsk {
	a := c.log.asked
	c.log.asked = nil
	if a == nil {
		return resetAsk{at: c.run.now()}
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

// resetBegins is an automatic reset's Before: the fresh copy is
// downloaded, the replica is about to take it over.
func (c *syncClient) resetBegins(before *store.State) {
	c.nameWrites()
	rep := c.realm.Replica()
	old, _ := rep.Ident()
	b := &resetBegun{ask: c.takeAsk(), call: c.run.now(), old: old, before: observe.State(before)}
	if fs := c.realm.Session().FreshState(); fs != nil {
		fresh := observe.State(fs)
		b.fresh = &fresh
	}
	held := c.heldByFresh(old)
	for _, cs := range rep.Unsynced() {
		if !held[cs.Version] {
			b.unsynced = append(b.unsynced, observe.Changeset(history.ChangesetID{File: old, Version: cs.Version}, cs))
		}
	}
	c.log.resetting = b
}

// heldByFresh is the versions of file old the fresh copy downloaded: the
// unsynced changesets the server has (their acknowledgement was lost),
// which a reset neither replays nor discards. The fresh copy's file is the
// last the client was given.
func (c *syncClient) heldByFresh(old uint64) map[uint64]bool {
	h, name := c.run.h, c.node.Name
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

// resetEnds is an automatic reset's After: the replica took over the fresh
// copy, discarding or recovering its unsynced changes.
func (c *syncClient) resetEnds(after *store.State, recovered bool) {
	b := c.log.resetting
	c.log.resetting = nil
	rep := c.realm.Replica()
	lr := c.realm.Session().LastReset()
	if b == nil || lr == nil {
		c.run.w.Fail(fmt.Errorf("%w: %s: a client reset ended that the harness did not see begin", ErrReset, c.node.Name))
		return
	}
	ident, _ := rep.Ident()
	b.ask.learn(lr.Error)
	r := c.reset(b, history.ResetDiscarded, c.run.now())
	r.NewFile = ident
	carried := map[uint64][]history.WriteID{}
	if recovered {
		r.Outcome = history.ResetRecovered
		if cs := lr.Recovered; cs != nil {
			r.RecoveredAs, r.RecoveryTimestamp = history.ChangesetID{File: ident, Version: cs.Version}, cs.OriginTimestamp
			for _, u := range b.unsynced {
				carried[cs.Version] = append(carried[cs.Version], c.log.carried[u.ID.Version]...)
			}
		}
	} else {
		for _, cs := range lr.Discarded {
			r.Discarded = append(r.Discarded, history.ChangesetID{File: b.old, Version: cs.Version})
			r.DiscardedWrites = append(r.DiscardedWrites, c.log.carried[cs.Version]...)
		}
		c.checkDiscard(b.unsynced, r.Discarded)
	}
	c.log.carried = carried
	c.recordReset(b, r, after, nil)
	// The replica now holds what the fresh copy downloaded.
	c.seen = map[history.ChangesetID]bool{}
	for _, d := range c.run.h.Downloads {
		if d.Client == c.node.Name && d.File == ident {
			for _, e := range d.Entries {
				c.seen[e.ID] = true
			}
		}
	}
	c.log.adoptions++
}

// reset is the Reset record of b, ended at ret with outcome.
func (c *syncClient) reset(b *resetBegun, outcome history.ResetOutcome, ret int64) history.Reset {
	return history.Reset{Client: c.node.Name, Realm: c.run.cfg.Path, Mode: resetMode(c.mode), Outcome: outcome,
		Code: b.ask.code, Call: b.call, Return: ret, OldFile: b.old, Asked: min(b.ask.at, b.call)}
}

// recordReset records r and what the client-reset oracle needs of it: b,
// the state after and a manual reset's backup copy.
func (c *syncClient) recordReset(b *resetBegun, r history.Reset, after *store.State, backup *history.BackupCopy) {
	c.run.h.Resets = append(c.run.h.Resets, r)
	c.run.h.ResetChecks = append(c.run.h.ResetChecks, history.ResetCheck{Client: r.Client, Realm: r.Realm, Call: r.Call,
		Mode: r.Mode, Code: r.Code, NoRecovery: b.ask.noRecovery, Pending: b.ask.pending, Outcome: r.Outcome,
		Fresh: b.fresh, Unsynced: b.unsynced, Before: b.before, After: observe.State(after), Backup: backup})
}

// checkDiscard: a discard reports exactly the unsynced changesets it
// deleted (those the fresh copy holds are not deleted).
func (c *syncClient) checkDiscard(unsynced []history.PlainChangeset, discarded []history.ChangesetID) {
	for _, u := range unsynced {
		if !slices.Contains(discarded, u.ID) {
			c.run.w.Fail(fmt.Errorf("%w: %s: unsynced changeset %v was neither reported discarded nor on the server", ErrReset, c.node.Name, u.ID))
		}
	}
	for _, id := range discarded {
		if !slices.ContainsFunc(unsynced, func(u history.PlainChangeset) bool { return u.ID == id }) {
			c.run.w.Fail(fmt.Errorf("%w: %s: a discard reported changeset %v, which was not unsynced", ErrReset, c.node.Name, id))
		}
	}
}

// resetManual records a reset that went to the manual handler: nothing
// local changed, and the backup copy is read back.
func (c *syncClient) resetManual(m client.ManualReset) {
	c.nameWrites()
	rep := c.realm.Replica()
	now := c.run.now()
	b := c.log.resetting
	c.log.resetting = nil
	if b == nil {
		b = c.unsyncedNow(c.takeAsk())
		b.call = now
	}
	b.ask.learn(m.Err)
	c.recordReset(b, c.reset(b, history.ResetManual, now), rep.State(), c.backupCopy(m))
}

// backupCopy reads a manual reset's backup copy back, and checks that it
// holds every changeset the replica has unsynced; nil if there is no copy
// or it does not open (a failure, which the client-reset oracle reports
// too).
func (c *syncClient) backupCopy(m client.ManualReset) *history.BackupCopy {
	if m.BackupPath == "" {
		c.run.w.Fail(fmt.Errorf("%w: %s: the manual handler got no backup copy: %v", ErrReset, c.node.Name, m.Reason))
		return nil
	}
	b, err := replica.Open(c.node.Storage(), m.BackupPath, c.node.Clock(), schema.Schema{})
	if err != nil {
		c.run.w.Fail(fmt.Errorf("%w: %s: the backup copy %q does not open: %w", ErrReset, c.node.Name, m.BackupPath, err))
		return nil
	}
	defer b.Close()
	ident, _ := b.Ident()
	bc := &history.BackupCopy{State: observe.State(b.State())}
	for _, cs := range b.Unsynced() {
		bc.Unsynced = append(bc.Unsynced, history.ChangesetID{File: ident, Version: cs.Version})
	}
	if got, want := versionsOf(b.Unsynced()), versionsOf(c.realm.Replica().Unsynced()); !slices.Equal(got, want) {
		c.run.w.Fail(fmt.Errorf("%w: %s: the backup copy holds unsynced changesets %v, the replica %v", ErrReset, c.node.Name, got, want))
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
func (c *syncClient) unsyncedNow(ask resetAsk) *resetBegun {
	rep := c.realm.Replica()
	ident, _ := rep.Ident()
	b := &resetBegun{ask: ask, old: ident, before: observe.State(rep.State())}
	for _, cs := range rep.Unsynced() {
		b.unsynced = append(b.unsynced, observe.Changeset(history.ChangesetID{File: ident, Version: cs.Version}, cs))
	}
	return b
}

// resetFailed records the automatic reset under way, if any, as failed:
// the client process is about to die with it.
func (c *syncClient) resetFailed() {
	if c.realm == nil {
		return
	}
	rep := c.realm.Replica()
	now := c.run.now()
	b := c.log.resetting
	c.log.resetting = nil
	if b == nil {
		if !c.realm.Session().Resetting() || c.log.asked == nil {
			return // no reset under way (or one the client began itself, which the wire did not show)
		}
		b = c.unsyncedNow(c.takeAsk())
		b.call = b.ask.at
	}
	c.recordReset(b, c.reset(b, history.ResetFailed, now), rep.State(), nil)
}
