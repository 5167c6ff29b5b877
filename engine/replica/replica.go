// Package replica is a client's local replica of one realm: its state, its
// own changesets (kept in their original form for upload and in a
// "reciprocal" form for transforming downloads), its sync cursors and its
// client file identity, all persisted in a journal on env.Storage.
//
// Local writes (Write) always succeed unless an instruction does not fit
// the schema or the disk fails: a write is committed once its journal
// record is synced, before Write returns. Downloads are integrated
// (Integrate) by the reciprocal-history rule of the sync protocol and made
// durable the same way. A crash and restart (drop the Replica, Open it
// again on the same Storage) keeps every committed write and every
// integrated download.
//
// A client reset (the client side drives it) downloads a fresh copy into
// a separate replica, computes the target state (the fresh state, or
// Recover's), and Adopt makes this replica equal to it, writing only the
// difference, under the fresh copy's client file; a persisted
// PendingReset record (BeginReset, EndReset) stops reset loops.
//
// After a disk failure the replica is broken: every later write or
// integration returns the failure, since memory and disk may disagree; the
// process must open the replica again.
//
// A Replica is single-threaded, like the rest of the engine.
package replica

import (
	"errors"
	"fmt"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/journal"
	"github.com/syncsim/syncsim/engine/mutant"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// ErrBroken is wrapped by every error of a replica whose disk failed.
var ErrBroken = errors.New("replica broken by a disk failure; open it again")

// Observer is told of a replica's durable changes, in order: local commits
// and integrated downloads. Calls come after the change is durable.
type Observer interface {
	// Committed is called for each local changeset committed, in its
	// original form. The changeset must not be modified.
	Committed(cs *changeset.Changeset)
	// Integrated is called for each download integrated.
	Integrated(d *protocol.Download)
}

// Options tune a replica.
type Options struct {
	// CompactBytes is the journal size past which the journal is rewritten
	// as a snapshot (it must also have doubled since the last snapshot).
	// Default 1 MiB.
	CompactBytes int64
	// Mutants switches deliberate bugs on (see package mutant): the merge
	// mutants in Integrate, the reset mutants in Recover. Zero: none.
	Mutants mutant.Set
	// MaxTransformInstructions bounds the work of one integration: a
	// download whose transform would take or produce more instructions
	// fails with an error wrapping merge.ErrTooLarge instead of growing
	// without bound. Zero: DefaultMaxTransformInstructions; negative: none.
	MaxTransformInstructions int
}

const defaultCompactBytes = 1 << 20

// DefaultMaxTransformInstructions is the default of
// Options.MaxTransformInstructions: far more than any real integration.
const DefaultMaxTransformInstructions = 1_000_000

// maxTransform is the bound on an integration's instructions; 0: none.
func (o *Options) maxTransform() int {
	switch {
	case o.MaxTransformInstructions == 0:
		return DefaultMaxTransformInstructions
	case o.MaxTransformInstructions < 0:
		return 0
	}
	return o.MaxTransformInstructions
}

// own is one of the replica's own changesets in its original form, with
// its encoded size (for upload batching and progress).
type own struct {
	cs   *changeset.Changeset
	size int
}

// Replica is one realm's local replica. Make one with Open.
type Replica struct {
	name string
	clk  env.Clock
	j    *journal.Journal
	opts Options

	state   *store.State
	ident   uint64 // client file ident; 0 until the server assigns one
	salt    uint64 // the ident's salt
	version uint64 // the last local version committed

	cursor protocol.DownloadCursor // download progress
	epoch  uint64                  // the server version salt of cursor
	acked  protocol.UploadCursor   // the upload progress the server acknowledged

	// owns holds the original forms of the own changesets the server has
	// not acknowledged (Version > acked.ClientVersion), in order.
	owns []own
	// recip holds the reciprocal forms of the own changesets some later
	// server changeset may still be concurrent with (Version >
	// cursor.LastIntegratedClientVersion), in order.
	recip []*changeset.Changeset

	unacked uint64 // the encoded size of owns

	pending *PendingReset // the "reset in progress" record, or nil

	observers []Observer
	tx        *Tx   // the write transaction in progress
	broken    error // set by a disk failure
	compactAt int64 // journal size that triggers the next compaction
}

// Open loads the replica called name from st (creating it if it does not
// exist) and makes sure its schema holds the declared schema sch: on first
// open sch is committed as AddTable/AddColumn instructions in the first
// local changeset; on a later open the classes and properties sch adds are
// committed. A change to an existing class or property (primary key kind,
// property type) is an error wrapping store.ErrSchemaMismatch. clk gives
// the commit timestamps.
func Open(st env.Storage, name string, clk env.Clock, sch schema.Schema) (*Replica, error) {
	return OpenWith(st, name, clk, sch, Options{})
}

// OpenWith is Open with options.
func OpenWith(st env.Storage, name string, clk env.Clock, sch schema.Schema, opts Options) (*Replica, error) {
	if err := sch.Validate(); err != nil {
		return nil, fmt.Errorf("replica %q: declared schema: %w", name, err)
	}
	if opts.CompactBytes <= 0 {
		opts.CompactBytes = defaultCompactBytes
	}
	j, recs, err := journal.Open(st, name)
	if err != nil {
		return nil, fmt.Errorf("replica %q: %w", name, err)
	}
	r := &Replica{name: name, clk: clk, j: j, opts: opts, state: store.New()}
	for i, rec := range recs {
		if err := r.replay(rec); err != nil {
			_ = j.Close() // the replay error is the one to report
			return nil, fmt.Errorf("replica %q: journal record %d: %w", name, i, err)
		}
	}
	r.compactAt = max(opts.CompactBytes, 2*j.Size())
	ins, err := schemaAdditions(r.state, sch)
	if err != nil {
		_ = j.Close()
		return nil, fmt.Errorf("replica %q: %w", name, err)
	}
	if len(ins) > 0 {
		if _, err := r.commitInstructions(ins); err != nil {
			_ = j.Close()
			return nil, fmt.Errorf("replica %q: committing the schema: %w", name, err)
		}
	}
	return r, nil
}

// Close closes the journal. Everything committed is already durable.
func (r *Replica) Close() error {
	if r.broken == nil {
		r.broken = fmt.Errorf("replica %q: %w", r.name, journal.ErrClosed)
	}
	return r.j.Close()
}

// Name is the replica's journal file name.
func (r *Replica) Name() string { return r.name }

// AddObserver registers o to be told of later commits and integrations.
func (r *Replica) AddObserver(o Observer) { r.observers = append(r.observers, o) }

// RemoveObserver unregisters o.
func (r *Replica) RemoveObserver(o Observer) {
	for i, x := range r.observers {
		if x == o {
			r.observers = append(r.observers[:i:i], r.observers[i+1:]...)
			return
		}
	}
}

// State returns the current state. It is the replica's own: callers must
// only read it (store's read accessors), never Apply to it; inside a write
// transaction it shows the transaction's changes so far.
func (r *Replica) State() *store.State { return r.state }

// Ident returns the client file ident and its salt; 0, 0 until assigned.
func (r *Replica) Ident() (ident, salt uint64) { return r.ident, r.salt }

// Version is the last local version committed (0 before any).
func (r *Replica) Version() uint64 { return r.version }

// DownloadCursor returns the download progress and the salt of the
// server epoch it belongs to (0 for a fresh replica).
func (r *Replica) DownloadCursor() (protocol.DownloadCursor, uint64) { return r.cursor, r.epoch }

// Acked is the upload progress the server has acknowledged.
func (r *Replica) Acked() protocol.UploadCursor { return r.acked }

// Err is why the replica accepts no more changes (a disk failure, or
// Close), or nil.
func (r *Replica) Err() error { return r.broken }

// SetIdent records the client file ident and salt the server assigned,
// durably. Own changesets committed before, which carry ident 0, take it
// as their origin. A replica keeps the ident it has: setting another is
// an error.
func (r *Replica) SetIdent(ident, salt uint64) error {
	if r.broken != nil {
		return r.broken
	}
	switch {
	case ident == 0:
		return fmt.Errorf("replica %q: client file ident 0", r.name)
	case r.ident == ident && r.salt == salt:
		return nil
	case r.ident != 0:
		return fmt.Errorf("replica %q: already has client file ident %d (salt %d), cannot take %d (salt %d)",
			r.name, r.ident, r.salt, ident, salt)
	}
	if err := r.persist(encodeIdent(ident, salt)); err != nil {
		return err
	}
	r.setIdent(ident, salt)
	return nil
}

// setIdent sets the ident and gives it to the own changesets made before.
func (r *Replica) setIdent(ident, salt uint64) {
	r.ident, r.salt = ident, salt
	withIdent := func(cs *changeset.Changeset) *changeset.Changeset {
		if cs.OriginFileIdent != 0 {
			return cs
		}
		c := *cs
		c.OriginFileIdent = ident
		return &c
	}
	for i := range r.owns {
		r.owns[i].cs = withIdent(r.owns[i].cs)
	}
	for i, cs := range r.recip {
		r.recip[i] = withIdent(cs)
	}
}

// Uploadable returns, in order, copies of the own changesets with Version
// > after that the server has not acknowledged, in their original form
// with OriginFileIdent filled in, up to about maxBytes of encoded size
// (at least one changeset when there is any).
func (r *Replica) Uploadable(after uint64, maxBytes int) []changeset.Changeset {
	var out []changeset.Changeset
	n := 0
	for _, o := range r.owns {
		if o.cs.Version <= after {
			continue
		}
		if len(out) > 0 && n+o.size > maxBytes {
			break
		}
		c := *o.cs
		if c.OriginFileIdent == 0 {
			c.OriginFileIdent = r.ident
		}
		out = append(out, c)
		n += o.size
	}
	return out
}

// Unsynced returns the own changesets after the acknowledged upload
// cursor, in their original form and in order. They must not be modified.
func (r *Replica) Unsynced() []*changeset.Changeset {
	out := make([]*changeset.Changeset, len(r.owns))
	for i, o := range r.owns {
		out[i] = o.cs
	}
	return out
}

// Reciprocal returns the own changesets after the acknowledged upload
// cursor (those of Unsynced, in order) in their reciprocal form: as
// transformed against the server changesets integrated on top of them, so
// that applied in order after the integrated server changes they give the
// current state. A client reset recovers these, not the original forms: a
// client that interleaved its list inserts with the server's keeps that
// order. (An unsynced changeset the download cursor says the server has
// integrated has no reciprocal form left; its original form is given.)
// They must not be modified.
func (r *Replica) Reciprocal() []*changeset.Changeset {
	out := make([]*changeset.Changeset, len(r.owns))
	k := 0
	for i, o := range r.owns {
		for k < len(r.recip) && r.recip[k].Version < o.cs.Version {
			k++
		}
		if k < len(r.recip) && r.recip[k].Version == o.cs.Version {
			out[i] = r.recip[k]
		} else {
			out[i] = o.cs
		}
	}
	return out
}

// UnackedBytes is the encoded size of the own changesets the server has
// not acknowledged: the upload work outstanding.
func (r *Replica) UnackedBytes() uint64 { return r.unacked }

// persist appends rec to the journal and syncs it; a failure breaks the
// replica. After success it compacts the journal when it has grown.
func (r *Replica) persist(rec []byte) error {
	if err := r.j.Append(rec); err != nil {
		return r.fail(err)
	}
	if err := r.j.Sync(); err != nil {
		return r.fail(err)
	}
	return nil
}

// fail breaks the replica with err and returns the error to report.
func (r *Replica) fail(err error) error {
	if r.broken == nil {
		r.broken = fmt.Errorf("replica %q: %w: %w", r.name, ErrBroken, err)
	}
	return r.broken
}
