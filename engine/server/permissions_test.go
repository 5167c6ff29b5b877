package server_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/server"
	"github.com/syncsim/syncsim/engine/store"
)

var roles = server.Options{
	Roles: map[string]server.Role{
		"editor": {},
		"reader": {Write: map[string]bool{"Task": false}}, // may write notes, not tasks
		"viewer": {Name: "viewer", ReadOnly: true},
	},
	DefaultRole: "editor",
}

// TestRecoveryModeOff_ResetActionsComeWithoutRecovery: with recovery mode
// off every reset error asks for a reset without recovery; other actions
// are unchanged.
func TestRecoveryModeOff_ResetActionsComeWithoutRecovery(t *testing.T) {
	bothWays(t, func(t *testing.T, crash bool) {
		w := newWorld(t)
		p := w.dial("p")
		u, tok := p.login("pat")
		unknown := func(session uint64) []protocol.Message {
			p.send(&protocol.Bind{SessionIdent: session, Path: "/tasks", User: u, Token: tok})
			p.send(&protocol.ClientIdent{SessionIdent: session, ClientFileIdent: 99, ClientFileSalt: 1})
			return p.take()
		}
		require.NoError(t, w.srv.SetRecoveryMode(false))
		w.crashIf(crash)
		p = w.dial("p")
		expectError(t, unknown(1), protocol.BadClientFileIdent, protocol.ActionClientResetNoRecovery)
		p.send(&protocol.Bind{SessionIdent: 2, Path: "/tasks", User: u, Token: "forged"})
		expectError(t, p.take(), protocol.BadAuthentication, protocol.ActionLogIn)

		require.NoError(t, w.srv.SetRecoveryMode(true))
		w.crashIf(crash)
		p = w.dial("p")
		expectError(t, unknown(3), protocol.BadClientFileIdent, protocol.ActionClientReset)
	})
}

// TestRoleChange_LiveSessionsAndTheNextClientIdent: a role change resets
// the user's live sessions and, at its next CLIENT_IDENT, every file made
// under the old role; other users and new files sync on.
func TestRoleChange_LiveSessionsAndTheNextClientIdent(t *testing.T) {
	bothWays(t, func(t *testing.T, crash bool) {
		w := newWorldWith(t, roles)
		a1, a2, b := w.dial("a1"), w.dial("a2"), w.dial("b")
		ua, ta := a1.login("alice")
		a2.login("alice")
		ub, tb := b.login("bob")
		r1, d1 := a1.open("/tasks", ua, ta)
		r1.integrate(t, d1)
		r2, d2 := a2.open("/other", ua, ta)
		r2.integrate(t, d2)
		a2.close()
		rb, db := b.open("/tasks", ub, tb)
		rb.integrate(t, db)

		require.Error(t, w.srv.SetRole("alice", "nobody"))
		require.NoError(t, w.srv.SetRole("alice", "viewer"))
		w.settle()
		expectError(t, a1.take(), protocol.RoleChange, protocol.ActionClientReset)
		assert.Empty(t, b.take(), "bob's role did not change")
		w.crashIf(crash)
		a2 = w.dial("a2")
		expectError(t, a2.resume(r2, "/other", ua, ta), protocol.RoleChange, protocol.ActionClientReset)
		if crash {
			b = w.dial("b")
			expectDownload(t, b.resume(rb, "/tasks", ub, tb))
		}
		n := w.dial("n")
		rn, _ := n.open("/other", ua, ta)
		assert.Greater(t, rn.ident, r2.ident, "a new file, made under the new role")

		require.NoError(t, w.srv.SetRole("alice", ""))
		w.settle()
		expectError(t, n.take(), protocol.RoleChange, protocol.ActionClientReset)
	})
}

