package server_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/schema"
)

// taskSchema is schemaTask as a schema, with title of the given kind.
func taskSchema(title schema.Kind, extra ...schema.Class) schema.Schema {
	return schema.Schema{Classes: append([]schema.Class{{Name: "Task", PKKind: schema.Int, Props: []schema.Property{
		{Name: "done", Type: schema.PropType{Kind: schema.Int}},
		{Name: "title", Type: schema.PropType{Kind: title}},
	}}}, extra...)}
}

var noteClass = schema.Class{Name: "Note", PKKind: schema.String, Props: []schema.Property{
	{Name: "text", Type: schema.PropType{Kind: schema.String, Nullable: true}},
}}

func noteSchema() []changeset.Instruction {
	return []changeset.Instruction{
		{Op: changeset.AddTable, Class: "Note", PKKind: schema.String},
		{Op: changeset.AddColumn, Class: "Note", Field: "text", Type: schema.PropType{Kind: schema.String, Nullable: true}},
	}
}

func note(pk, text string) []changeset.Instruction {
	return []changeset.Instruction{
		{Op: changeset.CreateObject, Class: "Note", PK: changeset.StrPK(pk)},
		{Op: changeset.Update, Class: "Note", PK: changeset.StrPK(pk), Field: "text", Value: changeset.Value{Kind: schema.String, Str: text}},
	}
}

// TestBreakingSchemaChange_SchemaChangeWithoutRecovery: a breaking change
// terminates and re-enables sync; live sessions and files of the earlier
// epoch get SchemaChange asking for a reset without recovery; the data is
// converted; a new client with the new schema syncs, one with the old
// schema gets SchemaChange.
func TestBreakingSchemaChange_SchemaChangeWithoutRecovery(t *testing.T) {
	bothWays(t, func(t *testing.T, crash bool) {
		w := newWorld(t)
		a := w.dial("a")
		u, tok := a.login("alice")
		ra, da := a.open("/tasks", u, tok)
		ra.integrate(t, da)
		a.upload(ra, ra.local(t, ra.commit(1, append(schemaTask, create(1), setTitle(1, "x"), add(1, 4))...)))
		ra.integrate(t, a.download())

		require.NoError(t, w.srv.ChangeSchema("/tasks", taskSchema(schema.Int)))
		w.settle()
		expectError(t, a.take(), protocol.SchemaChange, protocol.ActionClientResetNoRecovery)
		w.crashIf(crash)
		a = w.dial("a")
		expectError(t, a.resume(ra, "/tasks", u, tok), protocol.SchemaChange, protocol.ActionClientResetNoRecovery)

		st, _ := w.srv.State("/tasks")
		c, ok := st.Class("Task")
		require.True(t, ok)
		_, hasTitle := c.Property("title")
		assert.False(t, hasTitle, "the retyped property's values are dropped")
		v, err := st.Get("Task", changeset.IntPK(1), "done")
		require.NoError(t, err)
		assert.Equal(t, int64(4), v.Int, "the rest of the data survives")

		old := w.dial("o")
		uo, to := old.login("olga")
		ro, do := old.open("/tasks", uo, to)
		ro.integrate(t, do)
		assert.Equal(t, w.hash("/tasks"), ro.state.Hash())
		old.upload(ro, ro.commit(1, schemaTask...))
		expectError(t, old.take(), protocol.SchemaChange, protocol.ActionClientResetNoRecovery)

		n := w.dial("n")
		un, tn := n.login("nina")
		rn, dn := n.open("/tasks", un, tn)
		rn.integrate(t, dn)
		newTitle := changeset.Instruction{Op: changeset.AddColumn, Class: "Task", Field: "title", Type: schema.PropType{Kind: schema.Int}}
		n.upload(rn, rn.local(t, rn.commit(1, newTitle, changeset.Instruction{Op: changeset.Update, Class: "Task",
			PK: changeset.IntPK(1), Field: "title", Value: changeset.Value{Kind: schema.Int, Int: 7}})))
		rn.integrate(t, expectDownload(t, n.take()))
		assert.Equal(t, w.hash("/tasks"), rn.state.Hash())
	})
}

