package replica

import (
	"errors"
	"fmt"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/engine/wire"
)

// The journal holds one record per durable change, each a kind byte and
// its payload:
//
//	commit     a local changeset (changeset encoding)
//	ident      uvarint(ident) uvarint(salt)
//	download   an integrated DOWNLOAD (protocol encoding), integrated
//	           again on replay (the integration is deterministic)
//	reset      a "reset in progress" record: uvarint(mode) varint(at)
//	           bool(adopted) uvarint(upload); it replaces any earlier one
//	resetDone  the reset record is removed (empty payload)
//	adopt      a client reset's adoption of a fresh copy: uvarint: ident
//	           salt cursor.ServerVersion cursor.LastIntegratedClientVersion
//	           epoch; bytes(the diff as a changeset encoding);
//	           bool(recovered) and if set bytes(the recovered changeset)
//
// A compaction rewrites the journal as a snapshot, which later records
// follow:
//
//	snapshot   uvarint: ident salt version cursor.ServerVersion
//	           cursor.LastIntegratedClientVersion epoch acked.ClientVersion
//	           acked.LastIntegratedServerVersion
//	state      a changeset that rebuilds part of the state (in order)
//	own        an unacknowledged own changeset, original form (in order)
//	recip      a reciprocal form (in order)
//	reset      as above, after the snapshot record if there is one
const (
	recCommit byte = iota + 1
	recIdent
	recDownload
	recSnapshot
	recState
	recOwn
	recRecip
	recReset
	recResetDone
	recAdopt
)

// stateChunk is how many instructions one state record of a snapshot
// carries at most.
const stateChunk = 4096

func encodeCommit(cs *changeset.Changeset) []byte {
	return changeset.AppendBinary([]byte{recCommit}, cs)
}

func encodeIdent(ident, salt uint64) []byte {
	return wire.AppendUvarint(wire.AppendUvarint([]byte{recIdent}, ident), salt)
}

func encodeDownload(d *protocol.Download) []byte {
	return protocol.Append([]byte{recDownload}, d)
}

func encodePending(p *PendingReset) []byte {
	b := wire.AppendUvarint([]byte{recReset}, uint64(p.Mode))
	b = wire.AppendVarint(b, int64(p.At))
	b = wire.AppendBool(b, p.Adopted)
	return wire.AppendUvarint(b, p.Upload)
}

func decodePending(body []byte) (*PendingReset, error) {
	d := wire.NewDecoder(body)
	p := &PendingReset{Mode: ResetMode(d.Uvarint("reset mode")), At: env.Time(d.Varint("reset time")),
		Adopted: d.Bool("reset adopted"), Upload: d.Uvarint("reset upload")}
	d.End("reset record")
	if err := d.Err(); err != nil {
		return nil, err
	}
	if p.Mode != ResetDiscard && p.Mode != ResetRecover {
		return nil, fmt.Errorf("reset record: %s", p.Mode)
	}
	return p, nil
}

func encodeAdopt(a *adoption) []byte {
	b := []byte{recAdopt}
	for _, v := range []uint64{a.ident, a.salt, a.cursor.ServerVersion, a.cursor.LastIntegratedClientVersion, a.epoch} {
		b = wire.AppendUvarint(b, v)
	}
	b = wire.AppendBytes(b, changeset.Encode(&changeset.Changeset{Instructions: a.diff}))
	b = wire.AppendBool(b, a.recovered != nil)
	if a.recovered != nil {
		b = wire.AppendBytes(b, changeset.Encode(a.recovered))
	}
	return b
}

func decodeAdopt(body []byte) (*adoption, error) {
	d := wire.NewDecoder(body)
	a := &adoption{ident: d.Uvarint("ident"), salt: d.Uvarint("salt"),
		cursor: protocol.DownloadCursor{ServerVersion: d.Uvarint("cursor server version"),
			LastIntegratedClientVersion: d.Uvarint("cursor client version")},
		epoch: d.Uvarint("epoch salt")}
	diff := d.Bytes("diff")
	var recovered []byte
	if d.Bool("recovered") {
		recovered = d.Bytes("recovered changeset")
	}
	d.End("adopt record")
	if err := d.Err(); err != nil {
		return nil, err
	}
	cs, err := changeset.Decode(diff)
	if err != nil {
		return nil, fmt.Errorf("adopt record diff: %w", err)
	}
	a.diff = cs.Instructions
	if recovered != nil {
		if a.recovered, err = changeset.Decode(recovered); err != nil {
			return nil, fmt.Errorf("adopt record recovered changeset: %w", err)
		}
		if a.recovered.Version != 1 {
			return nil, fmt.Errorf("adopt record: recovered changeset of version %d", a.recovered.Version)
		}
	}
	return a, nil
}

