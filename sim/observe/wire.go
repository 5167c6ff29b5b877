// Package observe records what the clients of a world observed, in the
// oracle's terms. Wire reads the protocol messages crossing the simulated
// network, as a packet capture would, and turns them into the uploads,
// downloads and file idents of an oracle.History: it judges the server the
// way a Jepsen test judges a real system, from the outside, without
// reaching into engine state.
package observe

import (
	"slices"

	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/oracle"
	"github.com/syncsim/syncsim/sim/clock"
)

// Wire is a network tap that builds the sync-log part of a history. The
// server is the node named server; every other node is a client.
type Wire struct {
	clk      *clock.Clock
	server   string
	h        *oracle.History
	sessions map[sessionKey]*session
	// pending uploads, per replica file, waiting for an acknowledgement.
	pending map[fileKey][]int
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
	file, salt    uint64
	identAt       int64 // when CLIENT_IDENT was sent; 0 before
	from          oracle.Cursor
	fromSalt      uint64
	epoch         uint64 // salt of the first DOWNLOAD; 0 before it
	uploads       []int  // uploads sent in this session, for a reset error
}

// NewWire returns a tap recording into h.
func NewWire(clk *clock.Clock, server string, h *oracle.History) *Wire {
	return &Wire{clk: clk, server: server, h: h, sessions: map[sessionKey]*session{}, pending: map[fileKey][]int{}}
}

// Sent sees a message as it leaves a node.
func (w *Wire) Sent(conn uint64, from, to string, msg []byte) {
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
			s.newFileCall = now
		}
		w.sessions[sessionKey{conn, m.SessionIdent}] = s
	case *protocol.ClientIdent:
		if s := w.sessions[sessionKey{conn, m.SessionIdent}]; s != nil {
			s.file, s.salt, s.identAt = m.ClientFileIdent, m.ClientFileSalt, now
			s.from = oracle.Cursor{ServerVersion: m.DownloadCursor.ServerVersion, ClientVersion: m.DownloadCursor.LastIntegratedClientVersion}
			s.fromSalt = m.ServerVersionSalt
		}
	case *protocol.Upload:
		s := w.sessions[sessionKey{conn, m.SessionIdent}]
		if s == nil || s.file == 0 || len(m.Changesets) == 0 {
			return
		}
		u := oracle.Upload{Client: s.client, Realm: s.realm, File: s.file, FileSalt: s.salt, Epoch: s.epoch,
			Call: now, Return: oracle.Infinite, Outcome: oracle.OutcomeUnknown}
		for i := range m.Changesets {
			u.IDs = append(u.IDs, oracle.ChangesetID{File: s.file, Version: m.Changesets[i].Version})
		}
		w.h.Uploads = append(w.h.Uploads, u)
		i := len(w.h.Uploads) - 1
		k := fileKey{s.client, s.realm, s.file}
		w.pending[k] = append(w.pending[k], i)
		s.uploads = append(s.uploads, i)
	case *protocol.Unbind:
		delete(w.sessions, sessionKey{conn, m.SessionIdent})
	}
}

// Delivered sees a message as it reaches a node. A copy the network's
// stress mode made is not something the server said, and is left out (the
// client ignores it as stale, or as addressed to a session it does not have).
func (w *Wire) Delivered(conn uint64, from, to string, msg []byte, sent clock.Time, copied bool) {
	if from != w.server || copied {
		return
	}
	m, err := protocol.Decode(msg)
	if err != nil {
		return
	}
	at := int64(sent) // the server's send time: when it produced the message
	switch m := m.(type) {
	case *protocol.ServerIdent:
		s := w.sessions[sessionKey{conn, m.SessionIdent}]
		if s == nil || s.newFileCall == 0 {
			return
		}
		w.h.NewFiles = append(w.h.NewFiles, oracle.NewFile{Client: s.client, Realm: s.realm,
			File: m.ClientFileIdent, Salt: m.Salt, Call: s.newFileCall, Return: at})
		s.newFileCall = 0
	case *protocol.Download:
		s := w.sessions[sessionKey{conn, m.SessionIdent}]
		if s == nil || s.file == 0 {
			return // not a session of this connection
		}
		if s.epoch == 0 {
			s.epoch = m.ServerVersionSalt
		}
		d := oracle.Download{Client: s.client, Realm: s.realm, File: s.file, FileSalt: s.salt,
			From: s.from, FromSalt: s.fromSalt, Call: at, Return: at, Outcome: oracle.OutcomeOK,
			To:   oracle.Cursor{ServerVersion: m.DownloadCursor.ServerVersion, ClientVersion: m.DownloadCursor.LastIntegratedClientVersion},
			Salt: m.ServerVersionSalt, Latest: m.LatestServerVersion, Acked: m.UploadCursor.ClientVersion}
		for i := range m.Changesets {
			c := &m.Changesets[i]
			d.Entries = append(d.Entries, oracle.Entry{ServerVersion: c.ServerVersion,
				ID: oracle.ChangesetID{File: c.Changeset.OriginFileIdent, Version: c.Changeset.Version}})
		}
		w.h.Downloads = append(w.h.Downloads, d)
		s.from, s.fromSalt = d.To, m.ServerVersionSalt
		w.acknowledge(fileKey{s.client, s.realm, s.file}, m.UploadCursor.ClientVersion, at)
	case *protocol.Error:
		s := w.sessions[sessionKey{conn, m.SessionIdent}]
		if s == nil || !m.Action.Reset() {
			return
		}
		code := oracle.Code(m.Code.String())
		if s.epoch == 0 && s.identAt != 0 {
			// The answer to CLIENT_IDENT: a download that came back as a reset.
			w.h.Downloads = append(w.h.Downloads, oracle.Download{Client: s.client, Realm: s.realm, File: s.file,
				FileSalt: s.salt, From: s.from, FromSalt: s.fromSalt, Call: s.identAt, Return: at,
				Outcome: oracle.OutcomeReset, Code: code})
		}
		k := fileKey{s.client, s.realm, s.file}
		for _, i := range s.uploads {
			if u := &w.h.Uploads[i]; u.Return == oracle.Infinite {
				u.Return, u.Outcome, u.Code = at, oracle.OutcomeReset, code
				w.pending[k] = slices.DeleteFunc(w.pending[k], func(j int) bool { return j == i })
			}
		}
		delete(w.sessions, sessionKey{conn, m.SessionIdent})
	}
}

// acknowledge completes the file's pending uploads that acked covers.
func (w *Wire) acknowledge(k fileKey, acked uint64, at int64) {
	kept := w.pending[k][:0]
	for _, i := range w.pending[k] {
		u := &w.h.Uploads[i]
		if u.IDs[len(u.IDs)-1].Version <= acked {
			// An upload of versions integrated earlier may meet an
			// acknowledgement sent before it: it changed nothing, any
			// point in its interval will do.
			u.Return, u.Outcome, u.Acked = max(at, u.Call), oracle.OutcomeOK, acked
		} else {
			kept = append(kept, i)
		}
	}
	w.pending[k] = kept
}
