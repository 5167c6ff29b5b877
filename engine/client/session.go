package client

import (
	"errors"
	"fmt"
	"slices"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/store"
)

// SessionState is the state of a sync session.
type SessionState uint8

// The session states. Active syncs; Dying is closed by the app and
// uploads what is left before becoming Inactive; Inactive does not sync
// (closed, stopped by an error, or waiting for its user to log in);
// Paused does not sync until Resume.
const (
	Active SessionState = iota
	Dying
	Inactive
	Paused
)

func (s SessionState) String() string {
	switch s {
	case Active:
		return "active"
	case Dying:
		return "dying"
	case Inactive:
		return "inactive"
	case Paused:
		return "paused"
	}
	return fmt.Sprintf("session state %d", uint8(s))
}

// uploadBatchBytes bounds the changeset bytes of one UPLOAD (a single
// larger changeset goes alone).
const uploadBatchBytes = 64 << 10

// Session syncs one realm (a replica) with the server over the app's
// connection.
type Session struct {
	c     *core
	cfg   RealmConfig
	user  *User
	r     *replica.Replica
	realm *Realm
	state SessionState
	err   error // why the session stopped: a fatal error, or nil

	// waitingLogin: the session is paused or inactive until its user logs
	// in again (the server refused the token, the user logged out, or the
	// base URL changed).
	waitingLogin bool
	// reset is the client reset that went to the manual handler, or nil.
	reset *SyncError
	// resetting is the automatic client reset under way, or nil;
	// lastReset what the last reset did.
	resetting *resetOp
	lastReset *ResetOutcome

	// The binding on the current connection: its session ident (0:
	// unbound), whether CLIENT_IDENT was sent, whether the first DOWNLOAD
	// arrived (uploads start then) and the last client version uploaded.
	ident       uint64
	identified  bool
	downloading bool
	sent        uint64

	// reported is the client versions of file's changesets whose
	// compensating writes were reported to the app, so that a report the
	// network duplicated is not reported again.
	reported struct {
		file     uint64
		versions map[uint64]bool
	}

	marks     uint64 // the last MARK request ident sent
	dyingAt   uint64 // when Dying: the local version to see acknowledged
	waits     []*wait
	progress  progress
	listeners []connListener
	lastConn  ConnectionState
	tokens    uint64 // the last listener or notification token
}

func newSession(c *core, cfg RealmConfig, u *User, r *replica.Replica) *Session {
	s := &Session{c: c, cfg: cfg, user: u, r: r, state: Active}
	s.realm = &Realm{s: s}
	return s
}

// State is the session's state.
func (s *Session) State() SessionState { return s.state }

// Path is the realm's path.
func (s *Session) Path() string { return s.cfg.Path }

// User is the session's user.
func (s *Session) User() *User { return s.user }

// Err is the fatal error that stopped the session, or nil.
func (s *Session) Err() error { return s.err }

// ConnectionState is the connection's state as the session sees it:
// Disconnected unless it is syncing.
func (s *Session) ConnectionState() ConnectionState {
	if !s.wantsConnection() {
		return Disconnected
	}
	return s.c.conn.state
}

// wantsConnection reports whether the session syncs (or would, given a
// connection).
func (s *Session) wantsConnection() bool {
	return (s.state == Active || s.state == Dying) && !s.waitingLogin
}

// start begins syncing.
func (s *Session) start() {
	s.state = Active
	s.c.conn.ensure()
	s.bind()
	s.c.connectionChanged()
}

// Pause stops syncing in both directions (the server forgets the session)
// until Resume. Local writes go on.
func (s *Session) Pause() {
	switch s.state {
	case Active:
		s.unbind(true)
		s.state = Paused
		s.c.conn.ensure()
		s.c.connectionChanged()
	case Dying:
		s.deactivate(ErrSessionClosed)
	}
}

