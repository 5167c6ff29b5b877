package client

import (
	"errors"
	"fmt"
	"slices"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/mutant"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// ClientResetMode is what a session does when the server asks for a
// client reset (an ERROR with action client reset, with or without
// recovery).
type ClientResetMode uint8

// The client reset modes. The zero value is RecoverUnsyncedChanges, the
// default.
const (
	// RecoverUnsyncedChanges downloads a fresh copy of the realm, replays
	// the unsynced local changes onto it with the recovery rules (see
	// replica.Recover), makes the local replica equal to the result and
	// uploads the recovered changes.
	RecoverUnsyncedChanges ClientResetMode = iota
	// Manual stops syncing and hands the app a backup copy of the replica.
	Manual
	// DiscardUnsyncedChanges downloads a fresh copy and makes the local
	// replica equal to it: unsynced changes are deleted.
	DiscardUnsyncedChanges
	// RecoverOrDiscard recovers, or discards when recovery is not allowed
	// (recovery disabled on the server, or a recovery still pending).
	RecoverOrDiscard
)

func (m ClientResetMode) String() string {
	switch m {
	case RecoverUnsyncedChanges:
		return "recoverUnsyncedChanges"
	case Manual:
		return "manual"
	case DiscardUnsyncedChanges:
		return "discardUnsyncedChanges"
	case RecoverOrDiscard:
		return "recoverOrDiscard"
	}
	return fmt.Sprintf("client reset mode %d", uint8(m))
}

// ClientResetConfig configures a realm's client resets.
type ClientResetConfig struct {
	// Mode is the reset mode; default RecoverUnsyncedChanges.
	Mode ClientResetMode
	// ManualHandler is called when a reset goes to the manual handler (the
	// mode is Manual, or an automatic reset cannot proceed); the session
	// has stopped. Without it, the realm's ErrorHandler gets the
	// *ManualReset.
	ManualHandler func(ManualReset)
	// Before is called during an automatic reset once the fresh copy is
	// downloaded, before the local replica changes and before the
	// pending-reset record is written, with a copy of the local state.
	Before func(before *store.State)
	// After is called when an automatic reset has succeeded, with the
	// state before (the copy Before got), the replica's state now (read
	// only) and whether unsynced changes were recovered (false: they were
	// discarded).
	After func(before, after *store.State, recovered bool)
}

// Why a reset goes to the manual handler (ManualReset.Reason wraps one).
var (
	// ErrManualMode: the realm's reset mode is Manual.
	ErrManualMode = errors.New("client reset mode is manual")
	// ErrBreakingSchemaChange: the server made a breaking schema change
	// (error code SchemaChange).
	ErrBreakingSchemaChange = errors.New("breaking schema change")
	// ErrRecoveryDisabled: the server does not allow recovery (action
	// client reset without recovery) and the mode is
	// RecoverUnsyncedChanges.
	ErrRecoveryDisabled = errors.New("recovery disabled on the server")
	// ErrDownloadSchemaMismatch: integrating a download found that the
	// local schema contradicts the server's (the client asks itself for a
	// reset without recovery; recovery on the server may well be on).
	ErrDownloadSchemaMismatch = errors.New("schema mismatch integrating a download")
	// ErrDownloadFailed: integrating a download failed otherwise (the
	// client asks itself for a reset without recovery).
	ErrDownloadFailed = errors.New("integrating a download failed")
	// ErrResetCycle: an earlier automatic reset is still pending and the
	// pending-record rules refuse another.
	ErrResetCycle = errors.New("a previous client reset did not succeed")
	// ErrResetSchemaMismatch: the local replica has a class or property
	// the fresh copy lacks, or with another type.
	ErrResetSchemaMismatch = errors.New("local schema not in the fresh copy")
	// ErrResetFailed: the automatic reset failed (the fresh download or
	// the recovery did not go through).
	ErrResetFailed = errors.New("automatic client reset failed")
)

// ManualReset is a client reset handed to the app: the error that asked
// for it, why it is not automatic, and the path (on the app's storage) of
// a backup copy of the pre-reset replica's journal, which holds every
// unsynced change and opens with replica.Open. The session has stopped;
// nothing local was changed. As an error (the session's Err), it wraps
// both Err and Reason.
//
// The reset's file actions are pending: at the next open of the realm the
// replica moves to BackupPath (writes made meanwhile go with it) and the
// realm starts afresh; the handler may run them at once with
// App.RunFileActions.
type ManualReset struct {
	Path       string     // the realm's path
	Err        *SyncError // the reset error
	Reason     error      // wraps one of the Err... reasons above
	BackupPath string     // "" if the copy failed (Reason then says why)
}

func (m *ManualReset) Error() string {
	return fmt.Sprintf("client reset of %q needs the manual handler: %v: %v (backup %q)", m.Path, m.Err, m.Reason, m.BackupPath)
}

func (m *ManualReset) Unwrap() []error { return []error{m.Err, m.Reason} }

// ResetOutcome is what a client reset of a session did.
type ResetOutcome struct {
	Error *SyncError
	At    env.Time // when it ended, by the client's clock
	// Mode is the mode applied: DiscardUnsyncedChanges,
	// RecoverUnsyncedChanges or Manual.
	Mode   ClientResetMode
	Manual *ManualReset // Mode Manual
	// Discarded: the unsynced changesets a discard deleted. Recovered: the
	// changeset a recovery committed for upload (nil if nothing to
	// recover).
	Discarded []*changeset.Changeset
	Recovered *changeset.Changeset
}

// LastReset is the outcome of the session's last client reset (nil if
// none since the realm was opened).
func (s *Session) LastReset() *ResetOutcome { return s.lastReset }

// Resetting reports whether an automatic client reset is under way (the
// fresh copy downloading).
func (s *Session) Resetting() bool { return s.resetting != nil }

// planReset decides how a reset asked for by e goes, given the configured
// mode and the pending-reset record, if any: it returns the mode to apply
// (DiscardUnsyncedChanges, RecoverUnsyncedChanges, or Manual with why).
// mutants are the app's (see package mutant).
func planReset(mode ClientResetMode, pending *replica.PendingReset, e *SyncError, mutants mutant.Set) (ClientResetMode, error) {
	switch {
	case mode == Manual:
		return Manual, ErrManualMode
	case e.Code == protocol.SchemaChange:
		return Manual, ErrBreakingSchemaChange
	}
	if pending != nil {
		switch {
		case pending.Mode == replica.ResetDiscard:
			return Manual, fmt.Errorf("%w: a %s reset from %d is pending, %s refused", ErrResetCycle, pending.Mode, pending.At, mode)
		case mode == RecoverUnsyncedChanges:
			return Manual, fmt.Errorf("%w: a %s reset from %d is pending", ErrResetCycle, pending.Mode, pending.At)
		case mode == RecoverOrDiscard:
			mode = DiscardUnsyncedChanges
		}
	}
	if e.Action == protocol.ActionClientResetNoRecovery {
		switch {
		case mode == RecoverUnsyncedChanges,
			mode == RecoverOrDiscard && mutants.Has(mutant.RecoverOrDiscardNoFallback): // MUTANT recover-or-discard-no-fallback
			return Manual, noRecoveryReason(e)
		case mode == RecoverOrDiscard:
			mode = DiscardUnsyncedChanges
		}
	}
	if mode == RecoverOrDiscard {
		mode = RecoverUnsyncedChanges
	}
	return mode, nil
}

// noRecoveryReason says why a reset without recovery cannot recover: the
// server does not allow it, or (for a reset the client asked of itself)
// integrating a download failed, by a schema mismatch or otherwise.
func noRecoveryReason(e *SyncError) error {
	switch {
	case e.Local == nil:
		return ErrRecoveryDisabled
	case errors.Is(e.Local, store.ErrSchemaMismatch):
		return fmt.Errorf("%w: %w", ErrDownloadSchemaMismatch, e.Local)
	}
	return fmt.Errorf("%w: %w", ErrDownloadFailed, e.Local)
}

// resetOp is an automatic client reset under way: the fresh copy
// downloading under a new client file on the session's binding.
type resetOp struct {
	err   *SyncError
	mode  ClientResetMode // DiscardUnsyncedChanges or RecoverUnsyncedChanges
	fresh *replica.Replica
	// mark is the MARK whose echo completes the fresh download (0 until
	// the fresh copy is identified on the current binding).
	mark uint64
	// seen is the last of the replica's unsynced client versions the fresh
	// download showed the server has integrated (its acknowledgement was
	// lost): those are in the fresh copy already, not to be replayed.
	seen uint64
}

// freshName is the file of a replica's fresh copy.
func freshName(name string) string { return name + ".fresh" }

// clientReset handles an error asking for a client reset: by the mode
// and the pending-reset rules, it starts an automatic reset or hands the
// reset to the manual handler.
func (s *Session) clientReset(e *SyncError) {
	if s.state == Dying {
		s.deactivate(fmt.Errorf("%w: %w", ErrSessionClosed, e))
		return
	}
	var pending *replica.PendingReset
	if p, ok := s.r.PendingReset(); ok {
		pending = &p
	}
	mode, why := planReset(s.cfg.ClientReset.Mode, pending, e, s.c.cfg.Mutants)
	if mode == Manual {
		s.manualReset(e, why)
		return
	}
	// The pending-reset record is written once the fresh copy is in and
	// the before-callback has run (finishReset), as realm-core does: a
	// reset interrupted while the fresh copy downloads changed nothing
	// local and leaves no record.
	s.startFresh(&resetOp{err: e, mode: mode})
}

// erasesSchema reports whether some changeset erases a class or property.
func erasesSchema(seq []*changeset.Changeset) bool {
	for _, cs := range seq {
		for _, in := range cs.Instructions {
			if in.Op == changeset.EraseTable || in.Op == changeset.EraseColumn {
				return true
			}
		}
	}
	return false
}

// startFresh begins downloading a fresh copy for op: a new, empty replica
// that binds with a new client file.
func (s *Session) startFresh(op *resetOp) {
	name := freshName(s.r.Name())
	var fresh *replica.Replica
	err := s.removeFresh(name)
	if err == nil {
		fresh, err = replica.OpenWith(s.c.h.st, name, s.c.h.clk, schema.Schema{}, s.c.replicaOptions(s.cfg))
	}
	if err != nil {
		s.manualReset(op.err, fmt.Errorf("%w: opening the fresh copy: %w", ErrResetFailed, err))
		return
	}
	op.fresh, op.mark, op.seen = fresh, 0, 0
	s.resetting = op
	s.bind()
}

// removeFresh deletes a fresh copy's files.
func (s *Session) removeFresh(name string) error {
	st := s.c.h.st
	if err := st.Remove(name); err != nil {
		return err
	}
	return st.Remove(name + ".tmp")
}

// abandonReset ends the reset under way (if any) and deletes its fresh
// copy; a pending-reset record stays.
func (s *Session) abandonReset() {
	op := s.resetting
	if op == nil {
		return
	}
	s.resetting = nil
	_ = op.fresh.Close()                     // nothing of it is kept
	_ = s.removeFresh(freshName(s.r.Name())) // a leftover is removed by the next reset
}

// syncing is the replica the session's binding syncs: the fresh copy
// during a reset, else the realm's.
func (s *Session) syncing() *replica.Replica {
	if s.resetting != nil {
		return s.resetting.fresh
	}
	return s.r
}

// freshRefused handles a reset error for the fresh copy's own file (e.g. a
// restore on the server while it downloaded): the fresh copy starts over.
func (s *Session) freshRefused() {
	op := s.resetting
	s.abandonReset()
	s.startFresh(op)
}

// freshDownload integrates a DOWNLOAD into the fresh copy, noting which of
// the replica's unsynced changesets the server already has.
func (s *Session) freshDownload(d *protocol.Download) {
	op := s.resetting
	ident, _ := s.r.Ident()
	unsynced := s.r.Unsynced()
	for i := range d.Changesets {
		cs := &d.Changesets[i].Changeset
		if ident == 0 || cs.OriginFileIdent != ident {
			continue
		}
		for _, own := range unsynced {
			if own.Version == cs.Version && own.OriginTimestamp == cs.OriginTimestamp {
				op.seen = max(op.seen, own.Version)
			}
		}
	}
	if err := op.fresh.Integrate(d); err != nil {
		s.unbind(true)
		s.abandonReset()
		s.manualReset(op.err, fmt.Errorf("%w: integrating the fresh download: %w", ErrResetFailed, err))
	}
}

// finishReset completes an automatic reset once the fresh copy is
// downloaded: it computes the target state (the fresh state, or the
// recovery's), checks that it holds the local schema, makes the local
// replica adopt the fresh copy, then syncs on as the new client file on
// the same binding.
func (s *Session) finishReset() {
	op := s.resetting
	before := s.r.State().Clone()
	if s.cfg.ClientReset.Before != nil {
		// The callback sees the replica as it was, without a record.
		s.cfg.ClientReset.Before(before)
		if s.resetting != op {
			return // the callback closed the realm
		}
	}
	var unsynced, recip []*changeset.Changeset
	for _, cs := range s.r.Unsynced() {
		if cs.Version > op.seen {
			unsynced = append(unsynced, cs)
		}
	}
	// Recovery replays the reciprocal forms: as transformed against the
	// server changes integrated on top of them, not as first written.
	for _, cs := range s.r.Reciprocal() {
		if cs.Version > op.seen {
			recip = append(recip, cs)
		}
	}
	if op.mode == RecoverUnsyncedChanges && erasesSchema(recip) {
		// Recovery cannot replay a destructive schema change (realm-core
		// refuses it too): as if recovery were not allowed.
		if s.cfg.ClientReset.Mode != RecoverOrDiscard {
			s.unbind(true)
			s.abandonReset()
			s.manualReset(op.err, replica.ErrRecoveryErasesSchema)
			return
		}
		op.mode = DiscardUnsyncedChanges
	}
	// The record next, before anything local changes; it stays if the
	// reset fails, and goes when it has succeeded (see replica.Adopt).
	rm := replica.ResetRecover
	if op.mode == DiscardUnsyncedChanges {
		rm = replica.ResetDiscard
	}
	if err := s.r.BeginReset(rm); err != nil {
		s.fail(err, true)
		return
	}
	target, recovered := op.fresh.State(), []changeset.Instruction(nil)
	if op.mode == RecoverUnsyncedChanges {
		var err error
		if target, recovered, err = s.r.Recover(target, recip); err != nil {
			reason := ErrResetFailed
			if errors.Is(err, store.ErrSchemaMismatch) {
				reason = ErrResetSchemaMismatch
			}
			s.unbind(true)
			s.abandonReset()
			s.manualReset(op.err, fmt.Errorf("%w: %w", reason, err))
			return
		}
	}
	if err := schemaHeld(s.r.State(), target); err != nil {
		s.unbind(true)
		s.abandonReset()
		s.manualReset(op.err, err)
		return
	}
	if err := s.r.Adopt(op.fresh, target, recovered); err != nil {
		s.abandonReset()
		if s.r.Err() != nil {
			s.fail(err, true)
			return
		}
		s.unbind(true)
		s.manualReset(op.err, fmt.Errorf("%w: %w", ErrResetFailed, err))
		return
	}
	s.abandonReset()
	out := &ResetOutcome{Error: op.err, At: s.c.h.clk.Now(), Mode: op.mode}
	if op.mode == DiscardUnsyncedChanges {
		out.Discarded = unsynced
		if s.c.cfg.Mutants.Has(mutant.DiscardUnreported) {
			out.Discarded = nil // MUTANT discard-unreported
		}
	} else if own := s.r.Unsynced(); len(own) > 0 {
		out.Recovered = own[0]
	}
	s.lastReset, s.reset = out, nil
	// Waits for uploads name versions of the old file; what they waited
	// for is now the recovered changeset, or nothing.
	for _, w := range s.waits {
		if !w.download {
			w.target = s.r.Version()
		}
	}
	if err := s.c.recordFile(s); err != nil {
		s.fail(err, true)
		return
	}
	if s.cfg.ClientReset.After != nil {
		s.cfg.ClientReset.After(before, s.r.State(), op.mode == RecoverUnsyncedChanges)
	}
	if s.ident == 0 {
		return // the callback paused or closed the session
	}
	s.downloading = true // the binding's first DOWNLOAD came to the fresh copy
	s.upload()
	s.notifyProgress(Upload)
	s.checkUploadWaits()
}

// schemaHeld checks that target has every class and property of local,
// with the same primary key kind and type.
func schemaHeld(local, target *store.State) error {
	for _, c := range local.Schema().Classes {
		tc, ok := target.Class(c.Name)
		if !ok || tc.PKKind != c.PKKind {
			return fmt.Errorf("%w: class %q", ErrResetSchemaMismatch, c.Name)
		}
		for _, p := range c.Props {
			if tp, ok := tc.Property(p.Name); !ok || tp.Type != p.Type {
				return fmt.Errorf("%w: property %s.%s of type %s", ErrResetSchemaMismatch, c.Name, p.Name, p.Type)
			}
		}
	}
	return nil
}

// manualReset hands a reset to the manual handler: a backup copy of the
// replica's journal is made, the session stops (a fresh copy, even one a
// crash left, is deleted), and the handler (or the error handler) is
// called.
func (s *Session) manualReset(e *SyncError, why error) {
	_ = s.removeFresh(freshName(s.r.Name())) // a leftover is removed by the next reset
	m := &ManualReset{Path: s.cfg.Path, Err: e, Reason: why}
	if path, err := s.backup(); err != nil {
		m.Reason = errors.Join(why, fmt.Errorf("backup copy of the replica: %w", err))
	} else if err := s.c.pendFileActions(s.r.Name(), path); err != nil {
		m.Reason = errors.Join(why, fmt.Errorf("recording the file actions: %w", err))
		m.BackupPath = path
	} else {
		m.BackupPath = path
	}
	s.reset = e
	s.lastReset = &ResetOutcome{Error: e, At: s.c.h.clk.Now(), Mode: Manual, Manual: m}
	s.stop(m, true)
	if h := s.cfg.ClientReset.ManualHandler; h != nil {
		h(*m)
		return
	}
	s.report(m)
}

// backup copies the replica's journal to a new file next to it,
// <name>.backup-<n>, and returns its name.
func (s *Session) backup() (string, error) {
	st, name := s.c.h.st, s.r.Name()
	taken, err := st.List(name + ".backup-")
	if err != nil {
		return "", err
	}
	n := 1
	for slices.Contains(taken, fmt.Sprintf("%s.backup-%d", name, n)) {
		n++
	}
	path := fmt.Sprintf("%s.backup-%d", name, n)
	content, err := readFile(st, name)
	if err != nil {
		return "", err
	}
	if s.c.cfg.Mutants.Has(mutant.ManualBackupLosesLast) && len(content) > 0 {
		// MUTANT manual-backup-loses-last: the copy is one byte short, so
		// its last journal record reads as a torn tail and is cut off.
		content = content[:len(content)-1]
	}
	if err := writeFile(st, path, content); err != nil {
		return "", err
	}
	return path, nil
}
