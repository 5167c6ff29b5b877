package client

import (
	"fmt"
	"slices"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/protocol"
)

// Login providers.
const (
	ProviderAnonymous = "anonymous"
	ProviderToken     = "token" // credential "user:<name>"
)

// User is a user of an app, as cached in the app metadata.
type User struct {
	c            *core
	id, provider string
}

// ID is the user's id.
func (u *User) ID() string { return u.id }

// Provider is the login provider the user last logged in with.
func (u *User) Provider() string { return u.provider }

// LoggedIn reports whether the user is logged in (has a token).
func (u *User) LoggedIn() bool {
	r := u.c.meta.user(u.id)
	return r != nil && r.loggedIn
}

func (u *User) token() string {
	if r := u.c.meta.user(u.id); r != nil {
		return r.token
	}
	return ""
}

// loginRequest is a LOGIN waiting for its answer.
type loginRequest struct {
	ident                uint64
	provider, credential string
	cb                   func(*User, error)
	timer                env.Timer
	sent                 bool // on the current connection
}

// CurrentUser is the user who logged in last and is still logged in, from
// the cached metadata (so it is known offline), or nil.
func (a *App) CurrentUser() *User {
	c := a.c
	if u, ok := c.users[c.meta.current]; ok && u.LoggedIn() {
		return u
	}
	return nil
}

// Users returns every cached user, in the order they first logged in.
func (a *App) Users() []*User {
	out := make([]*User, len(a.c.meta.users))
	for i, r := range a.c.meta.users {
		out[i] = a.c.users[r.id]
	}
	return out
}

// LogIn logs a user in through the server: provider ProviderAnonymous
// (a new user) or ProviderToken with a credential "user:<name>". It needs
// the network: without an answer within the app's RequestTimeout, cb gets
// an error wrapping ErrTimeout. On success the user and token are cached
// in the metadata, the user becomes the current user, and the user's
// sessions that were waiting for a login resume.
func (a *App) LogIn(provider, credential string, cb func(*User, error)) {
	c := a.c
	c.requests++
	req := &loginRequest{ident: c.requests, provider: provider, credential: credential, cb: cb}
	req.timer = c.h.after(c.cfg.RequestTimeout, func() {
		if c.removeLogin(req.ident) != nil {
			cb(nil, fmt.Errorf("log in with provider %q at %q: no answer within %v: %w",
				provider, c.cfg.BaseURL, c.cfg.RequestTimeout, ErrTimeout))
			c.conn.ensure()
		}
	})
	c.logins = append(c.logins, req)
	c.conn.ensure()
	c.sendLogins()
}

// sendLogins sends the login requests not yet sent on the connection.
func (c *core) sendLogins() {
	if c.conn.state != Connected {
		return
	}
	for _, req := range c.logins {
		if !req.sent {
			req.sent = true
			c.conn.send(&protocol.LogIn{RequestIdent: req.ident, Provider: req.provider, Credential: req.credential})
		}
	}
}

// removeLogin removes and returns the pending request ident, or nil.
func (c *core) removeLogin(ident uint64) *loginRequest {
	i := slices.IndexFunc(c.logins, func(r *loginRequest) bool { return r.ident == ident })
	if i < 0 {
		return nil
	}
	req := c.logins[i]
	c.logins = slices.Delete(c.logins, i, i+1)
	req.timer = stop(req.timer)
	return req
}

// onLogInResult handles the answer to a login request.
func (c *core) onLogInResult(m *protocol.LogInResult) {
	req := c.removeLogin(m.RequestIdent)
	if req == nil {
		return // timed out already, or a duplicate
	}
	defer c.conn.ensure()
	if m.Code != 0 {
		req.cb(nil, &LogInError{Provider: req.provider, Code: m.Code, Message: m.Message})
		return
	}
	u, err := c.logInUser(m.User, req.provider, m.AccessToken)
	if err != nil {
		req.cb(nil, err)
		return
	}
	for _, s := range c.sessions {
		if s.user == u {
			s.userLoggedIn()
		}
	}
	req.cb(u, nil)
}

// logInUser records a logged-in user and makes it current.
func (c *core) logInUser(id, provider, token string) (*User, error) {
	r := c.meta.user(id)
	if r == nil {
		c.meta.users = append(c.meta.users, userRecord{id: id})
		r = &c.meta.users[len(c.meta.users)-1]
	}
	r.provider, r.token, r.loggedIn = provider, token, true
	c.meta.current = id
	if err := c.meta.save(); err != nil {
		return nil, fmt.Errorf("log in: caching user %q: %w", id, err)
	}
	u, ok := c.users[id]
	if !ok {
		u = &User{c: c, id: id}
		c.users[id] = u
	}
	u.provider = provider
	return u, nil
}

// LogOut logs u out: its token is forgotten, and its sessions stop until
// it logs in again.
func (a *App) LogOut(u *User) error {
	if err := u.invalidate(); err != nil {
		return err
	}
	for _, s := range a.c.sessions {
		if s.user == u {
			s.stopForLogin()
		}
	}
	a.c.conn.ensure()
	return nil
}

// invalidate forgets u's token: u must log in again.
func (u *User) invalidate() error {
	r := u.c.meta.user(u.id)
	if r == nil || !r.loggedIn {
		return nil
	}
	r.token, r.loggedIn = "", false
	if err := u.c.meta.save(); err != nil {
		return fmt.Errorf("log out %q: %w", u.id, err)
	}
	return nil
}
