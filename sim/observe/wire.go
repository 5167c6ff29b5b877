package observe

import (
	"hash/fnv"
	"slices"

	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/history"
	"github.com/syncsim/syncsim/sim/clock"
)

// Wire is a network tap that builds the sync-log part of a history. The
// server is the node named server; every other node is a client.
type Wire struct {
	clk      *clock.Clock
	server   string
	h        *history.History
	sessions map[sessionKey]*session
	// pending uploads, per replica file, waiting for an acknowledgement.
	pending map[fileKey][]int
	// inflight uploads, sent and not yet arrived: recorded on arrival (one
	// lost on the way was never seen by the server).
	inflight map[inflightKey]inflight
	onReset  func(ResetAsked)
	// tick numbers every message event the tap sees, in order: the Seq of
	// the history's operations (ties within one virtual instant).
	tick uint64
	// sends holds, per connection, the ticks of the server's messages on
	// their way, to date each at its delivery.
	sends map[uint64][]serverSend
	// bounds holds, per session, the index+1 in h.Bounds of the session
	// the server holds bound to a file, until the server's side ends.
	bounds map[sessionKey]int
}

// serverSend is a message the server sent: when, which (a hash of its
// bytes), and its tick.
type serverSend struct {
	at   clock.Time
	hash uint64
	tick uint64
}

func hashOf(msg []byte) uint64 {
	h := fnv.New64a()
	h.Write(msg)
	return h.Sum64()
}

// inflightKey names one UPLOAD message on the wire: a session uploads each
// changeset once (session idents are random, unique in a run). Its copies
// carry the same key, on whatever connection the network replays them.
type inflightKey struct {
	session, first uint64
}

type inflight struct {
	s *session
	u history.Upload
}

// ResetAsked is an ERROR asking a client for a client reset, as it reaches
// the client (just before the client handles it).
type ResetAsked struct {
	Client, Realm string
	File          uint64 // the session's client file
	Code          history.Code
	NoRecovery    bool // the action is "client reset without recovery"
	At            int64
}

type sessionKey struct {
	conn  uint64
	ident uint64
}

type fileKey struct {
	client, realm string
	file          uint64
}

// session is what the wire showed of one bound session.
type session struct {
	client, realm string
	newFileCall   int64 // BIND asked for an ident; 0 if not
	newFileSeq    uint64
	file, salt    uint64
	identSeq      uint64
	identAt       int64 // when CLIENT_IDENT was sent; 0 before
	from          history.Cursor
	fromSalt      uint64
	epoch         uint64 // salt of the first DOWNLOAD; 0 before it
	uploads       []int  // uploads sent in this session, for a reset error
}

// NewWire returns a tap recording into h.
func NewWire(clk *clock.Clock, server string, h *history.History) *Wire {
	return &Wire{clk: clk, server: server, h: h, sessions: map[sessionKey]*session{}, pending: map[fileKey][]int{},
		inflight: map[inflightKey]inflight{}, sends: map[uint64][]serverSend{}, bounds: map[sessionKey]int{}}
}

// Tick numbers an event of the harness's own (a backup, a restore) in the
// sequence of the wire's events, so that the history orders it among what
// happened at the same instant.
func (w *Wire) Tick() uint64 {
	w.tick++
	return w.tick
}

// OnReset makes fn see every ERROR asking a client for a reset, before the
// client handles it (a harness reads the client's state as it was then).
func (w *Wire) OnReset(fn func(ResetAsked)) { w.onReset = fn }

