package client

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/syncsim/syncsim/engine/mutant"
	"github.com/syncsim/syncsim/engine/replica"
)

// DefaultRequestTimeout is AppConfig.RequestTimeout when it is zero.
const DefaultRequestTimeout = 60 * time.Second

// AppConfig configures an App.
type AppConfig struct {
	// ID is the app id. App instances of one Host with the same id share
	// one connection and the configuration of the first one (but for
	// BaseURL, which follows the latest).
	ID string
	// BaseURL is the server's address (in the simulation, the server
	// node's network address).
	BaseURL string
	// RequestTimeout bounds a login request, and a wait without its own
	// timeout when waits are cancelled on non-fatal errors. Default
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
	// BaseFilePath prefixes every file the app stores.
	BaseFilePath string
	// MetadataEncryptionKey, if set, is the AES key (16, 24 or 32 bytes)
	// the app metadata is encrypted with.
	MetadataEncryptionKey []byte
	// Mutants switches deliberate bugs on (see package mutant): the
	// session and reset mutants, and, through every replica the app opens,
	// the merge and recovery ones. Zero: none.
	Mutants mutant.Set
}

// App is a handle on an app: its users, connection and open realms.
type App struct {
	c *core
}

// core is what App instances with the same id on one host share.
type core struct {
	h        *Host
	cfg      AppConfig
	meta     *metadata
	conn     *connection
	users    map[string]*User
	sessions []*Session      // the open (or dying) sessions, in opening order
	logins   []*loginRequest // pending, in request order
	requests uint64          // the last login request ident
}

