package client

import (
	"fmt"
	"strings"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/schema"
)

// fakeServer is a scripted sync server for session tests: it speaks the
// protocol but appends uploads to the history as they are (no transform:
// tests that need merging use engine/server), and lets a test hold or
// inspect messages and inject its own.
type fakeServer struct {
	n       *testNet
	addr    string
	accepts int
	conns   []*fakeConn
	realms  map[string]*fakeRealm
	files   uint64
	issued  map[uint64]bool                        // the client file idents this server issued
	batch   int                                    // changesets per DOWNLOAD; 0: all
	hold    func(m protocol.Message) bool          // true: ignore the message
	log     []received                             // every message received
	delay   func(m protocol.Message) time.Duration // handle m after a delay (in order)
}

type received struct {
	at  time.Duration
	msg protocol.Message
}

type fakeRealm struct {
	history []fakeEntry
	acked   map[uint64]protocol.UploadCursor
}

type fakeEntry struct {
	cs            changeset.Changeset
	origin        uint64
	clientVersion uint64
}

type fakeConn struct {
	s        *fakeServer
	c        env.Conn
	sessions map[uint64]*fakeSession
	busy     time.Duration // messages are handled in order: not before this
}

type fakeSession struct {
	ident      uint64
	path       string
	file       uint64
	sent       uint64 // the server version sent up to
	identified bool
}

func newFakeServer(n *testNet, addr string) *fakeServer {
	s := &fakeServer{n: n, addr: addr, realms: map[string]*fakeRealm{}, issued: map[uint64]bool{}}
	s.listen()
	return s
}

func (s *fakeServer) listen() {
	require.NoError(s.n.t, s.n.net.Node(s.addr).Listen(s.addr, func(c env.Conn) env.Handler {
		s.accepts++
		fc := &fakeConn{s: s, c: c, sessions: map[uint64]*fakeSession{}}
		s.conns = append(s.conns, fc)
		return fc
	}))
}

func (s *fakeServer) realm(path string) *fakeRealm {
	r, ok := s.realms[path]
	if !ok {
		r = &fakeRealm{acked: map[uint64]protocol.UploadCursor{}}
		s.realms[path] = r
	}
	return r
}

// received returns the messages of type typ received so far.
func (s *fakeServer) received(typ protocol.Type) []protocol.Message {
	var out []protocol.Message
	for _, r := range s.log {
		if r.msg.Type() == typ {
			out = append(out, r.msg)
		}
	}
	return out
}

func (fc *fakeConn) OnOpen(env.Conn) {}

func (fc *fakeConn) OnClose(env.Conn, error) { fc.sessions = nil }

func (fc *fakeConn) OnMessage(_ env.Conn, msg []byte) {
	s := fc.s
	m, err := protocol.Decode(msg)
	require.NoError(s.n.t, err)
	s.log = append(s.log, received{at: s.n.now(), msg: m})
	if s.hold != nil && s.hold(m) {
		return
	}
	at := s.n.now()
	if s.delay != nil {
		at += s.delay(m)
	}
	if at = max(at, fc.busy); at > s.n.now() {
		fc.busy = at
		s.n.clk.AfterFunc(at-s.n.now(), func() { fc.handle(m) })
		return
	}
	fc.handle(m)
}

func (fc *fakeConn) send(m protocol.Message) { _ = fc.c.Send(protocol.Encode(m)) }

func (fc *fakeConn) handle(m protocol.Message) {
	s := fc.s
	if fc.sessions == nil {
		return // closed meanwhile
	}
	switch m := m.(type) {
	case *protocol.LogIn:
		res := &protocol.LogInResult{RequestIdent: m.RequestIdent}
		switch name, ok := strings.CutPrefix(m.Credential, "user:"); {
		case m.Provider == ProviderAnonymous:
			s.files++
			res.User = fmt.Sprintf("anon-%d", s.files)
		case m.Provider == ProviderToken && ok:
			res.User = name
		default:
			res.Code, res.Message = protocol.BadAuthentication, "refused"
		}
		if res.User != "" {
			res.AccessToken = "tok-" + s.addr + "-" + res.User
		}
		fc.send(res)
	case *protocol.Bind:
		fc.sessions[m.SessionIdent] = &fakeSession{ident: m.SessionIdent, path: m.Path}
		if m.NeedClientFileIdent {
			s.files++
			s.issued[s.files] = true
			fc.send(&protocol.ServerIdent{SessionIdent: m.SessionIdent, ClientFileIdent: s.files, Salt: 1000 + s.files})
		}
	case *protocol.ClientIdent:
		ss := fc.sessions[m.SessionIdent]
		code := protocol.ErrorCode(0)
		switch {
		case !s.issued[m.ClientFileIdent]:
			code = protocol.BadClientFileIdent
		case m.DownloadCursor.ServerVersion > uint64(len(s.realm(ss.path).history)):
			code = protocol.BadServerVersion
		}
		if code != 0 {
			fc.send(&protocol.Error{SessionIdent: m.SessionIdent, Code: code, Action: code.Action()})
			delete(fc.sessions, m.SessionIdent)
			return
		}
		ss.file, ss.sent, ss.identified = m.ClientFileIdent, m.DownloadCursor.ServerVersion, true
		fc.push(ss)
	case *protocol.Upload:
		ss := fc.sessions[m.SessionIdent]
		r := s.realm(ss.path)
		for _, cs := range m.Changesets {
			if cs.Version > r.acked[ss.file].ClientVersion {
				r.history = append(r.history, fakeEntry{cs: cs, origin: ss.file, clientVersion: cs.Version})
				r.acked[ss.file] = protocol.UploadCursor{ClientVersion: cs.Version, LastIntegratedServerVersion: cs.LastIntegratedServerVersion}
			}
		}
		s.pushAll(ss.path)
	case *protocol.Mark:
		fc.send(m)
	case *protocol.Ping:
		fc.send(&protocol.Pong{Timestamp: m.Timestamp})
	case *protocol.Unbind:
		delete(fc.sessions, m.SessionIdent)
	}
}