// Resume resumes a paused session: it reconnects at once, the reconnect
// backoff starting over. A session whose user must log in again resumes
// after the login.
func (s *Session) Resume() {
	if s.state != Paused {
		return
	}
	if !s.user.LoggedIn() {
		s.waitingLogin = true
		return
	}
	s.waitingLogin = false
	s.state = Active
	s.c.conn.resume()
	s.bind()
	s.c.connectionChanged()
}

// pauseForLogin pauses the session until its user logs in again.
func (s *Session) pauseForLogin() {
	s.Pause()
	if s.state == Paused {
		s.waitingLogin = true
	}
}

// stopForLogin stops the session until its user logs in again. A paused
// session stays paused (Resume waits for the login).
func (s *Session) stopForLogin() {
	if s.state == Paused || (s.state == Inactive && !s.waitingLogin) {
		return
	}
	s.unbind(true)
	s.state, s.waitingLogin = Inactive, true
	s.cancelWaits(fmt.Errorf("session %q: user %q must log in again: %w", s.cfg.Path, s.user.id, ErrLoggedOut))
	s.c.conn.ensure()
	s.c.connectionChanged()
}

// userLoggedIn resumes a session that waited for its user's login.
func (s *Session) userLoggedIn() {
	if !s.waitingLogin {
		return
	}
	s.waitingLogin, s.state = false, Active
	s.c.conn.resume()
	s.bind()
	s.c.connectionChanged()
}

// close is the app closing the realm: the session becomes Dying while
// local changes remain to be uploaded, then Inactive.
func (s *Session) close() {
	if s.state == Active && s.resetting == nil && s.wantsConnection() && s.r.Acked().ClientVersion < s.r.Version() {
		s.state, s.dyingAt = Dying, s.r.Version()
		return
	}
	s.deactivate(ErrSessionClosed)
}

// deactivate ends the session for good: unbound, Inactive, its waits
// cancelled with reason, its replica closed.
func (s *Session) deactivate(reason error) {
	s.unbind(true)
	s.abandonReset()
	s.state = Inactive
	s.cancelWaits(fmt.Errorf("session %q: %w", s.cfg.Path, reason))
	s.notifyConnectionState()
	s.c.sessions = slices.DeleteFunc(s.c.sessions, func(x *Session) bool { return x == s })
	_ = s.r.Close() // everything committed is durable already
	s.c.conn.ensure()
}

// checkDying finishes a dying session once its uploads are acknowledged.
func (s *Session) checkDying() {
	if s.state == Dying && s.r.Acked().ClientVersion >= s.dyingAt {
		s.deactivate(ErrSessionClosed)
	}
}

// bind starts the session on the connection: BIND, then CLIENT_IDENT if
// the replica has its ident (else after SERVER_IDENT). During a client
// reset the binding syncs the fresh copy instead.
func (s *Session) bind() {
	cn := s.c.conn
	if s.ident != 0 || !s.wantsConnection() || cn.state != Connected {
		return
	}
	if !s.user.LoggedIn() {
		s.stopForLogin()
		return
	}
	s.ident = cn.newSessionIdent(s)
	ident, _ := s.syncing().Ident()
	cn.send(&protocol.Bind{SessionIdent: s.ident, Path: s.cfg.Path, User: s.user.id, Token: s.user.token(),
		NeedClientFileIdent: ident == 0})
	if ident != 0 {
		s.sendClientIdent()
	}
}

// sendClientIdent identifies the binding's replica. A fresh copy's
// download is complete at the echo of the MARK that follows.
func (s *Session) sendClientIdent() {
	rep := s.syncing()
	ident, salt := rep.Ident()
	cursor, epoch := rep.DownloadCursor()
	s.c.conn.send(&protocol.ClientIdent{SessionIdent: s.ident, ClientFileIdent: ident, ClientFileSalt: salt,
		DownloadCursor: cursor, ServerVersionSalt: epoch})
	s.identified = true
	if s.resetting != nil {
		s.sendMark()
		s.resetting.mark = s.marks
	} else if slices.ContainsFunc(s.waits, func(w *wait) bool { return w.download }) {
		s.sendMark()
	}
}