// replay applies one journal record to r, which is being opened.
func (r *Replica) replay(rec []byte) error {
	if len(rec) == 0 {
		return errors.New("empty record")
	}
	kind, body := rec[0], rec[1:]
	switch kind {
	case recCommit:
		cs, err := changeset.Decode(body)
		if err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		if cs.Version != r.version+1 {
			return fmt.Errorf("commit of version %d after version %d", cs.Version, r.version)
		}
		if err := r.state.Apply(cs); err != nil {
			return fmt.Errorf("commit of version %d: %w", cs.Version, err)
		}
		r.addOwn(cs, len(body))
	case recIdent:
		d := wire.NewDecoder(body)
		ident, salt := d.Uvarint("ident"), d.Uvarint("salt")
		d.End("ident record")
		if err := d.Err(); err != nil {
			return err
		}
		r.setIdent(ident, salt)
	case recDownload:
		m, err := protocol.Decode(body)
		if err != nil {
			return fmt.Errorf("download: %w", err)
		}
		d, ok := m.(*protocol.Download)
		if !ok {
			return fmt.Errorf("download record holds a %s message", m.Type())
		}
		if _, err := r.integrate(d); err != nil {
			return err
		}
	case recSnapshot:
		return r.replaySnapshot(body)
	case recReset:
		p, err := decodePending(body)
		if err != nil {
			return err
		}
		r.pending = p
	case recResetDone:
		if len(body) != 0 {
			return errors.New("reset done record with a payload")
		}
		r.pending = nil
	case recAdopt:
		a, err := decodeAdopt(body)
		if err != nil {
			return err
		}
		return r.adopt(a)
	case recState, recOwn, recRecip:
		cs, err := changeset.Decode(body)
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		switch kind {
		case recState:
			return r.state.Apply(cs)
		case recOwn:
			r.owns = append(r.owns, own{cs: cs, size: len(body)})
			r.unacked += uint64(len(body))
		case recRecip:
			r.recip = append(r.recip, cs)
		}
	default:
		return fmt.Errorf("unknown record kind %d", kind)
	}
	return nil
}

// replaySnapshot starts r afresh from a snapshot record's fields.
func (r *Replica) replaySnapshot(body []byte) error {
	d := wire.NewDecoder(body)
	r.ident, r.salt, r.version = d.Uvarint("ident"), d.Uvarint("salt"), d.Uvarint("version")
	r.cursor = protocol.DownloadCursor{ServerVersion: d.Uvarint("cursor server version"),
		LastIntegratedClientVersion: d.Uvarint("cursor client version")}
	r.epoch = d.Uvarint("epoch salt")
	r.acked = protocol.UploadCursor{ClientVersion: d.Uvarint("acked client version"),
		LastIntegratedServerVersion: d.Uvarint("acked server version")}
	d.End("snapshot record")
	r.state, r.owns, r.recip, r.unacked, r.pending = store.New(), nil, nil, 0, nil
	return d.Err()
}

// maybeCompact rewrites the journal as a snapshot once it has grown past
// the threshold. A failed rewrite leaves the journal as it was (or broken,
// which the next write reports); compaction is then tried again after the
// journal has grown by the threshold once more.
func (r *Replica) maybeCompact() {
	if r.j.Size() < r.compactAt {
		return
	}
	if err := r.j.Rewrite(r.snapshot()); err != nil {
		r.compactAt = r.j.Size() + r.opts.CompactBytes
		return
	}
	r.compactAt = max(r.opts.CompactBytes, 2*r.j.Size())
}

// snapshot returns the records of a snapshot of r.
func (r *Replica) snapshot() [][]byte {
	meta := []byte{recSnapshot}
	for _, v := range []uint64{r.ident, r.salt, r.version, r.cursor.ServerVersion, r.cursor.LastIntegratedClientVersion,
		r.epoch, r.acked.ClientVersion, r.acked.LastIntegratedServerVersion} {
		meta = wire.AppendUvarint(meta, v)
	}
	recs := [][]byte{meta}
	if r.pending != nil {
		recs = append(recs, encodePending(r.pending))
	}
	ins := store.Rebuild(r.state)
	for len(ins) > 0 {
		n := min(len(ins), stateChunk)
		recs = append(recs, changeset.AppendBinary([]byte{recState}, &changeset.Changeset{Instructions: ins[:n]}))
		ins = ins[n:]
	}
	for _, o := range r.owns {
		recs = append(recs, changeset.AppendBinary([]byte{recOwn}, o.cs))
	}
	for _, cs := range r.recip {
		recs = append(recs, changeset.AppendBinary([]byte{recRecip}, cs))
	}
	return recs
}
