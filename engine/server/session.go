package server

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/mutant"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/store"
)

// connection is one client connection with the sessions bound on it.
type connection struct {
	s        *Server
	id       uint64
	conn     env.Conn
	sessions map[uint64]*session
	closed   bool
}

// session is one realm bound on a connection.
type session struct {
	c     *connection
	ident uint64
	realm *realm
	user  string
	file  *file // set once CLIENT_IDENT was accepted
	// identAt is, for a new file, the journal record count that makes its
	// allocation durable: SERVER_IDENT waits for it.
	identFile *file
	identAt   uint64
	sent      uint64 // server version the client has been sent up to
	acked     uint64 // client version last acknowledged to the client
	marks     []mark
	reverts   []revert // compensating writes to report once durable
	dead      bool
}

type mark struct {
	request uint64
	target  uint64 // the latest server version when the MARK arrived
}

// revert is a compensating write to report to the writer: the ERROR is
// sent once the compensating changeset (at server version version) is
// durable.
type revert struct {
	version      uint64
	message      string
	compensation *protocol.Compensation
}

func (s *Server) accept(c env.Conn) env.Handler {
	s.connID++
	cn := &connection{s: s, id: s.connID, conn: c, sessions: map[uint64]*session{}}
	s.conns[c] = cn
	return cn
}

func (cn *connection) OnOpen(env.Conn) {}

func (cn *connection) OnClose(env.Conn, error) {
	cn.closed = true
	for _, id := range sortedKeys(cn.sessions) {
		cn.sessions[id].unbind()
	}
	delete(cn.s.conns, cn.conn)
}

// close closes the connection from the server's side.
func (cn *connection) close() {
	cn.conn.Close()
	cn.OnClose(cn.conn, nil)
}

func (cn *connection) send(m protocol.Message) {
	if !cn.closed {
		_ = cn.conn.Send(protocol.Encode(m)) // a broken connection reports itself through OnClose
	}
}

// fail sends a connection-level error and closes the connection.
func (cn *connection) fail(code protocol.ErrorCode, msg string) {
	cn.send(&protocol.Error{Code: code, Action: cn.s.action(code), Message: msg})
	cn.close()
}

func (cn *connection) OnMessage(_ env.Conn, b []byte) {
	m, err := protocol.Decode(b)
	if err != nil {
		cn.fail(protocol.BadSyntax, err.Error())
		return
	}
	switch m := m.(type) {
	case *protocol.LogIn:
		cn.send(cn.s.auth.logIn(m))
	case *protocol.Ping:
		cn.send(&protocol.Pong{Timestamp: m.Timestamp})
	case *protocol.Bind:
		cn.bind(m)
	case *protocol.ClientIdent:
		if ss := cn.session(m.SessionIdent); ss != nil {
			ss.ident2(m)
		}
	case *protocol.Upload:
		if ss := cn.session(m.SessionIdent); ss != nil {
			ss.upload(m)
		}
	case *protocol.Mark:
		if ss := cn.session(m.SessionIdent); ss != nil {
			ss.mark(m)
		}
	case *protocol.Unbind:
		if ss := cn.session(m.SessionIdent); ss != nil {
			ss.unbind()
		}
	default:
		cn.fail(protocol.UnknownMessage, fmt.Sprintf("a client does not send %s", m.Type()))
	}
}

// session finds a live session. Messages for a session that is not bound
// (it was unbound, or failed) are ignored: they may be in flight from
// before the client learned of it.
func (cn *connection) session(ident uint64) *session {
	ss := cn.sessions[ident]
	if ss == nil || ss.dead {
		return nil
	}
	return ss
}

