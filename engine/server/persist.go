package server

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/mutant"
	"github.com/syncsim/syncsim/engine/wire"
)

// A realm's journal holds the inputs of everything the realm did, in
// order; replaying them through the same code rebuilds the history, the
// state, the client files and their reciprocal forms exactly. Decisions
// that depend on more than the realm's content (which writes a role
// permits, which files a compaction expired) are recorded as their
// outcome, so a replay never asks the question again.
const (
	realmFilePrefix = "realm-"
	realmFileSuffix = ".journal"

	recordMagic   byte = 'R'
	recordVersion byte = 2

	recNewFile   byte = 1 // a client file was allocated: ident, salt, role, time
	recIntegrate byte = 2 // a changeset was integrated: file ident, time, the changeset as uploaded
	recServer    byte = 3 // a server-made changeset was appended: time, the changeset
	recSeen      byte = 4 // a client file was seen (CLIENT_IDENT): ident, time
	recTerminate byte = 5 // sync was terminated
	recEnable    byte = 6 // sync was enabled again: time
	recSchema    byte = 7 // the declared schema changed: time, the schema as AddTable/AddColumn
	recCompact   byte = 8 // the history was compacted: time, floor, files seen, files expired
	recRestore   byte = 9 // the realm was restored from a backup: its number
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

// record starts a journal record of the given kind.
func record(kind byte) []byte {
	return append(wire.AppendHeader(nil, recordMagic, recordVersion), kind)
}

func appendTime(b []byte, t env.Time) []byte { return wire.AppendVarint(b, int64(t)) }

func encodeNewFile(f *file) []byte {
	b := wire.AppendUvarint(record(recNewFile), f.ident)
	b = wire.AppendUvarint(b, f.salt)
	b = wire.AppendString(b, f.role)
	return appendTime(b, f.lastSeen)
}

func encodeIntegrate(ident uint64, at env.Time, cs *changeset.Changeset) []byte {
	b := wire.AppendUvarint(record(recIntegrate), ident)
	return changeset.AppendBinary(appendTime(b, at), cs)
}

func encodeServer(at env.Time, cs *changeset.Changeset) []byte {
	return changeset.AppendBinary(appendTime(record(recServer), at), cs)
}

func encodeSeen(ident uint64, at env.Time) []byte {
	return appendTime(wire.AppendUvarint(record(recSeen), ident), at)
}

func encodeCompact(c compaction) []byte {
	b := wire.AppendUvarint(appendTime(record(recCompact), c.at), c.floor)
	for _, idents := range [][]uint64{c.seen, c.expired} {
		b = wire.AppendUvarint(b, uint64(len(idents)))
		for _, id := range idents {
			b = wire.AppendUvarint(b, id)
		}
	}
	return b
}

var errRecord = errors.New("bad journal record")

// replay applies one journal record.
func (r *realm) replay(rec []byte) error {
	d := wire.NewDecoder(rec)
	d.Header("record", recordMagic, recordVersion)
	kind := d.Byte("record kind")
	readTime := func() env.Time { return env.Time(d.Varint("time")) }
	end := func() error {
		d.End("record")
		return d.Err()
	}
	switch kind {
	case recNewFile:
		ident, salt, role, at := d.Uvarint("ident"), d.Uvarint("salt"), d.String("role"), readTime()
		if err := end(); err != nil {
			return err
		}
		if ident != r.nextFile+1 {
			return fmt.Errorf("%w: file ident %d after %d", errRecord, ident, r.nextFile)
		}
		f := r.newFile(role, at)
		f.salt = salt
		return nil
	case recIntegrate:
		ident, at := d.Uvarint("ident"), readTime()
		var cs changeset.Changeset
		changeset.DecodeFrom(&d, &cs)
		if err := end(); err != nil {
			return err
		}
		f, ok := r.files[ident]
		if !ok {
			return fmt.Errorf("%w: changeset of unknown file %d", errRecord, ident)
		}
		_, err := r.integrate(f, &cs, at)
		return err
	case recServer:
		at := readTime()
		var cs changeset.Changeset
		changeset.DecodeFrom(&d, &cs)
		if err := end(); err != nil {
			return err
		}
		return r.appendServer(&cs, at)
	case recSeen:
		ident, at := d.Uvarint("ident"), readTime()
		if err := end(); err != nil {
			return err
		}
		f, ok := r.files[ident]
		if !ok {
			return fmt.Errorf("%w: unknown file %d seen", errRecord, ident)
		}
		f.lastSeen = max(f.lastSeen, at)
		return nil
	case recTerminate:
		if err := end(); err != nil {
			return err
		}
		r.terminate()
		return nil
	case recEnable:
		at := readTime()
		if err := end(); err != nil {
			return err
		}
		return r.enable(at)
	case recSchema:
		at := readTime()
		var cs changeset.Changeset
		changeset.DecodeFrom(&d, &cs)
		if err := end(); err != nil {
			return err
		}
		sch, err := schemaOf(cs.Instructions)
		if err != nil {
			return err
		}
		_, err = r.changeSchema(sch, at)
		return err
	case recCompact:
		c := compaction{at: readTime(), floor: d.Uvarint("floor")}
		for _, idents := range []*[]uint64{&c.seen, &c.expired} {
			n := d.Count("file count", 1)
			for range n {
				*idents = append(*idents, d.Uvarint("file ident"))
			}
		}
		if err := end(); err != nil {
			return err
		}
		return r.compact(c)
	case recRestore:
		n := d.Uvarint("backup")
		if err := end(); err != nil {
			return err
		}
		b, err := r.loadBackup(n)
		if err != nil {
			return err
		}
		r.restore(b)
		return nil
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
	if r.s.opts.Mutants.Has(mutant.AckBeforeSync) {
		r.flushLater()
		return
	}
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

// flushLater is MUTANT ack-before-sync: what is appended counts as durable
// at once — acknowledged and sent — and the journal is synced a second
// later, so a crash in between loses what was promised.
func (r *realm) flushLater() {
	r.durable = r.latestVersion()
	r.synced = r.appended
	if r.retry == nil {
		r.retry = r.s.clk.AfterFunc(time.Second, func() {
			r.retry = nil
			if err := r.journal.Sync(); err != nil {
				r.s.logf("journal sync failed", "realm", r.path, "err", err)
			}
		})
	}
	r.pushAll()
}