// Sent sees a message as it leaves a node.
func (w *Wire) Sent(conn uint64, from, to string, msg []byte) {
	tick := w.Tick()
	if from == w.server {
		w.sends[conn] = append(w.sends[conn], serverSend{at: w.clk.Now(), hash: hashOf(msg), tick: tick})
		w.serverSent(conn, msg)
		return
	}
	if to != w.server {
		return
	}
	m, err := protocol.Decode(msg)
	if err != nil {
		return // the server will refuse it; nothing was observed
	}
	now := int64(w.clk.Now())
	switch m := m.(type) {
	case *protocol.Bind:
		s := &session{client: from, realm: m.Path}
		if m.NeedClientFileIdent {
			s.newFileCall, s.newFileSeq = now, w.tick
		}
		w.sessions[sessionKey{conn, m.SessionIdent}] = s
	case *protocol.ClientIdent:
		if s := w.sessions[sessionKey{conn, m.SessionIdent}]; s != nil {
			s.file, s.salt, s.identAt, s.identSeq = m.ClientFileIdent, m.ClientFileSalt, now, w.tick
			s.from = history.Cursor{ServerVersion: m.DownloadCursor.ServerVersion, ClientVersion: m.DownloadCursor.LastIntegratedClientVersion}
			s.fromSalt = m.ServerVersionSalt
			w.bind(sessionKey{conn, m.SessionIdent}, s, now)
		}
	case *protocol.Upload:
		s := w.sessions[sessionKey{conn, m.SessionIdent}]
		if s == nil || s.file == 0 || len(m.Changesets) == 0 {
			return
		}
		u := history.Upload{Client: s.client, Realm: s.realm, File: s.file, FileSalt: s.salt, Epoch: s.epoch,
			Call: now, Return: history.Infinite, Outcome: history.OutcomeUnknown}
		for i := range m.Changesets {
			c := &m.Changesets[i]
			u.IDs = append(u.IDs, history.ChangesetID{File: s.file, Version: c.Version})
			if b := c.LastIntegratedServerVersion; b > 0 && (u.Base == 0 || b < u.Base) {
				u.Base = b
			}
		}
		w.inflight[inflightKey{m.SessionIdent, m.Changesets[0].Version}] = inflight{s, u}
	case *protocol.Unbind:
		delete(w.sessions, sessionKey{conn, m.SessionIdent})
	}
}

// serverSent sees a message the server sends. A SERVER_IDENT is recorded
// as it leaves: the server has handed the ident out whether or not it
// arrives (a compaction may expire a file its client never learnt of).
func (w *Wire) serverSent(conn uint64, msg []byte) {
	// A message is Magic, FormatVersion, then its type: decode only
	// SERVER_IDENTs and ERRORs (the DOWNLOADs are decoded when they arrive).
	if len(msg) < 3 || (protocol.Type(msg[2]) != protocol.TypeServerIdent && protocol.Type(msg[2]) != protocol.TypeError) {
		return
	}
	m, err := protocol.Decode(msg)
	if err != nil {
		return
	}
	if e, ok := m.(*protocol.Error); ok {
		if e.SessionIdent != 0 && e.Code != protocol.CompensatingWrite {
			w.unbound(sessionKey{conn, e.SessionIdent})
		}
		// A compensating write is the server's act: recorded as sent, even
		// if its report never arrives (the changeset that reverts reaches
		// the client in a DOWNLOAD all the same).
		if s := w.sessions[sessionKey{conn, e.SessionIdent}]; s != nil && e.Code == protocol.CompensatingWrite {
			w.reverted(s, e.Compensation)
		}
		return
	}
	si, ok := m.(*protocol.ServerIdent)
	if !ok {
		return
	}
	s := w.sessions[sessionKey{conn, si.SessionIdent}]
	if s == nil || s.newFileCall == 0 {
		return
	}
	w.h.NewFiles = append(w.h.NewFiles, history.NewFile{Client: s.client, Realm: s.realm,
		File: si.ClientFileIdent, Salt: si.Salt, Call: s.newFileCall, Return: int64(w.clk.Now()),
		Seq: history.Seq{CallSeq: s.newFileSeq, ReturnSeq: w.tick}})
	b := *s
	b.file = si.ClientFileIdent
	w.bind(sessionKey{conn, si.SessionIdent}, &b, s.newFileCall)
	s.newFileCall = 0
}

