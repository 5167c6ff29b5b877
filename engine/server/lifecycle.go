package server

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/journal"
	"github.com/syncsim/syncsim/engine/mutant"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/engine/wire"
)

// beginningOfTime is the origin timestamp of the changesets the server
// makes to build or convert a whole state: any concurrent client write
// wins over them, as over a write made before it.
const beginningOfTime = math.MinInt64

// Backup snapshots the realm's durable state into a file of its own (it
// survives restarts): the history, the client files and the realm's sync
// settings. It returns the backup's number, for Restore; numbers increase
// per realm and are never reused. A realm whose journal cannot be synced
// now cannot be backed up.
func (s *Server) Backup(path string) (uint64, error) {
	r, err := s.realm(path)
	if err != nil {
		return 0, err
	}
	if r.synced != r.appended {
		r.flush() // the pending retry, now
	}
	if r.synced != r.appended {
		return 0, fmt.Errorf("server: Backup(%q): the realm's journal cannot be synced now", path)
	}
	ns, err := s.backups(path)
	if err != nil {
		return 0, err
	}
	n := uint64(1)
	if len(ns) > 0 {
		n = ns[len(ns)-1] + 1
	}
	name := backupFileName(path, n)
	j, _, err := journal.Open(s.st, name)
	if err != nil {
		return 0, fmt.Errorf("server: Backup(%q): %w", path, err)
	}
	err = j.Rewrite(r.snapshot())
	if cerr := j.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("server: Backup(%q): %w", path, err)
	}
	return n, nil
}

// Restore brings the realm back to backup number n: the history, the
// client files and the settings as they were then (files created since
// are unknown), under a new epoch salt; everything after the backup is
// gone. Every connection with a session of the realm is closed; when the
// clients reconnect, a download cursor of the old epoch is
// DivergingHistories, a file made since BadClientFileIdent, and a client
// version the restored file never integrated BadClientVersion.
func (s *Server) Restore(path string, n uint64) error {
	r, err := s.realm(path)
	if err != nil {
		return err
	}
	b, err := r.loadBackup(n)
	if err != nil {
		return fmt.Errorf("server: Restore(%q, %d): %w", path, n, err)
	}
	r.closeConnections()
	r.restore(b)
	r.persist(wire.AppendUvarint(record(recRestore), n))
	return nil
}

// restore replaces the realm's content by a backup's, in a new epoch.
func (r *realm) restore(b *backup) {
	if !r.s.opts.Mutants.Has(mutant.RestoreKeepsSalt) { // MUTANT restore-keeps-salt
		r.newEpoch()
	}
	r.content = b.content
	r.nextFile = max(r.nextFile, b.nextFile)
	r.durable = 0 // until the restore is durable
}

// Terminate turns sync off for the realm: every session ends with ERROR
// Transient "sync disabled" (asking for Options.DisabledBackoff), and so
// does every BIND until Enable. Terminating a terminated realm does
// nothing.
func (s *Server) Terminate(path string) error {
	r, err := s.realm(path)
	if err != nil {
		return err
	}
	if r.terminated {
		return nil
	}
	r.terminate()
	r.endSessions(protocol.Transient, "sync disabled", s.opts.DisabledBackoff)
	r.persist(record(recTerminate))
	return nil
}

func (r *realm) terminate() { r.terminated = true }

// Enable turns sync on again for a terminated realm, in a new epoch: a
// new salt, and every client file forgotten (a replica that presents one
// must reset: BadClientFileIdent, or SchemaChange if a breaking schema
// change was made). The data survives: the epoch's history begins with
// one server-made changeset that creates the state as it was.
func (s *Server) Enable(path string) error {
	r, err := s.realm(path)
	if err != nil {
		return err
	}
	now := s.clk.Now()
	if err := r.enable(now); err != nil {
		return fmt.Errorf("server: Enable(%q): %w", path, err)
	}
	r.persist(appendTime(record(recEnable), now))
	return nil
}

func (r *realm) enable(at env.Time) error {
	if !r.terminated {
		return fmt.Errorf("%w: sync of realm %q is not terminated", errRecord, r.path)
	}
	state := r.state
	if r.s.opts.Mutants.Has(mutant.EnableLosesData) {
		state = store.New() // MUTANT enable-loses-data
	}
	boot := &changeset.Changeset{Version: 1, OriginTimestamp: beginningOfTime, Instructions: store.Rebuild(state)}
	r.newEpoch()
	r.content = content{state: state, files: map[uint64]*file{}, epochStart: r.nextFile,
		breaking: r.pendingBreaking, declared: r.declared}
	r.durable = 0 // until the epoch is durable
	if len(boot.Instructions) > 0 {
		// The state is the one boot builds from nothing.
		r.appendEntry(boot, 0, at)
		if o := r.s.opts.Observer; o != nil {
			o.Integrated(r.path, 1, 0, boot.Version)
		}
	}
	return nil
}

// endSessions ends every session of the realm with an error.
func (r *realm) endSessions(code protocol.ErrorCode, msg string, backoff time.Duration) {
	for _, ss := range append([]*session(nil), r.sessions...) {
		ss.fail(code, msg, backoff)
	}
}

// closeConnections closes every connection with a session of the realm,
// as a server going back to a backup would.
func (r *realm) closeConnections() {
	var conns []*connection
	for _, ss := range r.sessions {
		if !slices.Contains(conns, ss.c) {
			conns = append(conns, ss.c)
		}
	}
	for _, cn := range conns {
		cn.close()
	}
}