// pushAll sends every identified session of path what it lacks.
func (s *fakeServer) pushAll(path string) {
	for _, fc := range s.conns {
		for _, ss := range fc.sortedSessions() {
			if ss.path == path && ss.identified {
				fc.push(ss)
			}
		}
	}
}

func (fc *fakeConn) sortedSessions() []*fakeSession {
	var out []*fakeSession
	for _, ss := range fc.sessions {
		out = append(out, ss)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].ident < out[i].ident {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// push sends ss the history after what it has, in DOWNLOADs of s.batch
// changesets (always at least one DOWNLOAD, carrying the upload ack).
func (fc *fakeConn) push(ss *fakeSession) {
	r := fc.s.realm(ss.path)
	latest := uint64(len(r.history))
	for first := true; first || ss.sent < latest; first = false {
		d := &protocol.Download{SessionIdent: ss.ident, ServerVersionSalt: 7, LatestServerVersion: latest,
			UploadCursor: r.acked[ss.file]}
		v := ss.sent
		for v < latest && (fc.s.batch == 0 || len(d.Changesets) < fc.s.batch) {
			v++
			e := r.history[v-1]
			if e.origin == ss.file {
				continue
			}
			d.Changesets = append(d.Changesets, protocol.ServerChangeset{ServerVersion: v,
				LastIntegratedClientVersion: r.lastAsOf(ss.file, v), Changeset: e.cs})
		}
		ss.sent = v
		d.DownloadCursor = protocol.DownloadCursor{ServerVersion: v, LastIntegratedClientVersion: r.lastAsOf(ss.file, v)}
		for _, e := range r.history[v:] {
			if e.origin != ss.file {
				d.DownloadableBytes += uint64(len(changeset.Encode(&e.cs)))
			}
		}
		fc.send(d)
	}
}

func (r *fakeRealm) lastAsOf(file, v uint64) uint64 {
	var lv uint64
	for _, e := range r.history[:v] {
		if e.origin == file {
			lv = e.clientVersion
		}
	}
	return lv
}

// foreignDog appends a changeset from another client creating Dog[pk],
// and pushes it.
func (s *fakeServer) foreignDog(path string, pk int64) {
	r := s.realm(path)
	r.history = append(r.history, fakeEntry{origin: 999, clientVersion: uint64(len(r.history) + 1), cs: changeset.Changeset{
		Version: uint64(len(r.history) + 1), OriginTimestamp: 1, OriginFileIdent: 999,
		Instructions: []changeset.Instruction{
			{Op: changeset.AddTable, Class: "Dog", PKKind: schema.Int},
			{Op: changeset.CreateObject, Class: "Dog", PK: changeset.IntPK(pk)},
		}}})
	s.pushAll(path)
}

// foreign appends a changeset of instructions ins from another client to
// the realm at path, and pushes it.
func (s *fakeServer) foreign(path string, ins ...changeset.Instruction) {
	r := s.realm(path)
	v := uint64(len(r.history) + 1)
	r.history = append(r.history, fakeEntry{origin: 999, clientVersion: v, cs: changeset.Changeset{
		Version: v, OriginTimestamp: 1, OriginFileIdent: 999, Instructions: ins}})
	s.pushAll(path)
}

// schemaInstructions are the AddTable and AddColumn instructions that
// create sch (links nullable, as the store keeps them).
func schemaInstructions(sch schema.Schema) []changeset.Instruction {
	var ins []changeset.Instruction
	for _, c := range sch.Classes {
		ins = append(ins, changeset.Instruction{Op: changeset.AddTable, Class: c.Name, PKKind: c.PKKind})
		for _, p := range c.Props {
			t := p.Type
			if t.Kind == schema.Link {
				t.Nullable = true
			}
			ins = append(ins, changeset.Instruction{Op: changeset.AddColumn, Class: c.Name, Field: p.Name, Type: t})
		}
	}
	return ins
}

// sendError sends an ERROR to every session (forgetting them), or to the
// connections (session ident 0) if conn is set.
func (s *fakeServer) sendError(conn bool, code protocol.ErrorCode, action protocol.Action, backoff time.Duration) {
	for _, fc := range s.conns {
		if fc.sessions == nil {
			continue
		}
		if conn {
			fc.send(&protocol.Error{Code: code, Action: action, Backoff: backoff, Message: "scripted"})
			continue
		}
		for _, ss := range fc.sortedSessions() {
			fc.send(&protocol.Error{SessionIdent: ss.ident, Code: code, Action: action, Backoff: backoff, Message: "scripted"})
			delete(fc.sessions, ss.ident)
		}
	}
}