// Delivered sees a message as it reaches a node. A copy of a server's
// message the network's stress mode made is not something the server said,
// and is left out (the client ignores it as stale, or as addressed to a
// session it does not have); an UPLOAD counts from its first arrival, be
// it the original, a duplicate or a ghost replayed on a later connection
// (the server may act on any of them).
func (w *Wire) Delivered(conn uint64, from, to string, msg []byte, sent clock.Time, copied bool) {
	w.Tick()
	if to == w.server {
		// The first to arrive, copy or not (the original may be lost):
		// the server cannot tell them apart.
		w.arrived(msg)
		if len(msg) >= 3 && protocol.Type(msg[2]) == protocol.TypeUnbind {
			if m, err := protocol.Decode(msg); err == nil {
				w.unbound(sessionKey{conn, m.(*protocol.Unbind).SessionIdent})
			}
		}
		return
	}
	if copied {
		return
	}
	if from != w.server {
		return
	}
	seq := w.sentTick(conn, msg, sent)
	m, err := protocol.Decode(msg)
	if err != nil {
		return
	}
	at := int64(sent) // the server's send time: when it produced the message
	switch m := m.(type) {
	case *protocol.Download:
		s := w.sessions[sessionKey{conn, m.SessionIdent}]
		if s == nil || s.file == 0 {
			return // not a session of this connection
		}
		first := s.epoch == 0
		if first {
			s.epoch = m.ServerVersionSalt
		}
		d := history.Download{First: first, Client: s.client, Realm: s.realm, File: s.file, FileSalt: s.salt,
			From: s.from, FromSalt: s.fromSalt, Call: at, Return: at, Received: int64(w.clk.Now()), Outcome: history.OutcomeOK,
			Seq:  history.Seq{CallSeq: seq, ReturnSeq: seq},
			To:   history.Cursor{ServerVersion: m.DownloadCursor.ServerVersion, ClientVersion: m.DownloadCursor.LastIntegratedClientVersion},
			Salt: m.ServerVersionSalt, Latest: m.LatestServerVersion, Acked: m.UploadCursor.ClientVersion}
		for i := range m.Changesets {
			c := &m.Changesets[i]
			d.Entries = append(d.Entries, history.Entry{ServerVersion: c.ServerVersion,
				ID: history.ChangesetID{File: c.Changeset.OriginFileIdent, Version: c.Changeset.Version}})
		}
		w.h.Downloads = append(w.h.Downloads, d)
		if i := w.bounds[sessionKey{conn, m.SessionIdent}]; first && i > 0 && w.h.Bounds[i-1].Accepted == 0 {
			w.h.Bounds[i-1].Accepted, w.h.Bounds[i-1].AcceptedSeq = at, seq
		}
		s.from, s.fromSalt = d.To, m.ServerVersionSalt
		w.acknowledge(fileKey{s.client, s.realm, s.file}, m.UploadCursor.ClientVersion, at, seq)
	case *protocol.Error:
		s := w.sessions[sessionKey{conn, m.SessionIdent}]
		if s == nil {
			return
		}
		if !m.Action.Reset() {
			return
		}
		code := history.Code(m.Code.String())
		if w.onReset != nil {
			w.onReset(ResetAsked{Client: s.client, Realm: s.realm, File: s.file, Code: code,
				NoRecovery: m.Action == protocol.ActionClientResetNoRecovery, At: int64(w.clk.Now())})
		}
		if s.epoch == 0 && s.identAt != 0 {
			// The answer to CLIENT_IDENT: a download that came back as a reset.
			w.h.Downloads = append(w.h.Downloads, history.Download{First: true, Client: s.client, Realm: s.realm, File: s.file,
				FileSalt: s.salt, From: s.from, FromSalt: s.fromSalt, Call: s.identAt, Return: at,
				Outcome: history.OutcomeReset, Code: code, Seq: history.Seq{CallSeq: s.identSeq, ReturnSeq: seq}})
		}
		// The error answers the uploads the server had when it sent it; one
		// sent after reached a session the server had ended, and no reply
		// will ever come (it stays pending: a later acknowledgement of a
		// resend completes it).
		k := fileKey{s.client, s.realm, s.file}
		for _, i := range s.uploads {
			if u := &w.h.Uploads[i]; u.Return == history.Infinite && u.Call <= at {
				u.Return, u.Outcome, u.Code, u.ReturnSeq = at, history.OutcomeReset, code, seq
				w.pending[k] = slices.DeleteFunc(w.pending[k], func(j int) bool { return j == i })
			}
		}
		delete(w.sessions, sessionKey{conn, m.SessionIdent})
	}
}

