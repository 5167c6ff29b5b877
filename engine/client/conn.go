package client

import (
	"fmt"
	"slices"
	"time"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/protocol"
)

// ConnectionState is the state of a connection to the server (as a
// session sees it: a session that is not syncing sees Disconnected).
type ConnectionState uint8

// The connection states.
const (
	Disconnected ConnectionState = iota
	Connecting
	Connected
)

func (s ConnectionState) String() string {
	switch s {
	case Disconnected:
		return "disconnected"
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	}
	return fmt.Sprintf("connection state %d", uint8(s))
}

// Heartbeat: a PING after pingInterval without a message from the server;
// without a PONG within pongTimeout the connection is given up.
const (
	pingInterval = 60 * time.Second
	pongTimeout  = 2 * time.Minute
)

// connection is an app's one connection to the server, shared by its
// sessions (told apart by session ident) and its login requests. It
// connects while anything needs it and reconnects after failures with
// backoff.
type connection struct {
	c       *core
	state   ConnectionState
	cur     *handler // the handler of the current dial; events for others are stale
	conn    env.Conn
	backoff backoff
	retry   env.Timer // the pending reconnect
	idle    env.Timer // the next PING
	pong    env.Timer // gives up waiting for a PONG
	rtt     time.Duration
	bound   map[uint64]*Session
}

func newConnection(c *core) *connection {
	return &connection{c: c, backoff: backoff{rand: c.h.rand, mutants: c.cfg.Mutants}, bound: map[uint64]*Session{}}
}

// handler receives the events of one dial.
type handler struct{ cn *connection }

func (h *handler) current() bool { return !h.cn.c.h.dead && h.cn.cur == h }

func (h *handler) OnOpen(c env.Conn) {
	if h.current() {
		h.cn.opened(c)
	}
}

func (h *handler) OnMessage(_ env.Conn, msg []byte) {
	if h.current() {
		h.cn.receive(msg)
	}
}

func (h *handler) OnClose(_ env.Conn, err error) {
	if h.current() {
		h.cn.lost(fmt.Errorf("%w: %w", ErrConnectionLost, err), 0)
	}
}

// ensure connects if something needs the connection and no reconnect is
// pending, and disconnects if nothing needs it.
func (cn *connection) ensure() {
	wanted := cn.c.wantsConnection()
	switch {
	case cn.c.h.dead:
	case !wanted && cn.cur != nil:
		cn.drop()
	case !wanted:
		cn.retry = stop(cn.retry)
	case cn.cur == nil && cn.retry == nil:
		cn.dial()
	}
}

func (cn *connection) dial() {
	h := &handler{cn: cn}
	cn.cur, cn.state = h, Connecting
	conn := cn.c.h.net.Dial(cn.c.cfg.BaseURL, h)
	if cn.cur == h {
		cn.conn = conn
	}
	cn.c.connectionChanged()
}

// resume reconnects at once, with the backoff reset: an explicit resume
// of a session.
func (cn *connection) resume() {
	cn.backoff.reset()
	cn.retry = stop(cn.retry)
	cn.ensure()
}

func (cn *connection) opened(c env.Conn) {
	cn.conn, cn.state = c, Connected
	cn.armIdle()
	cn.c.connectionChanged()
	cn.c.sendLogins()
	for _, s := range slices.Clone(cn.c.sessions) {
		s.bind()
	}
}

// send sends m if connected. A failed send means the connection broke;
// its OnClose follows.
func (cn *connection) send(m protocol.Message) {
	if cn.state == Connected {
		_ = cn.conn.Send(protocol.Encode(m))
	}
}

// newSessionIdent returns a session ident for s, never 0, drawn at random
// so that it is unique across the process's connections and incarnations:
// a stray message of an old connection (a network may deliver one late)
// then names a session the new connection does not know and is ignored.
func (cn *connection) newSessionIdent(s *Session) uint64 {
	for {
		id := 1 + cn.c.h.rand.Uint64N(1<<62)
		if cn.bound[id] == nil {
			cn.bound[id] = s
			return id
		}
	}
}

