package replica

import (
	"fmt"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/journal"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/store"
)

// ResetMode is the kind of automatic client reset a pending-reset record
// names.
type ResetMode uint8

// The reset modes a record can name.
const (
	ResetDiscard ResetMode = iota + 1
	ResetRecover
)

func (m ResetMode) String() string {
	switch m {
	case ResetDiscard:
		return "discard"
	case ResetRecover:
		return "recover"
	}
	return fmt.Sprintf("reset mode %d", uint8(m))
}

// PendingReset is the persisted "reset in progress" record that stops
// reset loops: written before an automatic client reset begins, it stays
// until the reset has succeeded, i.e. the replica adopted the fresh copy
// and the server acknowledged the recovered changes (see EndReset).
type PendingReset struct {
	Mode ResetMode
	At   env.Time // when the reset began, by the replica's clock
	// Adopted: the replica has taken over the fresh copy. Upload is then
	// the local version (of the new client file) the server must
	// acknowledge for the reset to have succeeded.
	Adopted bool
	Upload  uint64
}

// ResetObserver is an optional extension of Observer: an observer that
// implements it is told when the replica adopts a fresh copy in a client
// reset, after it is durable, with the new client file ident and download
// cursor. (The recovered changes, if any, follow as a Committed call.)
type ResetObserver interface {
	Adopted(ident uint64, cursor protocol.DownloadCursor)
}

// PendingReset returns the "reset in progress" record, if there is one.
func (r *Replica) PendingReset() (PendingReset, bool) {
	if r.pending == nil {
		return PendingReset{}, false
	}
	return *r.pending, true
}

// BeginReset durably records that a client reset in mode begins, now;
// it replaces any earlier record.
func (r *Replica) BeginReset(mode ResetMode) error {
	if r.broken != nil {
		return r.broken
	}
	if mode != ResetDiscard && mode != ResetRecover {
		return fmt.Errorf("replica %q: begin reset: %s", r.name, mode)
	}
	p := PendingReset{Mode: mode, At: r.clk.Now()}
	if err := r.persist(encodePending(&p)); err != nil {
		return err
	}
	r.pending = &p
	return nil
}

// EndReset durably removes the "reset in progress" record (the reset
// succeeded); without one it does nothing.
func (r *Replica) EndReset() error {
	if r.broken != nil {
		return r.broken
	}
	if r.pending == nil {
		return nil
	}
	if err := r.persist([]byte{recResetDone}); err != nil {
		return err
	}
	r.pending = nil
	return nil
}

// adoption is what a client reset changes in a replica, as journaled.
type adoption struct {
	ident, salt uint64
	cursor      protocol.DownloadCursor
	epoch       uint64
	diff        []changeset.Instruction // local state -> target
	recovered   *changeset.Changeset    // the new file's local version 1, or nil
}

// Adopt completes a client reset: the replica takes over the fresh copy
// fresh (a replica that downloaded the server's realm under a new client
// file and made no changes of its own) and makes its state equal to
// target, writing only the difference. It takes the fresh copy's client
// file ident and salt, download cursor and epoch; its own changesets are
// dropped, the upload cursor starts over, and recovered, if not empty,
// becomes its one own changeset, local version 1 of the new file, based on
// the fresh copy's cursor: the recovered changes to upload. A pending-reset
// record is kept as adopted until the server acknowledges that version
// (without recovered changes it is removed). The change is atomic and
// durable when Adopt returns; fresh is not modified (the caller closes and
// deletes it).
func (r *Replica) Adopt(fresh *Replica, target *store.State, recovered []changeset.Instruction) error {
	if r.broken != nil {
		return r.broken
	}
	if r.tx != nil {
		return fmt.Errorf("replica %q: Adopt inside a write transaction", r.name)
	}
	ident, salt := fresh.Ident()
	switch {
	case ident == 0:
		return fmt.Errorf("replica %q: adopting %q, which has no client file ident", r.name, fresh.name)
	case fresh.Version() != 0:
		return fmt.Errorf("replica %q: adopting %q, which has local changes", r.name, fresh.name)
	}
	cursor, epoch := fresh.DownloadCursor()
	a := &adoption{ident: ident, salt: salt, cursor: cursor, epoch: epoch, diff: Diff(r.state, target)}
	if len(recovered) > 0 {
		a.recovered = &changeset.Changeset{Version: 1, LastIntegratedServerVersion: cursor.ServerVersion,
			OriginTimestamp: int64(r.clk.Now()), OriginFileIdent: ident, Instructions: recovered}
		for i := range recovered {
			if err := recovered[i].Validate(); err != nil {
				return fmt.Errorf("replica %q: recovered instruction %d: %w", r.name, i, err)
			}
		}
	}
	rec := encodeAdopt(a)
	if err := r.adopt(a); err != nil {
		return fmt.Errorf("replica %q: adopting %q: %w", r.name, fresh.name, err)
	}
	var err error
	if len(rec) <= journal.MaxRecord {
		err = r.persist(rec)
	} else if err = r.j.Rewrite(r.snapshot()); err != nil {
		err = r.fail(err)
	}
	if err != nil {
		return err
	}
	for _, o := range r.observers {
		if ro, ok := o.(ResetObserver); ok {
			ro.Adopted(r.ident, r.cursor)
		}
		if a.recovered != nil {
			o.Committed(a.recovered)
		}
	}
	r.maybeCompact()
	return nil
}

// adopt applies an adoption to memory. Only the state change can fail,
// and then nothing changed.
func (r *Replica) adopt(a *adoption) error {
	if len(a.diff) > 0 {
		if err := r.state.Apply(&changeset.Changeset{Instructions: a.diff}); err != nil {
			return err
		}
	}
	r.ident, r.salt, r.cursor, r.epoch = a.ident, a.salt, a.cursor, a.epoch
	r.acked = protocol.UploadCursor{}
	r.version, r.owns, r.recip, r.unacked = 0, nil, nil, 0
	if a.recovered != nil {
		r.addOwn(a.recovered, len(changeset.Encode(a.recovered)))
	}
	if r.pending != nil {
		if a.recovered == nil {
			r.pending = nil
		} else {
			r.pending.Adopted, r.pending.Upload = true, a.recovered.Version
		}
	}
	return nil
}
