// Package server is the sync server: it hosts many realms (one per path),
// keeps each realm's history of changesets under an epoch salt, integrates
// uploads by operational transform against the history their authors had
// not seen, and sends every client the history it lacks.
//
// The server is a single-threaded state machine driven by its env seams:
// connection events from env.Transport, timers from env.Clock, durability
// through env.Storage. Nothing is acknowledged to a client, and nothing is
// sent in a download, before it is durable; a crash and restart (drop the
// Server, make a new one on the same Storage, Start it) loses nothing that
// was acknowledged.
//
// The protocol is engine/protocol's; its flow is: BIND, then SERVER_IDENT
// for a new replica, then CLIENT_IDENT with the replica's identity and
// download cursor, which the server checks (a failed check answers ERROR
// with the action the condition asks for), then DOWNLOADs (the first at
// once, each carrying the acknowledged upload cursor) while the client
// UPLOADs; MARK is echoed once everything the server had when it arrived
// has been sent.
package server

import (
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/syncsim/syncsim/engine/env"
)

// Options configure a server.
type Options struct {
	// Address is the address the server listens on.
	Address string
	// DownloadBatchBytes bounds the changeset bytes in one DOWNLOAD (a
	// single larger changeset still goes alone). Default 64 KiB.
	DownloadBatchBytes int
	// SyncRetry is how long to wait before retrying a failed journal sync.
	// Default 100 ms.
	SyncRetry time.Duration
	// Log, if set, receives the server's notable events.
	Log *slog.Logger
	// Observer, if set, is told what the server does (for histories).
	Observer Observer
}

// Observer is told of the server's durable actions, in order.
type Observer interface {
	// Integrated is called when an uploaded changeset has been integrated
	// as server version version of realm path (not yet durable).
	Integrated(path string, version uint64, fileIdent, clientVersion uint64)
}

func (o Options) withDefaults() Options {
	if o.DownloadBatchBytes <= 0 {
		o.DownloadBatchBytes = 64 << 10
	}
	if o.SyncRetry <= 0 {
		o.SyncRetry = 100 * time.Millisecond
	}
	return o
}

// Server is one sync server process.
type Server struct {
	clk    env.Clock
	tr     env.Transport
	st     env.Storage
	opts   Options
	realms map[string]*realm
	conns  map[env.Conn]*connection
	connID uint64
	auth   *auth
}

// New makes a server; Start recovers its state and begins listening.
func New(clk env.Clock, tr env.Transport, st env.Storage, opts Options) (*Server, error) {
	if opts.Address == "" {
		return nil, fmt.Errorf("server: Options.Address is empty")
	}
	return &Server{clk: clk, tr: tr, st: st, opts: opts.withDefaults(),
		realms: map[string]*realm{}, conns: map[env.Conn]*connection{}}, nil
}

// Start recovers every realm and the issued users from storage, then
// listens for connections.
func (s *Server) Start() error {
	a, err := openAuth(s.st)
	if err != nil {
		return err
	}
	s.auth = a
	names, err := s.st.List(realmFilePrefix)
	if err != nil {
		return fmt.Errorf("server: listing realms: %w", err)
	}
	for _, name := range names {
		path, ok := realmPathOf(name)
		if !ok {
			continue
		}
		if _, err := s.openRealm(path); err != nil {
			return err
		}
	}
	if err := s.tr.Listen(s.opts.Address, s.accept); err != nil {
		return fmt.Errorf("server: listening on %q: %w", s.opts.Address, err)
	}
	return nil
}

// Realms lists the hosted realm paths, sorted.
func (s *Server) Realms() []string {
	paths := make([]string, 0, len(s.realms))
	for p := range s.realms {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

func (s *Server) logf(msg string, args ...any) {
	if s.opts.Log != nil {
		s.opts.Log.Debug(msg, args...)
	}
}

func (s *Server) realm(path string) (*realm, error) {
	if r, ok := s.realms[path]; ok {
		return r, nil
	}
	return s.openRealm(path)
}

func (s *Server) openRealm(path string) (*realm, error) {
	r, err := openRealm(s, path)
	if err != nil {
		return nil, fmt.Errorf("server: realm %q: %w", path, err)
	}
	s.realms[path] = r
	return r, nil
}