func (cn *connection) bind(m *protocol.Bind) {
	if old := cn.sessions[m.SessionIdent]; old != nil && !old.dead {
		if old.realm.path == m.Path {
			return // a duplicate BIND
		}
		cn.send(&protocol.Error{SessionIdent: m.SessionIdent, Code: protocol.BadSessionIdent,
			Action: cn.s.action(protocol.BadSessionIdent), Message: "session ident already bound to another realm"})
		return
	}
	ss := &session{c: cn, ident: m.SessionIdent}
	cn.sessions[m.SessionIdent] = ss
	user, ok := cn.s.auth.check(m.User, m.Token)
	if !ok {
		ss.error(protocol.BadAuthentication, "access token refused")
		return
	}
	ss.user = user
	r, err := cn.s.realm(m.Path)
	if err != nil {
		ss.error(protocol.Transient, err.Error())
		return
	}
	if r.terminated {
		ss.fail(protocol.Transient, "sync disabled", cn.s.opts.DisabledBackoff)
		return
	}
	ss.realm = r
	r.sessions = append(r.sessions, ss)
	if m.NeedClientFileIdent {
		f := r.newFile(cn.s.roleOf(user), cn.s.clk.Now())
		ss.identFile = f
		r.persist(encodeNewFile(f))
		ss.identAt = r.appended
		ss.push()
	}
}

// error reports a session error with its action and ends the session on
// the server side.
func (ss *session) error(code protocol.ErrorCode, msg string) { ss.fail(code, msg, 0) }

// fail is error with a backoff for the client's reconnect.
func (ss *session) fail(code protocol.ErrorCode, msg string, backoff time.Duration) {
	ss.c.send(&protocol.Error{SessionIdent: ss.ident, Code: code, Action: ss.c.s.action(code), Message: msg, Backoff: backoff})
	ss.unbind()
	ss.dead = true
}

func (ss *session) unbind() {
	if ss.dead {
		return
	}
	ss.dead = true
	delete(ss.c.sessions, ss.ident)
	if r := ss.realm; r != nil {
		for i, o := range r.sessions {
			if o == ss {
				r.sessions = append(r.sessions[:i:i], r.sessions[i+1:]...)
				break
			}
		}
	}
}

// ident2 handles CLIENT_IDENT: the checks of the server error table.
func (ss *session) ident2(m *protocol.ClientIdent) {
	r := ss.realm
	if ss.file != nil {
		return // a duplicate
	}
	if code, msg := r.checkIdent(m, ss.c.s.roleOf(ss.user)); code != 0 {
		ss.error(code, msg)
		return
	}
	f := r.files[m.ClientFileIdent]
	now := r.s.clk.Now()
	f.lastSeen = max(f.lastSeen, now)
	ss.file = f
	ss.sent = m.DownloadCursor.ServerVersion
	if ss.sent > 0 && r.s.opts.Mutants.Has(mutant.DownloadOverlapsCursor) {
		ss.sent-- // MUTANT download-overlaps-cursor: resend the version at the cursor
	}
	ss.acked = ^uint64(0) // forces the first DOWNLOAD
	r.persist(encodeSeen(f.ident, now))
	ss.push()
}

// checkIdent checks a CLIENT_IDENT presented by a user whose role is now
// role: the conditions of the server error table, in the order a file's
// identity, its standing, then its cursor are judged.
func (r *realm) checkIdent(m *protocol.ClientIdent, role string) (protocol.ErrorCode, string) {
	f := r.files[m.ClientFileIdent]
	cur := m.DownloadCursor
	switch {
	case f == nil && r.breaking && m.ClientFileIdent != 0 && m.ClientFileIdent <= r.epochStart:
		return protocol.SchemaChange, fmt.Sprintf("client file %d belongs to the history before a breaking schema change", m.ClientFileIdent)
	case f == nil:
		return protocol.BadClientFileIdent, fmt.Sprintf("client file %d unknown", m.ClientFileIdent)
	case f.salt != m.ClientFileSalt:
		return protocol.DivergingHistories, "client file salt differs"
	case f.expired:
		return protocol.ClientFileExpired, fmt.Sprintf("client file %d was not seen for longer than the history TTL", f.ident)
	case f.role != role:
		return protocol.RoleChange, fmt.Sprintf("the user's role changed from %q to %q", f.role, role)
	case cur.LastIntegratedClientVersion > f.lastClientVersion():
		return protocol.BadClientVersion, fmt.Sprintf("client version %d was never integrated (the server has %d)", cur.LastIntegratedClientVersion, f.lastClientVersion())
	case cur.ServerVersion > 0 && m.ServerVersionSalt != r.salt:
		return protocol.DivergingHistories, "server version salt differs: the history was replaced"
	case cur.ServerVersion > r.durable:
		return protocol.BadServerVersion, fmt.Sprintf("download cursor %d is ahead of the server's %d", cur.ServerVersion, r.durable)
	case cur.ServerVersion > 0 && cur.ServerVersion < r.floor:
		return protocol.BadServerVersion, fmt.Sprintf("download cursor %d is below the compacted history's floor %d", cur.ServerVersion, r.floor)
	case cur.LastIntegratedClientVersion > f.latest(cur.ServerVersion).ClientVersion:
		return protocol.BadClientVersion, fmt.Sprintf("client version %d was not integrated as of server version %d", cur.LastIntegratedClientVersion, cur.ServerVersion)
	}
	return 0, ""
}

