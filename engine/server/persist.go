package server

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/wire"
)

// A realm's journal holds the inputs of everything the realm did, in
// order; replaying them through the same code rebuilds the history, the
// state, the client files and their reciprocal forms exactly.
const (
	realmFilePrefix = "realm-"
	realmFileSuffix = ".journal"

	recordMagic   byte = 'R'
	recordVersion byte = 1

	recNewFile   byte = 1 // a client file was allocated: ident, salt
	recIntegrate byte = 2 // a changeset was integrated: file ident, the changeset as uploaded
)

func realmFileName(path string) string {
	return realmFilePrefix + url.QueryEscape(path) + realmFileSuffix
}

func realmPathOf(name string) (string, bool) {
	if !strings.HasPrefix(name, realmFilePrefix) || !strings.HasSuffix(name, realmFileSuffix) {
		return "", false
	}
	p, err := url.QueryUnescape(strings.TrimSuffix(strings.TrimPrefix(name, realmFilePrefix), realmFileSuffix))
	return p, err == nil && p != ""
}

func encodeNewFile(f *file) []byte {
	b := wire.AppendHeader(nil, recordMagic, recordVersion)
	b = append(b, recNewFile)
	b = wire.AppendUvarint(b, f.ident)
	return wire.AppendUvarint(b, f.salt)
}

func encodeIntegrate(ident uint64, cs *changeset.Changeset) []byte {
	b := wire.AppendHeader(nil, recordMagic, recordVersion)
	b = append(b, recIntegrate)
	b = wire.AppendUvarint(b, ident)
	return changeset.AppendBinary(b, cs)
}

var errRecord = errors.New("bad journal record")

// replay applies one journal record.
func (r *realm) replay(rec []byte) error {
	d := wire.NewDecoder(rec)
	d.Header("record", recordMagic, recordVersion)
	kind := d.Byte("record kind")
	switch kind {
	case recNewFile:
		ident, salt := d.Uvarint("ident"), d.Uvarint("salt")
		d.End("record")
		if err := d.Err(); err != nil {
			return err
		}
		if ident != r.nextFile+1 {
			return fmt.Errorf("%w: file ident %d after %d", errRecord, ident, r.nextFile)
		}
		f := r.newFile()
		f.salt = salt
		return nil
	case recIntegrate:
		ident := d.Uvarint("ident")
		var cs changeset.Changeset
		changeset.DecodeFrom(&d, &cs)
		d.End("record")
		if err := d.Err(); err != nil {
			return err
		}
		f, ok := r.files[ident]
		if !ok {
			return fmt.Errorf("%w: changeset of unknown file %d", errRecord, ident)
		}
		return r.integrate(f, &cs)
	}
	if err := d.Err(); err != nil {
		return err
	}
	return fmt.Errorf("%w: unknown kind %d", errRecord, kind)
}

// persist appends records to the journal and syncs. On success every
// version integrated so far is durable and the sessions are sent what
// became available; on failure a retry is scheduled and nothing more is
// sent or acknowledged until a sync succeeds.
func (r *realm) persist(recs ...[]byte) {
	for _, rec := range recs {
		if err := r.journal.Append(rec); err != nil {
			r.s.logf("journal append failed", "realm", r.path, "err", err)
		}
		r.appended++
	}
	r.flush()
}

func (r *realm) flush() {
	if r.retry != nil {
		r.retry.Stop()
		r.retry = nil
	}
	if err := r.journal.Sync(); err != nil {
		r.s.logf("journal sync failed; retrying", "realm", r.path, "err", err)
		r.retry = r.s.clk.AfterFunc(r.s.opts.SyncRetry, r.flush)
		return
	}
	r.durable = r.latestVersion()
	r.synced = r.appended
	r.pushAll()
}