func (cn *connection) receive(msg []byte) {
	cn.armIdle()
	m, err := protocol.Decode(msg)
	if err != nil {
		cn.lost(fmt.Errorf("%w: undecodable message from the server: %w", ErrConnectionLost, err), 0)
		return
	}
	switch m := m.(type) {
	case *protocol.LogInResult:
		cn.c.onLogInResult(m)
	case *protocol.Pong:
		cn.pong = stop(cn.pong)
		cn.rtt = max(0, cn.c.h.clk.Now().Sub(env.Time(m.Timestamp)))
	case *protocol.Error:
		if m.SessionIdent == 0 {
			cn.onError(m)
		} else if s := cn.bound[m.SessionIdent]; s != nil {
			s.onError(m)
		}
	case *protocol.ServerIdent:
		if s := cn.bound[m.SessionIdent]; s != nil {
			s.onServerIdent(m)
		}
	case *protocol.Download:
		if s := cn.bound[m.SessionIdent]; s != nil {
			s.onDownload(m)
		}
	case *protocol.Mark:
		if s := cn.bound[m.SessionIdent]; s != nil {
			s.onMark(m)
		}
	default:
		cn.lost(fmt.Errorf("%w: the server sent a %s message", ErrConnectionLost, m.Type()), 0)
	}
}

// onError handles an ERROR about the whole connection: a transient one
// reconnects after the backoff (the server's, if it gives one); any other
// goes to every bound session, then the connection is given up.
func (cn *connection) onError(m *protocol.Error) {
	if m.Action != protocol.ActionRetry {
		for _, s := range slices.Clone(cn.c.sessions) {
			if s.ident != 0 {
				e := *m
				e.SessionIdent = s.ident
				s.onError(&e)
			}
		}
	}
	cn.lost(newSyncError(m), m.Backoff)
}

// armIdle schedules the next PING pingInterval from now.
func (cn *connection) armIdle() {
	cn.idle = stop(cn.idle)
	cn.idle = cn.c.h.after(pingInterval, cn.ping)
}

func (cn *connection) ping() {
	cn.idle = nil
	cn.send(&protocol.Ping{Timestamp: int64(cn.c.h.clk.Now()), RTT: cn.rtt})
	if cn.pong == nil {
		cn.pong = cn.c.h.after(pongTimeout, func() {
			cn.pong = nil
			cn.lost(fmt.Errorf("%w: no PONG within %v", ErrConnectionLost, pongTimeout), 0)
		})
	}
}

// lost handles a failed or broken connection: a reconnect is scheduled
// after the backoff delay (or the server's override) if anything needs
// the connection, then the sessions learn of it (a non-fatal error). The
// reconnect is scheduled first so that nothing the sessions do dials at
// once.
func (cn *connection) lost(err error, override time.Duration) {
	cn.close()
	if cn.c.wantsConnection() && !cn.c.h.dead {
		cn.retry = cn.c.h.after(cn.backoff.delay(override), func() {
			cn.retry = nil
			cn.ensure()
		})
	}
	for _, s := range slices.Clone(cn.c.sessions) {
		s.disconnected(err)
	}
	cn.c.connectionChanged()
}

// drop closes the connection because nothing needs it.
func (cn *connection) drop() {
	cn.close()
	cn.c.connectionChanged()
}

// kill closes the connection of a dying process, telling no one.
func (cn *connection) kill() { cn.close() }

// close closes the connection and forgets the bindings; pending logins
// will be sent again on the next connection.
func (cn *connection) close() {
	if cn.conn != nil {
		cn.conn.Close()
	}
	cn.cur, cn.conn, cn.state = nil, nil, Disconnected
	cn.retry, cn.idle, cn.pong = stop(cn.retry), stop(cn.idle), stop(cn.pong)
	for _, s := range cn.c.sessions {
		s.clearBinding()
	}
	clear(cn.bound)
	for _, req := range cn.c.logins {
		req.sent = false
	}
}