// upload integrates the changesets the server has not seen yet.
func (ss *session) upload(m *protocol.Upload) {
	if ss.file == nil {
		ss.error(protocol.BadMessageOrder, "UPLOAD before CLIENT_IDENT")
		return
	}
	r, f := ss.realm, ss.file
	now := r.s.clk.Now()
	f.lastSeen = max(f.lastSeen, now)
	var recs [][]byte
	for i := range m.Changesets {
		cs := &m.Changesets[i]
		last := f.latest(r.latestVersion())
		// MUTANT resent-upload-integrated-twice: a re-sent copy of the last
		// integrated changeset is integrated again.
		again := cs.Version == last.ClientVersion && r.s.opts.Mutants.Has(mutant.ResentUploadIntegratedTwice)
		if cs.Version <= last.ClientVersion && !again {
			continue // already integrated: uploads are idempotent
		}
		if cs.Version != last.ClientVersion+1 && !again {
			// A gap: a stray copy of a later upload arrived before the
			// missing version. Ignore the rest; the client resends in
			// order after its connection broke.
			r.s.logf("upload with a gap ignored", "realm", r.path, "file", f.ident, "version", cs.Version, "after", last.ClientVersion)
			break
		}
		if cs.LastIntegratedServerVersion > 0 && m.ServerVersionSalt != r.salt {
			// Based on a server version of another history epoch (a stray
			// upload of a session from before a restore, say): integrating
			// it would bring back what the restore rolled back.
			ss.error(protocol.DivergingHistories, fmt.Sprintf("changeset %d is based on server version %d of another history epoch", cs.Version, cs.LastIntegratedServerVersion))
			break
		}
		if code, msg := r.checkUpload(f, cs, last); code != 0 {
			ss.error(code, msg)
			break
		}
		got, rev, err := r.admit(f, cs, now)
		if err != nil {
			code := protocol.BadChangeset
			if errors.Is(err, store.ErrSchemaMismatch) {
				code = protocol.SchemaChange
			}
			ss.error(code, fmt.Sprintf("changeset %d: %v", cs.Version, err))
			break
		}
		recs = append(recs, got...)
		if rev != nil {
			ss.reverts = append(ss.reverts, *rev)
		}
	}
	if len(recs) > 0 {
		r.persist(recs...)
	}
}

// checkUpload checks an uploaded changeset, the next of file f after
// last, before it is integrated.
func (r *realm) checkUpload(f *file, cs *changeset.Changeset, last protocol.UploadCursor) (protocol.ErrorCode, string) {
	base := cs.LastIntegratedServerVersion
	switch {
	case cs.OriginFileIdent != f.ident:
		return protocol.BadChangeset, fmt.Sprintf("changeset %d has origin file %d, not %d", cs.Version, cs.OriginFileIdent, f.ident)
	case base > r.latestVersion():
		return protocol.BadServerVersion, fmt.Sprintf("changeset %d is based on server version %d, ahead of %d", cs.Version, base, r.latestVersion())
	case base < last.LastIntegratedServerVersion:
		return protocol.BadChangeset, fmt.Sprintf("changeset %d is based on server version %d, before its predecessor's %d", cs.Version, base, last.LastIntegratedServerVersion)
	case base > 0 && base < r.floor:
		return protocol.BadServerVersion, fmt.Sprintf("changeset %d is based on server version %d, below the compacted history's floor %d", cs.Version, base, r.floor)
	}
	if err := r.checkDeclared(cs); err != nil {
		return protocol.SchemaChange, fmt.Sprintf("changeset %d: %v", cs.Version, err)
	}
	return 0, ""
}