// TestAdditiveSchemaChange_NoReset: an additive change applies at once;
// live sessions go on, and a replica that adds the new class syncs.
func TestAdditiveSchemaChange_NoReset(t *testing.T) {
	bothWays(t, func(t *testing.T, crash bool) {
		w := newWorld(t)
		a, b := w.dial("a"), w.dial("b")
		ua, ta := a.login("alice")
		ub, tb := b.login("bob")
		ra, da := a.open("/tasks", ua, ta)
		ra.integrate(t, da)
		rb, db := b.open("/tasks", ub, tb)
		rb.integrate(t, db)
		a.upload(ra, ra.local(t, ra.commit(1, append(schemaTask, create(1))...)))
		ra.integrate(t, a.download())
		rb.integrate(t, b.download())

		require.NoError(t, w.srv.ChangeSchema("/tasks", taskSchema(schema.String)), "the state's schema, declared")
		require.NoError(t, w.srv.ChangeSchema("/tasks", taskSchema(schema.String, noteClass)))
		w.settle()
		assert.Empty(t, a.take(), "no reset")
		w.crashIf(crash)
		if crash {
			a, b = w.dial("a"), w.dial("b")
			ra.integrate(t, expectDownload(t, a.resume(ra, "/tasks", ua, ta)))
		}
		a.upload(ra, ra.local(t, ra.commit(2, append(noteSchema(), note("n", "hi")...)...)))
		ra.integrate(t, expectDownload(t, a.take()))
		if crash {
			rb.integrate(t, expectDownload(t, b.resume(rb, "/tasks", ub, tb)))
		} else {
			rb.integrate(t, b.download())
		}
		assert.Equal(t, w.hash("/tasks"), rb.state.Hash())
	})
}

// TestDeclaredSchema_ClientClassTheServerLacksIsASchemaChange: with a
// declared schema, an upload adding a class or property it lacks, or with
// another primary key or type, is a schema mismatch.
func TestDeclaredSchema_ClientClassTheServerLacksIsASchemaChange(t *testing.T) {
	bothWays(t, func(t *testing.T, crash bool) {
		w := newWorld(t)
		require.NoError(t, w.srv.ChangeSchema("/tasks", taskSchema(schema.String)))
		w.crashIf(crash)
		cases := []struct {
			name string
			ins  changeset.Instruction
		}{
			{"a class the server lacks", changeset.Instruction{Op: changeset.AddTable, Class: "Other", PKKind: schema.Int}},
			{"another primary key", changeset.Instruction{Op: changeset.AddTable, Class: "Task", PKKind: schema.String}},
			{"a property the server lacks", changeset.Instruction{Op: changeset.AddColumn, Class: "Task", Field: "extra", Type: schema.PropType{Kind: schema.Int}}},
			{"a property of another type", changeset.Instruction{Op: changeset.AddColumn, Class: "Task", Field: "title", Type: schema.PropType{Kind: schema.String, Nullable: true}}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := w.dial("p")
				u, tok := p.login("pat")
				r, _ := p.open("/tasks", u, tok)
				p.upload(r, r.commit(1, append(append([]changeset.Instruction{}, schemaTask[:1]...), c.ins)...))
				expectError(t, p.take(), protocol.SchemaChange, protocol.ActionClientResetNoRecovery)
			})
		}
		p := w.dial("q")
		u, tok := p.login("quinn")
		r, _ := p.open("/tasks", u, tok)
		p.upload(r, r.commit(1, append(schemaTask, create(1))...))
		assert.Equal(t, uint64(1), expectDownload(t, p.take()).UploadCursor.ClientVersion, "the declared schema's own classes sync")
	})
}

// TestSchemaMismatch_WithTheServersStateIsASchemaChange: without a
// declared schema, a class or property whose type contradicts the
// server's state is a schema mismatch too.
func TestSchemaMismatch_WithTheServersStateIsASchemaChange(t *testing.T) {
	w := newWorld(t)
	a, b := w.dial("a"), w.dial("b")
	ua, ta := a.login("alice")
	ub, tb := b.login("bob")
	ra, _ := a.open("/tasks", ua, ta)
	a.upload(ra, ra.commit(1, schemaTask...))
	expectDownload(t, a.take())
	rb, _ := b.open("/tasks", ub, tb)
	b.upload(rb, rb.commit(1, schemaTask[0], changeset.Instruction{Op: changeset.AddColumn, Class: "Task", Field: "title",
		Type: schema.PropType{Kind: schema.Int}}))
	expectError(t, b.take(), protocol.SchemaChange, protocol.ActionClientResetNoRecovery)
}
