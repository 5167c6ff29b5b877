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
//
// The harness operates the server as an administrator would, at any time:
// Backup and Restore, Terminate and Enable, ChangeSchema, SetRecoveryMode,
// Compact (with Options.HistoryTTL) and SetRole (with Options.Roles). Each
// is durable like the rest: recorded in the realm's journal (or the
// server's admin journal), replayed on restart; backups are files of
// their own. Each condition these operations create is detected where
// the real server detects it (BIND, CLIENT_IDENT or UPLOAD) and answered
// with its error code and action.
package server

import (
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/mutant"
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
	// HistoryTTL is the client maximum offline time: Compact expires the
	// client files not seen for longer and trims the history older than
	// it. 0: never.
	HistoryTTL time.Duration
	// Roles are the roles a user may have, by name; with none, every user
	// may write everything.
	Roles map[string]Role
	// DefaultRole is the role of a user SetRole has not named; it must be
	// one of Roles, or empty (everything writable).
	DefaultRole string
	// DisabledBackoff is the reconnect backoff the server asks for while a
	// realm's sync is terminated. Default 10 s.
	DisabledBackoff time.Duration
	// Log, if set, receives the server's notable events.
	Log *slog.Logger
	// Observer, if set, is told what the server does (for histories).
	Observer Observer
	// Mutants switches deliberate bugs on (see package mutant): the merge,
	// protocol, durability and lifecycle mutants. Zero: none.
	Mutants mutant.Set
	// MaxTransformInstructions bounds the work of one integration: an
	// upload whose transform would take more instructions (the upload's
	// and the overlapping history's) fails with an error wrapping
	// merge.ErrTooLarge. Zero: 1,000,000; negative: none.
	MaxTransformInstructions int
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
	if o.DisabledBackoff <= 0 {
		o.DisabledBackoff = 10 * time.Second
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
	admin  *admin
}

// New makes a server; Start recovers its state and begins listening.
func New(clk env.Clock, tr env.Transport, st env.Storage, opts Options) (*Server, error) {
	if opts.Address == "" {
		return nil, fmt.Errorf("server: Options.Address is empty")
	}
	if err := checkRoles(opts.Roles, opts.DefaultRole); err != nil {
		return nil, err
	}
	if opts.HistoryTTL < 0 {
		return nil, fmt.Errorf("server: Options.HistoryTTL %v is negative", opts.HistoryTTL)
	}
	return &Server{clk: clk, tr: tr, st: st, opts: opts.withDefaults(),
		realms: map[string]*realm{}, conns: map[env.Conn]*connection{}}, nil
}

// Start recovers the issued users, the server's settings and every realm
// from storage, then listens for connections.
func (s *Server) Start() error {
	a, err := openAuth(s.st)
	if err != nil {
		return err
	}
	s.auth = a
	ad, err := openAdmin(s)
	if err != nil {
		return err
	}
	s.admin = ad
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