func (ss *session) mark(m *protocol.Mark) {
	ss.marks = append(ss.marks, mark{request: m.RequestIdent, target: ss.realm.latestVersion()})
	ss.push()
}

// pushAll sends every session of the realm what became durable.
func (r *realm) pushAll() {
	for _, ss := range append([]*session(nil), r.sessions...) {
		ss.push()
	}
}

// push sends the session everything durable it has not been sent: a
// pending SERVER_IDENT, the reports of compensating writes, DOWNLOAD
// batches (with the acknowledged upload cursor), and echoes of MARKs whose
// history has all been sent.
func (ss *session) push() {
	r := ss.realm
	if ss.dead {
		return
	}
	if ss.identFile != nil {
		if r.synced < ss.identAt {
			return
		}
		ss.c.send(&protocol.ServerIdent{SessionIdent: ss.ident, ClientFileIdent: ss.identFile.ident, Salt: ss.identFile.salt})
		ss.identFile = nil
	}
	f := ss.file
	if f == nil {
		return
	}
	for len(ss.reverts) > 0 && ss.reverts[0].version <= r.durable {
		ss.c.send(&protocol.Error{SessionIdent: ss.ident, Code: protocol.CompensatingWrite,
			Action: ss.c.s.action(protocol.CompensatingWrite), Message: ss.reverts[0].message,
			Compensation: ss.reverts[0].compensation})
		ss.reverts = ss.reverts[1:]
	}
	for {
		ack := f.latest(r.durable)
		if ss.sent >= r.durable && ack.ClientVersion == ss.acked {
			break
		}
		d := &protocol.Download{SessionIdent: ss.ident, ServerVersionSalt: r.salt,
			LatestServerVersion: r.durable, UploadCursor: ack}
		bytes := 0
		for ss.sent < r.durable && (bytes == 0 || bytes+r.entries[ss.sent].size <= r.s.opts.DownloadBatchBytes) {
			v := ss.sent + 1
			e := &r.entries[v-1]
			ss.sent = v
			if e.origin == f.ident && !r.s.opts.Mutants.Has(mutant.OwnChangesetEchoed) { // MUTANT own-changeset-echoed
				continue // a client never receives its own changesets back
			}
			d.Changesets = append(d.Changesets, protocol.ServerChangeset{
				ServerVersion:               v,
				LastIntegratedClientVersion: f.latest(v).ClientVersion,
				Changeset:                   *e.cs,
			})
			bytes += e.size
		}
		if n := len(d.Changesets); n > 1 && r.s.opts.Mutants.Has(mutant.DownloadSkipsChangeset) {
			d.Changesets = d.Changesets[:n-1] // MUTANT download-skips-changeset
		}
		d.DownloadCursor = protocol.DownloadCursor{ServerVersion: ss.sent, LastIntegratedClientVersion: f.latest(ss.sent).ClientVersion}
		d.DownloadableBytes = r.bytesAfter(ss.sent, f)
		ss.acked = ack.ClientVersion
		ss.c.send(d)
	}
	kept := ss.marks[:0]
	for _, mk := range ss.marks {
		if mk.target <= ss.sent {
			ss.c.send(&protocol.Mark{SessionIdent: ss.ident, RequestIdent: mk.request})
		} else {
			kept = append(kept, mk)
		}
	}
	ss.marks = kept
}

// bytesAfter is the size of the durable history after version v that a
// download to file f would carry: all of it but f's own changesets.
func (r *realm) bytesAfter(v uint64, f *file) uint64 {
	return r.cumBytes(r.durable) - r.cumBytes(v) - (f.ownBytes(r.durable) - f.ownBytes(v))
}

func sortedKeys[V any](m map[uint64]V) []uint64 {
	keys := make([]uint64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
