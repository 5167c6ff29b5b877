package server

import (
	"fmt"
	"strings"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/journal"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/wire"
)

// auth is the server's authentication service: it issues users and access
// tokens and checks the tokens presented in BIND. Issued tokens are kept
// in a journal so that they survive a restart.
type auth struct {
	journal *journal.Journal
	tokens  map[string]string // token -> user
	anon    uint64            // anonymous users issued
	issued  uint64            // tokens issued
}

const authFileName = "auth.journal"

func openAuth(st env.Storage) (*auth, error) {
	j, recs, err := journal.Open(st, authFileName)
	if err != nil {
		return nil, fmt.Errorf("server: auth journal: %w", err)
	}
	a := &auth{journal: j, tokens: map[string]string{}}
	for i, rec := range recs {
		d := wire.NewDecoder(rec)
		user, token := d.String("user"), d.String("token")
		d.End("auth record")
		if err := d.Err(); err != nil {
			return nil, fmt.Errorf("server: auth journal record %d: %w", i+1, err)
		}
		a.remember(user, token)
	}
	return a, nil
}

func (a *auth) remember(user, token string) {
	a.tokens[token] = user
	a.issued++
	if strings.HasPrefix(user, "anon-") {
		a.anon++
	}
}

// logIn answers a LOGIN. A user named by a token credential "user:NAME" is
// NAME; an anonymous login makes a new user.
func (a *auth) logIn(m *protocol.LogIn) *protocol.LogInResult {
	var user string
	switch m.Provider {
	case "anonymous":
		user = fmt.Sprintf("anon-%d", a.anon+1)
	case "token":
		name, ok := strings.CutPrefix(m.Credential, "user:")
		if !ok || name == "" || strings.HasPrefix(name, "anon-") {
			return &protocol.LogInResult{RequestIdent: m.RequestIdent, Code: protocol.BadAuthentication,
				Message: "token credential refused"}
		}
		user = name
	}
	token := fmt.Sprintf("tok-%d-%s", a.issued+1, user)
	rec := wire.AppendString(nil, user)
	rec = wire.AppendString(rec, token)
	if err := a.journal.Append(rec); err == nil {
		err = a.journal.Sync()
		if err == nil {
			a.remember(user, token)
			return &protocol.LogInResult{RequestIdent: m.RequestIdent, User: user, AccessToken: token}
		}
	}
	return &protocol.LogInResult{RequestIdent: m.RequestIdent, Code: protocol.Transient, Message: "could not store the login"}
}

// check returns the user a token was issued to, if it was issued to user.
func (a *auth) check(user, token string) (string, bool) {
	u, ok := a.tokens[token]
	return u, ok && u == user
}
