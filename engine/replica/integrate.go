package replica

import (
	"fmt"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/merge"
	"github.com/syncsim/syncsim/engine/protocol"
)

// Integrate integrates a DOWNLOAD, atomically and durably: each server
// changeset X past the download cursor is transformed against the
// reciprocal forms of the own changesets it has not seen (client version
// > X.LastIntegratedClientVersion), which take their transformed forms, and
// X's transformed form is applied to the state. The download cursor moves
// to d.DownloadCursor (past the own changesets the server left out), and
// d.UploadCursor is recorded as the acknowledged upload progress.
//
// Server changesets at or below the cursor are skipped, so a download
// delivered twice is harmless. An invalid message, or input that
// contradicts the replica (a
// cursor going back, an acknowledgement of versions never made, another
// server epoch, one of the replica's own changesets, a changeset the
// transform or the state rejects) is an error and changes nothing.
func (r *Replica) Integrate(d *protocol.Download) error {
	if r.broken != nil {
		return r.broken
	}
	if r.tx != nil {
		return fmt.Errorf("replica %q: Integrate inside a write transaction", r.name)
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("replica %q: %w", r.name, err)
	}
	changed, err := r.integrate(d)
	if err != nil || !changed {
		return err
	}
	if err := r.persist(encodeDownload(d)); err != nil {
		return err
	}
	for _, o := range r.observers {
		o.Integrated(d)
	}
	r.maybeCompact()
	return nil
}

// integration is the outcome of a download, computed before any of it is
// applied.
type integration struct {
	cursor protocol.DownloadCursor
	epoch  uint64
	acked  protocol.UploadCursor
	recip  []*changeset.Changeset
	ins    []changeset.Instruction // the transformed server changesets, in order
}

// integrate applies d to memory and reports whether anything changed.
func (r *Replica) integrate(d *protocol.Download) (bool, error) {
	p, err := r.plan(d)
	if err != nil {
		return false, fmt.Errorf("replica %q: download to %d: %w", r.name, d.DownloadCursor.ServerVersion, err)
	}
	if p.cursor == r.cursor && p.epoch == r.epoch && p.acked == r.acked {
		return false, nil
	}
	if len(p.ins) > 0 {
		if err := r.state.Apply(&changeset.Changeset{Instructions: p.ins}); err != nil {
			return false, fmt.Errorf("replica %q: applying the download to %d: %w", r.name, d.DownloadCursor.ServerVersion, err)
		}
	}
	r.cursor, r.epoch, r.recip = p.cursor, p.epoch, p.recip
	if p.acked != r.acked {
		r.acked = p.acked
		k := 0
		for k < len(r.owns) && r.owns[k].cs.Version <= r.acked.ClientVersion {
			r.unacked -= uint64(r.owns[k].size)
			k++
		}
		r.owns = r.owns[k:]
	}
	return true, nil
}

// plan computes the integration of d without changing r.
func (r *Replica) plan(d *protocol.Download) (integration, error) {
	p := integration{cursor: r.cursor, epoch: r.epoch, acked: r.acked, recip: r.recip}
	if r.cursor.ServerVersion > 0 && d.ServerVersionSalt != r.epoch {
		return p, fmt.Errorf("server version salt %d, but the download cursor is in the epoch of salt %d",
			d.ServerVersionSalt, r.epoch)
	}
	p.epoch = d.ServerVersionSalt
	bound := r.opts.maxTransform()
	for i := range d.Changesets {
		x := &d.Changesets[i]
		if x.ServerVersion <= p.cursor.ServerVersion {
			continue
		}
		lv := x.LastIntegratedClientVersion
		switch {
		case x.ServerVersion > d.DownloadCursor.ServerVersion:
			return p, fmt.Errorf("server version %d is past the download's cursor %d", x.ServerVersion, d.DownloadCursor.ServerVersion)
		case lv > r.version || lv < p.cursor.LastIntegratedClientVersion:
			return p, fmt.Errorf("server version %d has seen client version %d, outside [%d, %d]",
				x.ServerVersion, lv, p.cursor.LastIntegratedClientVersion, r.version)
		case r.ident != 0 && x.Changeset.OriginFileIdent == r.ident:
			return p, fmt.Errorf("server version %d is this replica's own changeset (client version %d)",
				x.ServerVersion, x.Changeset.Version)
		}
		p.recip = unseen(p.recip, lv)
		ours, theirs, err := merge.TransformSeqBounded(p.recip, []*changeset.Changeset{&x.Changeset}, r.opts.Mutants, bound)
		if err != nil {
			return p, fmt.Errorf("server version %d: %w", x.ServerVersion, err)
		}
		if bound > 0 && len(p.ins)+len(theirs[0].Instructions) > bound {
			return p, fmt.Errorf("server version %d: %w: the download's transformed changesets hold more than %d instructions",
				x.ServerVersion, merge.ErrTooLarge, bound)
		}
		p.recip = ours
		p.ins = append(p.ins, theirs[0].Instructions...)
		p.cursor = protocol.DownloadCursor{ServerVersion: x.ServerVersion, LastIntegratedClientVersion: lv}
	}
	if c := d.DownloadCursor; c.ServerVersion > p.cursor.ServerVersion {
		if c.LastIntegratedClientVersion > r.version || c.LastIntegratedClientVersion < p.cursor.LastIntegratedClientVersion {
			return p, fmt.Errorf("download cursor %+v has seen client version %d, outside [%d, %d]",
				c, c.LastIntegratedClientVersion, p.cursor.LastIntegratedClientVersion, r.version)
		}
		p.cursor = c
		p.recip = unseen(p.recip, c.LastIntegratedClientVersion)
	}
	if u := d.UploadCursor; u.ClientVersion > p.acked.ClientVersion {
		if u.ClientVersion > r.version {
			return p, fmt.Errorf("upload cursor acknowledges client version %d, but the last local version is %d",
				u.ClientVersion, r.version)
		}
		p.acked = u
	}
	return p, nil
}

// unseen returns the reciprocal forms of the own changesets after client
// version lv: those a server changeset that has seen lv has not seen.
func unseen(recip []*changeset.Changeset, lv uint64) []*changeset.Changeset {
	k := 0
	for k < len(recip) && recip[k].Version <= lv {
		k++
	}
	return recip[k:]
}