// TestForbiddenWrite_CompensatingWriteRevertsIt: a write the role does
// not permit is integrated and reverted by a compensating write, which
// every replica downloads: the writer gets ERROR CompensatingWrite naming
// the reverted writes and keeps syncing, and the writer, another client
// and the server all end in the state without the forbidden writes.
func TestForbiddenWrite_CompensatingWriteRevertsIt(t *testing.T) {
	bothWays(t, func(t *testing.T, crash bool) {
		w := newWorldWith(t, roles)
		require.NoError(t, w.srv.SetRole("rita", "reader"))
		e, o, rp := w.dial("e"), w.dial("o"), w.dial("r")
		ue, te := e.login("ed")
		uo, to := o.login("olga")
		ur, tr := rp.login("rita")
		re, de := e.open("/tasks", ue, te)
		re.integrate(t, de)
		e.upload(re, re.local(t, re.commit(10, append(append(schemaTask, noteSchema()...),
			create(1), setTitle(1, "orig"), add(1, 2), create(2), setTitle(2, "second"))...)))
		re.integrate(t, e.download())
		ro, do := o.open("/tasks", uo, to)
		ro.integrate(t, do)
		rr, dr := rp.open("/tasks", ur, tr)
		rr.integrate(t, dr)
		before := w.hash("/tasks")

		// Rita writes tasks, which she may not, and a note, which she may.
		bad := rr.local(t, rr.commit(20, append([]changeset.Instruction{setTitle(1, "hacked"), add(1, 5), create(3),
			{Op: changeset.EraseObject, Class: "Task", PK: changeset.IntPK(2)}}, note("n", "mine")...)...))
		rp.upload(rr, bad)
		msgs := rp.take()
		require.Len(t, msgs, 2, "%+v", msgs)
		rev := expectError(t, msgs[:1], protocol.CompensatingWrite, protocol.ActionRevert)
		for _, s := range []string{"client version 1", "Task[1]", "Task[2]", "Task[3]"} {
			assert.Contains(t, rev.Message, s)
		}
		assert.NotContains(t, rev.Message, "Note", "the permitted write is not reverted")
		task := func(i int64) protocol.Reverted {
			return protocol.Reverted{Kind: protocol.RevertedObject, Class: "Task", PK: changeset.IntPK(i)}
		}
		assert.Equal(t, &protocol.Compensation{ClientVersion: 1, Reverted: []protocol.Reverted{task(1), task(3), task(2)}},
			rev.Compensation, "the ERROR names the reverted changeset and objects as typed fields, each once, in the order written")
		d := expectDownload(t, msgs[1:])
		assert.Equal(t, uint64(1), d.UploadCursor.ClientVersion, "the write is integrated and acknowledged")
		require.Len(t, d.Changesets, 1, "the compensating write")
		comp := d.Changesets[0]
		assert.Zero(t, comp.Changeset.OriginFileIdent)
		assert.Equal(t, bad.OriginTimestamp, comp.Changeset.OriginTimestamp)
		assert.Equal(t, uint64(1), comp.LastIntegratedClientVersion, "it has seen the offending changeset")
		rr.integrate(t, d)

		want := store.New()
		require.NoError(t, want.Apply(&changeset.Changeset{Instructions: append(append(append(schemaTask, noteSchema()...),
			create(1), setTitle(1, "orig"), add(1, 2), create(2), setTitle(2, "second")), note("n", "mine")...)}))
		assert.NotEqual(t, before, w.hash("/tasks"))
		assert.Equal(t, want.Hash(), w.hash("/tasks"), "the server has the forbidden writes reverted, the note kept")
		assert.Equal(t, want.Hash(), rr.state.Hash(), "so has the writer")
		ro.integrate(t, o.download())
		assert.Equal(t, want.Hash(), ro.state.Hash(), "so has another client")

		w.crashIf(crash)
		assert.Equal(t, want.Hash(), w.hash("/tasks"), "the compensating write is durable")
		if crash {
			rp = w.dial("r")
			rr.integrate(t, expectDownload(t, rp.resume(rr, "/tasks", ur, tr)))
		}
		rp.upload(rr, rr.local(t, rr.commit(30, note("m", "more")...)))
		rr.integrate(t, expectDownload(t, rp.take()))
		assert.Equal(t, w.hash("/tasks"), rr.state.Hash(), "sync goes on")

		n := w.dial("n")
		un, tn := n.login("nina")
		rn, dn := n.open("/tasks", un, tn)
		rn.integrate(t, dn)
		assert.Equal(t, w.hash("/tasks"), rn.state.Hash())
	})
}