// unbind ends the binding, telling the server with UNBIND if tell is set
// (not when the server ended the session with an ERROR).
func (s *Session) unbind(tell bool) {
	if s.ident == 0 {
		return
	}
	if tell {
		s.c.conn.send(&protocol.Unbind{SessionIdent: s.ident})
	}
	delete(s.c.conn.bound, s.ident)
	s.clearBinding()
}

// clearBinding forgets the binding (the connection is gone or going).
func (s *Session) clearBinding() {
	s.ident, s.identified, s.downloading, s.sent = 0, false, false, 0
}

// disconnected is the connection breaking under the session: a non-fatal
// error for its waits; a dying session gives up.
func (s *Session) disconnected(err error) {
	s.clearBinding()
	if s.state == Dying {
		s.deactivate(ErrSessionClosed)
		return
	}
	if s.wantsConnection() {
		s.nonFatal(err)
	}
}

func (s *Session) onServerIdent(m *protocol.ServerIdent) {
	if s.identified {
		return // a duplicate
	}
	if err := s.syncing().SetIdent(m.ClientFileIdent, m.Salt); err != nil {
		s.fail(err, true)
		return
	}
	if s.resetting == nil {
		if err := s.c.recordFile(s); err != nil {
			s.fail(err, true)
			return
		}
	}
	s.sendClientIdent()
}

func (s *Session) onDownload(d *protocol.Download) {
	if !s.identified {
		return
	}
	if s.resetting != nil {
		s.freshDownload(d)
		return
	}
	unacked := s.r.UnackedBytes()
	if err := s.r.Integrate(d); err != nil {
		if s.r.Err() != nil {
			s.fail(err, true)
			return
		}
		s.unbind(true)
		msg := "integrating a download failed"
		if errors.Is(err, store.ErrSchemaMismatch) {
			msg = "schema mismatch integrating a download"
		}
		s.clientReset(&SyncError{Code: protocol.BadChangeset, Action: protocol.ActionClientResetNoRecovery,
			Message: fmt.Sprintf("%s: %v", msg, err), Local: err})
		return
	}
	for i := range d.Changesets {
		s.progress.downloaded += uint64(len(changeset.Encode(&d.Changesets[i].Changeset)))
	}
	s.progress.downloadable, s.progress.downloadKnown = d.DownloadableBytes, true
	s.progress.uploaded += unacked - s.r.UnackedBytes()
	if p, ok := s.r.PendingReset(); ok && (!p.Adopted || s.r.Acked().ClientVersion >= p.Upload) {
		// The server took the replica's file and its recovered changes:
		// the reset (or the one a crash interrupted) is over.
		if err := s.r.EndReset(); err != nil {
			s.fail(err, true)
			return
		}
	}
	if !s.downloading {
		s.downloading = true
		s.c.conn.backoff.reset() // a successful session
	}
	s.upload()
	s.notifyProgress(Download)
	s.notifyProgress(Upload)
	s.checkUploadWaits()
	s.checkDying()
}

func (s *Session) onMark(m *protocol.Mark) {
	if m.RequestIdent > s.marks {
		return // not a MARK this session sent
	}
	if op := s.resetting; op != nil {
		if op.mark == 0 || m.RequestIdent < op.mark {
			return
		}
		s.finishReset()
	}
	s.finishWaits(func(w *wait) bool { return w.download && w.target <= m.RequestIdent }, nil)
}

// committed is a local write: upload it if syncing.
func (s *Session) committed() {
	s.upload()
	s.notifyProgress(Upload)
}

// upload sends every local changeset not yet sent on this binding, once
// the first DOWNLOAD has arrived.
func (s *Session) upload() {
	if s.ident == 0 || !s.downloading || s.resetting != nil {
		return
	}
	for {
		batch := s.r.Uploadable(max(s.sent, s.r.Acked().ClientVersion), uploadBatchBytes)
		if len(batch) == 0 {
			return
		}
		last := batch[len(batch)-1]
		cursor, epoch := s.r.DownloadCursor()
		s.c.conn.send(&protocol.Upload{SessionIdent: s.ident,
			UploadCursor:        protocol.UploadCursor{ClientVersion: last.Version, LastIntegratedServerVersion: last.LastIntegratedServerVersion},
			LockedServerVersion: cursor.ServerVersion, ServerVersionSalt: epoch, Changesets: batch})
		s.sent = last.Version
	}
}