// NewApp returns an App for cfg on host. The first App of an id on a host
// loads the app metadata (a wrong encryption key is an error wrapping
// ErrWrongKey); later ones share it, and a BaseURL that differs from the
// cached one is applied as UpdateBaseURL.
func NewApp(host *Host, cfg AppConfig) (*App, error) {
	if host.dead {
		return nil, errors.New("client: NewApp on a killed host")
	}
	if cfg.ID == "" || cfg.BaseURL == "" {
		return nil, fmt.Errorf("client: app config needs an ID and a BaseURL (got %q, %q)", cfg.ID, cfg.BaseURL)
	}
	if c, ok := host.apps[cfg.ID]; ok {
		if cfg.BaseURL != c.cfg.BaseURL {
			if err := c.updateBaseURL(cfg.BaseURL); err != nil {
				return nil, err
			}
		}
		return &App{c: c}, nil
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	meta, err := loadMetadata(host.st, metadataFile(cfg), cfg.MetadataEncryptionKey, host.rand)
	if err != nil {
		return nil, fmt.Errorf("client: app %q: %w", cfg.ID, err)
	}
	c := &core{h: host, cfg: cfg, meta: meta, users: map[string]*User{}}
	c.conn = newConnection(c)
	for _, u := range meta.users {
		c.users[u.id] = &User{c: c, id: u.id, provider: u.provider}
	}
	host.apps[cfg.ID] = c
	return &App{c: c}, nil
}

// replicaOptions are a realm's replica options with the app's mutants
// switched on too.
func (c *core) replicaOptions(cfg RealmConfig) replica.Options {
	opts := cfg.Replica
	opts.Mutants |= c.cfg.Mutants
	return opts
}

// appDir is where the app keeps its files.
func appDir(cfg AppConfig) string {
	return cfg.BaseFilePath + "/mongodb-realm/" + url.PathEscape(cfg.ID)
}

func metadataFile(cfg AppConfig) string { return appDir(cfg) + "/metadata" }

// realmFile is the replica file of the realm at path for user.
func realmFile(cfg AppConfig, user, path string) string {
	return appDir(cfg) + "/" + url.PathEscape(user) + "/" + url.PathEscape(path) + ".realm"
}

// ID is the app id.
func (a *App) ID() string { return a.c.cfg.ID }

// BaseURL is the server address the app connects to.
func (a *App) BaseURL() string { return a.c.cfg.BaseURL }

// ConnectionState is the state of the app's connection.
func (a *App) ConnectionState() ConnectionState { return a.c.conn.state }

// UpdateBaseURL points the app at another server. Open realms are paused
// and every user must log in again (through the new server); once a user
// has, that user's paused realms resume on the new server (where their
// client file idents are unknown: a client reset follows). The error is
// a failure to save the metadata.
func (a *App) UpdateBaseURL(url string) error { return a.c.updateBaseURL(url) }

func (c *core) updateBaseURL(url string) error {
	c.cfg.BaseURL = url
	for _, s := range c.sessions {
		s.pauseForLogin()
	}
	c.conn.drop()
	c.conn.ensure()
	for _, u := range c.meta.users {
		if err := c.users[u.id].invalidate(); err != nil {
			return fmt.Errorf("client: update base URL: %w", err)
		}
	}
	return nil
}

// ClientFileIdent returns the client file ident recorded in the app
// metadata for user's realm at path (0 if none yet).
func (a *App) ClientFileIdent(user, path string) uint64 {
	if f := a.c.meta.file(realmFile(a.c.cfg, user, path)); f != nil {
		return f.ident
	}
	return 0
}

// DeleteRealmFile deletes user's local replica of the realm at path (and
// its app metadata record), e.g. after a manual client reset: the next
// Open downloads the realm afresh. The realm must be closed; backup
// copies of it are kept.
func (a *App) DeleteRealmFile(user *User, path string) error {
	c := a.c
	name := realmFile(c.cfg, user.id, path)
	if slices.ContainsFunc(c.sessions, func(s *Session) bool { return s.r.Name() == name }) {
		return fmt.Errorf("client: delete realm file %q: the realm is open", path)
	}
	for _, f := range []string{name, name + ".tmp", freshName(name), freshName(name) + ".tmp"} {
		if err := c.h.st.Remove(f); err != nil {
			return fmt.Errorf("client: delete realm file %q: %w", path, err)
		}
	}
	if c.meta.file(name) == nil {
		return nil
	}
	c.meta.files = slices.DeleteFunc(c.meta.files, func(f fileRecord) bool { return f.name == name })
	if err := c.meta.save(); err != nil {
		return fmt.Errorf("client: delete realm file %q: %w", path, err)
	}
	return nil
}

// ErrNoFileActions is wrapped by the error of RunFileActions for a realm
// with no manual client reset pending.
var ErrNoFileActions = errors.New("no file actions pending")

// RunFileActions runs the file actions of a manual client reset of user's
// realm at path at once (instead of at its next open): the realm is closed
// if open, its replica moves to the backup path the manual handler was
// given, and the next Open starts a fresh replica that syncs. It may be
// called from the manual handler.
func (a *App) RunFileActions(user *User, path string) error {
	c := a.c
	name := realmFile(c.cfg, user.id, path)
	if f := c.meta.file(name); f == nil || f.backup == "" {
		return fmt.Errorf("client: run file actions of %q: %w", path, ErrNoFileActions)
	}
	if i := slices.IndexFunc(c.sessions, func(s *Session) bool { return s.r.Name() == name }); i >= 0 {
		c.sessions[i].deactivate(ErrSessionClosed)
	}
	if err := c.runFileActions(name); err != nil {
		return fmt.Errorf("client: run file actions of %q: %w", path, err)
	}
	return nil
}

// pendFileActions records, durably, that the replica name moves to backup
// at its next open.
func (c *core) pendFileActions(name, backup string) error {
	f := c.meta.file(name)
	if f == nil {
		return fmt.Errorf("no metadata record of %q", name)
	}
	f.backup = backup
	return c.meta.save()
}

// runFileActions runs the pending file actions of the (closed) replica
// name, if any: the replica's file moves to the backup path (replacing the
// copy made at the reset), its leftovers are removed, and its metadata
// record goes, so that it opens afresh. A crash part way leaves the
// record, and the next run finishes the work.
func (c *core) runFileActions(name string) error {
	f := c.meta.file(name)
	if f == nil || f.backup == "" {
		return nil
	}
	st := c.h.st
	names, err := st.List(name)
	if err != nil {
		return err
	}
	if slices.Contains(names, name) {
		if err := st.Rename(name, f.backup); err != nil {
			return fmt.Errorf("moving %q to %q: %w", name, f.backup, err)
		}
	}
	for _, x := range []string{name + ".tmp", freshName(name), freshName(name) + ".tmp"} {
		if err := st.Remove(x); err != nil {
			return err
		}
	}
	c.meta.files = slices.DeleteFunc(c.meta.files, func(r fileRecord) bool { return r.name == name })
	return c.meta.save()
}

// wantsConnection reports whether anything needs the connection: a
// syncing session or a pending login.
func (c *core) wantsConnection() bool {
	if len(c.logins) > 0 {
		return true
	}
	for _, s := range c.sessions {
		if s.wantsConnection() {
			return true
		}
	}
	return false
}

// connectionChanged tells every session the connection state may have
// changed.
func (c *core) connectionChanged() {
	for _, s := range c.sessions {
		s.notifyConnectionState()
	}
}
