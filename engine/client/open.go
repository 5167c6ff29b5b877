package client

import (
	"fmt"
	"slices"
	"time"

	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// OpenKind says when Open hands over a realm.
type OpenKind uint8

// The open behaviours.
const (
	// DownloadBeforeOpen waits until everything the server has is
	// downloaded (the default).
	DownloadBeforeOpen OpenKind = iota
	// OpenImmediately opens at once; sync goes on in the background.
	OpenImmediately
	// OpenAfterTimeout opens when the download completes or the timeout
	// passes, whichever comes first; sync goes on in the background.
	OpenAfterTimeout
)

// OpenBehavior is an open behaviour; Timeout is for OpenAfterTimeout.
type OpenBehavior struct {
	Kind    OpenKind
	Timeout time.Duration
}

// RealmConfig configures a synced realm.
type RealmConfig struct {
	// Path is the realm's path on the server, e.g. "/users/u1".
	Path string
	// User syncs the realm; nil means the app's current user.
	User *User
	// Schema is the declared schema (see replica.Open).
	Schema schema.Schema
	// NewFile applies when the realm file does not exist yet, ExistingFile
	// when it does.
	NewFile, ExistingFile OpenBehavior
	// CancelWaitsOnNonFatalErrors makes a timeout or a non-fatal error
	// (a lost connection, a transient server error, a compensating write)
	// cancel the pending waits with an error; otherwise only fatal errors
	// and closing do.
	CancelWaitsOnNonFatalErrors bool
	// ErrorHandler, if set, is told of the session's errors: fatal ones
	// (which stop it), client resets, compensating writes and local
	// failures.
	ErrorHandler func(s *Session, err error)
	// Replica tunes the local replica.
	Replica replica.Options
	// ClientReset configures client resets.
	ClientReset ClientResetConfig
}

// Realm is an open synced realm: its local replica and its session.
type Realm struct {
	s *Session
}

// Session is the realm's sync session.
func (r *Realm) Session() *Session { return r.s }

// Replica is the realm's local replica (for reads and observers; write
// through Realm.Write so that the session uploads).
func (r *Realm) Replica() *replica.Replica { return r.s.r }

// State is the realm's current state, read only.
func (r *Realm) State() *store.State { return r.s.r.State() }

// Write runs a write transaction (see replica.Replica.Write); it succeeds
// offline too, and the session uploads the change when it can.
func (r *Realm) Write(fn func(tx *replica.Tx) error) (uint64, error) {
	before := r.s.r.Version()
	v, err := r.s.r.Write(fn)
	if err == nil && v > before {
		r.s.committed()
	}
	return v, err
}

// Close closes the realm: its session uploads what is left (Dying), then
// ends and the replica is closed.
func (r *Realm) Close() { r.s.close() }

// Open opens the realm at cfg.Path for cfg.User (or the current user),
// starts its session and calls ready with the realm according to the open
// behaviour: at once (before Open returns) for OpenImmediately, once the
// download completes for DownloadBeforeOpen, at the download or the
// timeout for OpenAfterTimeout. An open that fails calls ready with the
// error. Opening a realm that is already open gives the same Realm.
// Opening works offline with a cached logged-in user.
func (a *App) Open(cfg RealmConfig, ready func(*Realm, error)) {
	c := a.c
	u := cfg.User
	if u == nil {
		u = a.CurrentUser()
	}
	switch {
	case u == nil:
		ready(nil, fmt.Errorf("open %q: %w", cfg.Path, ErrNoUser))
		return
	case !u.LoggedIn():
		ready(nil, fmt.Errorf("open %q for user %q: %w", cfg.Path, u.id, ErrLoggedOut))
		return
	}
	name := realmFile(c.cfg, u.id, cfg.Path)
	if i := slices.IndexFunc(c.sessions, func(s *Session) bool { return s.r.Name() == name }); i >= 0 {
		s := c.sessions[i]
		if s.state == Dying {
			s.state = Active
		}
		ready(s.realm, nil)
		return
	}
	// A manual client reset's pending file actions run first: the old
	// replica moves to its backup path and the realm opens afresh.
	if err := c.runFileActions(name); err != nil {
		ready(nil, fmt.Errorf("open %q: file actions of a manual client reset: %w", cfg.Path, err))
		return
	}
	names, err := c.h.st.List(name)
	if err != nil {
		ready(nil, fmt.Errorf("open %q: %w", cfg.Path, err))
		return
	}
	behavior := cfg.NewFile
	if slices.Contains(names, name) {
		behavior = cfg.ExistingFile
	}
	r, err := replica.OpenWith(c.h.st, name, c.h.clk, cfg.Schema, c.replicaOptions(cfg))
	if err != nil {
		ready(nil, fmt.Errorf("open %q: %w", cfg.Path, err))
		return
	}
	s := newSession(c, cfg, u, r)
	if err := c.recordFile(s); err != nil {
		_ = r.Close()
		ready(nil, fmt.Errorf("open %q: %w", cfg.Path, err))
		return
	}
	c.sessions = append(c.sessions, s)
	s.start()
	s.opened(behavior, ready)
}

// opened hands the realm over per the open behaviour.
func (s *Session) opened(b OpenBehavior, ready func(*Realm, error)) {
	switch b.Kind {
	case OpenImmediately:
		ready(s.realm, nil)
	case OpenAfterTimeout:
		handed := false
		timer := s.c.h.after(b.Timeout, func() {
			if !handed {
				handed = true
				ready(s.realm, nil)
			}
		})
		s.WaitForDownload(0, func(err error) {
			if handed {
				return
			}
			handed = true
			timer.Stop()
			if err != nil && s.state == Inactive {
				s.deactivate(err)
				ready(nil, err)
				return
			}
			ready(s.realm, nil)
		})
	default:
		s.WaitForDownload(0, func(err error) {
			if err != nil {
				s.deactivate(err)
				ready(nil, err)
				return
			}
			ready(s.realm, nil)
		})
	}
}

// recordFile records s's realm file and client file ident in the metadata.
func (c *core) recordFile(s *Session) error {
	ident, _ := s.r.Ident()
	f := c.meta.file(s.r.Name())
	switch {
	case f == nil:
		c.meta.files = append(c.meta.files, fileRecord{user: s.user.id, path: s.cfg.Path, name: s.r.Name(), ident: ident})
	case f.ident == ident:
		return nil
	default:
		f.ident = ident
	}
	return c.meta.save()
}