// onError handles an ERROR for the session, by the action it asks for. A
// compensating write already reported (the network may duplicate its
// ERROR) is ignored.
func (s *Session) onError(m *protocol.Error) {
	if m.Compensation != nil && !s.firstReport(m.Compensation) {
		return
	}
	e := newSyncError(m)
	switch m.Action {
	case protocol.ActionRetry:
		s.c.conn.lost(e, m.Backoff)
	case protocol.ActionRevert:
		s.report(e)
		s.nonFatal(e)
	case protocol.ActionLogIn:
		s.unbind(false)
		if err := s.user.invalidate(); err != nil {
			s.fail(errors.Join(e, err), false)
			return
		}
		s.stopForLogin()
		s.report(e)
	case protocol.ActionClientReset, protocol.ActionClientResetNoRecovery:
		s.unbind(false)
		if s.resetting != nil {
			s.freshRefused()
			return
		}
		s.clientReset(e)
	default:
		s.fail(e, false)
	}
}

// firstReport reports whether c, a compensating write the server
// reported, is the first report of its changeset of the session's file,
// and remembers that it was reported.
func (s *Session) firstReport(c *protocol.Compensation) bool {
	file, _ := s.r.Ident()
	if s.reported.versions == nil || s.reported.file != file {
		s.reported.file, s.reported.versions = file, map[uint64]bool{}
	}
	if s.reported.versions[c.ClientVersion] {
		return false
	}
	s.reported.versions[c.ClientVersion] = true
	return true
}

// ResetRequired is the client reset the server asked for that went to
// the manual handler, or nil.
func (s *Session) ResetRequired() *SyncError { return s.reset }

// fail stops the session with a fatal error and reports it.
func (s *Session) fail(err error, tell bool) {
	s.stop(err, tell)
	s.report(err)
}

// stop stops the session with a fatal error: it unbinds (telling the
// server if tell), abandons a reset under way, becomes Inactive and
// cancels its waits.
func (s *Session) stop(err error, tell bool) {
	s.unbind(tell)
	s.abandonReset()
	s.state, s.err = Inactive, err
	s.cancelWaits(fmt.Errorf("session %q: %w", s.cfg.Path, err))
	s.c.conn.ensure()
	s.c.connectionChanged()
}

// nonFatal is a non-fatal error: it cancels the waits if the realm asks
// for that.
func (s *Session) nonFatal(err error) {
	if s.cfg.CancelWaitsOnNonFatalErrors {
		s.cancelWaits(fmt.Errorf("session %q: %w", s.cfg.Path, err))
	}
}

// report calls the realm's error handler.
func (s *Session) report(err error) {
	if s.cfg.ErrorHandler != nil {
		s.cfg.ErrorHandler(s, err)
	}
}

// connListener is a connection-state change callback.
type connListener struct {
	token uint64
	cb    func(old, new ConnectionState)
}

// AddConnectionStateListener registers cb for every change of the
// session's connection state; it returns a token for removal.
func (s *Session) AddConnectionStateListener(cb func(old, new ConnectionState)) uint64 {
	s.tokens++
	s.listeners = append(s.listeners, connListener{token: s.tokens, cb: cb})
	return s.tokens
}

// RemoveConnectionStateListener unregisters a listener.
func (s *Session) RemoveConnectionStateListener(token uint64) {
	s.listeners = slices.DeleteFunc(s.listeners, func(l connListener) bool { return l.token == token })
}

// notifyConnectionState calls the listeners if the state changed.
func (s *Session) notifyConnectionState() {
	now := s.ConnectionState()
	if now == s.lastConn {
		return
	}
	old := s.lastConn
	s.lastConn = now
	for _, l := range slices.Clone(s.listeners) {
		l.cb(old, now)
	}
}