// bind records that the server may hold session k bound to s's file from
// begin on (a session already recorded for that file keeps its record).
func (w *Wire) bind(k sessionKey, s *session, begin int64) {
	if s.file == 0 {
		return
	}
	if i := w.bounds[k]; i > 0 && w.h.Bounds[i-1].File == s.file {
		return
	}
	w.h.Bounds = append(w.h.Bounds, history.Bound{Client: s.client, Realm: s.realm, File: s.file,
		Begin: begin, End: history.Infinite})
	w.bounds[k] = len(w.h.Bounds)
}

// unbound records that the server's side of session k ended now.
func (w *Wire) unbound(k sessionKey) {
	if i := w.bounds[k]; i > 0 {
		b := &w.h.Bounds[i-1]
		b.End, b.EndSeq = int64(w.clk.Now()), w.tick
		delete(w.bounds, k)
	}
}

// Closed sees a node's end of a connection end: the server's ends every
// session it held on it.
func (w *Wire) Closed(conn uint64, node string) {
	if node != w.server {
		return
	}
	w.Tick()
	var ks []sessionKey
	for k := range w.bounds {
		if k.conn == conn {
			ks = append(ks, k)
		}
	}
	for _, k := range ks { // order does not matter: each gets the same end
		w.unbound(k)
	}
}

// sentTick is the tick at which the server sent msg (sent at sent) on
// conn; 0 if unknown.
func (w *Wire) sentTick(conn uint64, msg []byte, sent clock.Time) uint64 {
	q := w.sends[conn]
	h := hashOf(msg)
	for i, e := range q {
		if e.at == sent && e.hash == h {
			w.sends[conn] = slices.Delete(q, i, i+1)
			return e.tick
		}
		if e.at > sent {
			break
		}
	}
	return 0
}

// arrived records an UPLOAD as it reaches the server: from then on the
// server may integrate it (the earliest moment its interval can start).
func (w *Wire) arrived(msg []byte) {
	if len(msg) < 3 || protocol.Type(msg[2]) != protocol.TypeUpload {
		return
	}
	m, err := protocol.Decode(msg)
	if err != nil {
		return
	}
	up := m.(*protocol.Upload)
	if len(up.Changesets) == 0 {
		return
	}
	key := inflightKey{up.SessionIdent, up.Changesets[0].Version}
	f, ok := w.inflight[key]
	if !ok {
		return
	}
	delete(w.inflight, key)
	f.u.Call, f.u.CallSeq = int64(w.clk.Now()), w.tick
	w.h.Uploads = append(w.h.Uploads, f.u)
	i := len(w.h.Uploads) - 1
	k := fileKey{f.s.client, f.s.realm, f.s.file}
	w.pending[k] = append(w.pending[k], i)
	f.s.uploads = append(f.s.uploads, i)
}

// acknowledge completes the file's pending uploads that acked covers.
func (w *Wire) acknowledge(k fileKey, acked uint64, at int64, seq uint64) {
	kept := w.pending[k][:0]
	for _, i := range w.pending[k] {
		u := &w.h.Uploads[i]
		if u.IDs[len(u.IDs)-1].Version <= acked {
			// An upload of versions integrated earlier may meet an
			// acknowledgement sent before it: it changed nothing, any
			// point in its interval will do.
			u.Return, u.Outcome, u.Acked, u.ReturnSeq = max(at, u.Call), history.OutcomeOK, acked, seq
			if at < u.Call {
				u.ReturnSeq = 0 // the end of the instant it arrived at
			}
		} else {
			kept = append(kept, i)
		}
	}
	w.pending[k] = kept
}

// reverted records a compensating write the server reported to s's client
// (as it sent the report): one Revert per object the report's typed
// compensation names, for the changeset of s's file with the client
// version it names. Columns and tables reverted are no objects.
func (w *Wire) reverted(s *session, c *protocol.Compensation) {
	if c == nil || s.file == 0 {
		return
	}
	for _, r := range c.Reverted {
		if r.Kind == protocol.RevertedObject {
			w.h.Reverts = append(w.h.Reverts, history.Revert{Client: s.client, Realm: s.realm,
				Changeset: history.ChangesetID{File: s.file, Version: c.ClientVersion}, Object: ObjectName(r.Class, r.PK), At: int64(w.clk.Now())})
		}
	}
}
