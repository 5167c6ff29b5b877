package workload_test

import (
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/client"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/server"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/workload"
)

// The client reset scenarios of issue 4: one test per cause x mode, each
// asserting the replica's exact state after the reset, object by object
// and field by field, and that every replica then converges with the
// server. Each runs in a few worlds, some with a faulty network and
// skewed clocks (timings differ; what the reset must produce does not).

// resetRuns are the worlds every case runs in: three on a clean network,
// five on a faulty one with skewed clocks.
var resetRuns = []resetRun{{1, cleanNet}, {2, cleanNet}, {3, cleanNet},
	{4, faultyNet}, {5, faultyNet}, {6, faultyNet}, {7, faultyNet}, {8, faultyNet}}

func forRuns(t *testing.T, fn func(t *testing.T, run resetRun)) {
	for _, run := range resetRuns {
		t.Run(run.String(), func(t *testing.T) { fn(t, run) })
	}
}

// seedTasks is what every case starts from, written by a: task 1 (tags
// a, b; priority 3), tasks 2 and 5, person p1.
func seedTasks(a *actor) {
	a.write(func(tx *replica.Tx) error {
		return errors.Join(
			tx.Upsert("Task", taskPK(1), map[string]changeset.Value{"title": strVal("t1"), "prio": intVal(3)}),
			tx.ListInsert("Task", taskPK(1), "tags", 0, strVal("a")),
			tx.ListInsert("Task", taskPK(1), "tags", 1, strVal("b")),
			tx.Upsert("Task", taskPK(2), map[string]changeset.Value{"title": strVal("t2")}),
			tx.Upsert("Task", taskPK(5), map[string]changeset.Value{"title": strVal("t5")}),
			tx.Upsert("Person", changeset.StrPK("p1"), map[string]changeset.Value{"name": strVal("Ann")}),
		)
	})
}

// seedState is seedTasks' state, as objects shows it.
func seedState() map[string]string {
	return map[string]string{
		"Task/1":    task{title: "t1", prio: intVal(3), tags: []string{"a", "b"}}.row(),
		"Task/2":    task{title: "t2"}.row(),
		"Task/5":    task{title: "t5"}.row(),
		"Person/p1": personRow("Ann"),
	}
}

// offlineWrites are three unsynced transactions: task 4 created, task 1
// retitled "mine", tag "x" inserted into task 1's tags at 1.
func offlineWrites(a *actor) {
	a.write(func(tx *replica.Tx) error {
		return tx.Upsert("Task", taskPK(4), map[string]changeset.Value{"title": strVal("new")})
	})
	a.write(func(tx *replica.Tx) error { return tx.Set("Task", taskPK(1), "title", strVal("mine")) })
	a.write(func(tx *replica.Tx) error { return tx.ListInsert("Task", taskPK(1), "tags", 1, strVal("x")) })
}

// resetsDone checks that each actor went through n automatic resets
// (Before and After called n times), none went to the manual handler,
// no error was reported, and no reset is pending.
func resetsDone(t *testing.T, want map[*actor]int) {
	t.Helper()
	for a, n := range want {
		assert.Len(t, a.before, n, "%s's Before calls", a.user)
		assert.Len(t, a.after, n, "%s's After calls", a.user)
		assert.Empty(t, a.manual, "%s's manual resets", a.user)
		assert.Empty(t, a.errs, "%s's errors", a.user)
		_, pending := a.realm.Replica().PendingReset()
		assert.False(t, pending, "%s: a reset is still pending", a.user)
	}
}

// manualDone checks a reset that went to a's manual handler, once, after
// autos automatic resets: the error asking for it, why it was not
// automatic, the session stopped, the local state untouched (still pre)
// and a backup copy that opens with replica.Open and holds the unsynced
// changesets and the state.
func manualDone(t *testing.T, a *actor, autos int, code protocol.ErrorCode, reason error, pre map[string]string, unsynced []*changeset.Changeset) {
	t.Helper()
	require.Len(t, a.manual, 1, "%s's manual resets", a.user)
	m := a.manual[0]
	assert.Equal(t, code, m.Err.Code, "%s: the reset error", a.user)
	assert.ErrorIs(t, m.Reason, reason, "%s: why manual", a.user)
	assert.Equal(t, client.Inactive, a.session().State(), "%s: sync stopped", a.user)
	assert.Equal(t, m.Err, a.session().ResetRequired())
	out := a.session().LastReset()
	require.NotNil(t, out)
	assert.Equal(t, client.Manual, out.Mode)
	assert.Len(t, a.before, autos, "%s: no other automatic reset began", a.user)
	assert.Len(t, a.after, autos, "%s: no other automatic reset ended", a.user)
	assert.Empty(t, a.errs, "%s: the manual handler, not the error handler, is told", a.user)
	assert.Equal(t, pre, objects(t, a.state()), "%s: nothing local is touched", a.user)
	assert.Equal(t, unsynced, a.realm.Replica().Unsynced(), "%s: the unsynced changes are still there", a.user)

	require.NotEmpty(t, m.BackupPath, "%s: a backup copy", a.user)
	bk, err := replica.Open(a.node.Storage(), m.BackupPath, a.node.Clock(), schema.Schema{})
	require.NoError(t, err, "%s's backup copy opens", a.user)
	defer func() { require.NoError(t, bk.Close()) }()
	assert.Equal(t, unsynced, bk.Unsynced(), "%s's backup copy holds every unsynced change", a.user)
	assert.Equal(t, pre, objects(t, bk.State()), "%s's backup copy holds the pre-reset state", a.user)
}

// TestReset_RestoreFromBackup_Recover: a restore loses acknowledged
// writes of b and of a; every replica rolls them back, a's own recovery
// does not bring its back (they are not unsynced). a, offline meanwhile,
// recovers its unsynced writes by the five rules: its new task (owned by
// a new person) is kept (1), its update of a task the server deleted is
// dropped (2), its erase stands (3), its title beats the server's later
// one (4), its tag insert lands at its place in the server's list, and
// its erases of pre-existing elements copy its lists over whole, without
// the link to a person the server deleted (5). The recovered changes are
// one changeset, version 1 of the new client file.
func TestReset_RestoreFromBackup_Recover(t *testing.T) {
	forRuns(t, restoreRecover)
}

// restoreRecover is the restore x recover case in the world of run.
func restoreRecover(t *testing.T, run resetRun) {
	s := newScript(t, run, server.Options{}, client.RecoverUnsyncedChanges, client.RecoverUnsyncedChanges, client.RecoverUnsyncedChanges)
	a, b, c := s.actors[0], s.actors[1], s.actors[2]
	seedTasks(a)
	// Task 6's lists are for the list-copy half of rule 5.
	a.write(func(tx *replica.Tx) error {
		return errors.Join(
			tx.Upsert("Person", changeset.StrPK("p2"), map[string]changeset.Value{"name": strVal("Bea")}),
			tx.Upsert("Task", taskPK(6), map[string]changeset.Value{"title": strVal("t6")}),
			tx.ListInsert("Task", taskPK(6), "tags", 0, strVal("c")),
			tx.ListInsert("Task", taskPK(6), "tags", 1, strVal("d")),
			tx.ListInsert("Task", taskPK(6), "tags", 2, strVal("e")),
			tx.ListInsert("Task", taskPK(6), "watchers", 0, personLink("p1")),
			tx.ListInsert("Task", taskPK(6), "watchers", 1, personLink("p2")))
	})
	s.settle()
	backed := seedState()
	backed["Task/6"] = task{title: "t6", tags: []string{"c", "d", "e"}, watchers: []string{"p1", "p2"}}.row()
	backed["Person/p2"] = personRow("Bea")
	backup, err := s.server.srv.Backup(scriptPath)
	require.NoError(t, err)

	b.write(func(tx *replica.Tx) error {
		return errors.Join(tx.Upsert("Task", taskPK(3), map[string]changeset.Value{"title": strVal("lost")}),
			tx.Set("Person", changeset.StrPK("p1"), "name", strVal("Lost")))
	})
	a.write(func(tx *replica.Tx) error {
		return tx.Upsert("Task", taskPK(7), map[string]changeset.Value{"title": strVal("a's, lost")})
	})
	s.settle()
	for _, x := range s.actors {
		require.Contains(t, objects(t, x.state()), "Task/3", "%s has b's acknowledged write", x.user)
		require.Contains(t, objects(t, x.state()), "Task/7", "%s has a's acknowledged write", x.user)
	}

	a.offline()
	a.write(func(tx *replica.Tx) error {
		return tx.Upsert("Task", taskPK(4), map[string]changeset.Value{"title": strVal("new")})
	})
	a.write(func(tx *replica.Tx) error {
		return errors.Join(tx.Set("Task", taskPK(1), "title", strVal("mine")), tx.Add("Task", taskPK(1), "done", 2))
	})
	a.write(func(tx *replica.Tx) error { return tx.ListInsert("Task", taskPK(1), "tags", 1, strVal("x")) })
	a.write(func(tx *replica.Tx) error { return tx.Set("Task", taskPK(2), "title", strVal("edited offline")) })
	a.write(func(tx *replica.Tx) error { return tx.Erase("Task", taskPK(5)) })
	// Erasing pre-existing elements: both lists are copied over whole.
	a.write(func(tx *replica.Tx) error {
		return errors.Join(tx.ListErase("Task", taskPK(6), "tags", 0),
			tx.ListErase("Task", taskPK(6), "watchers", 0),
			tx.Create("Person", changeset.StrPK("p3")),
			tx.ListInsert("Task", taskPK(6), "watchers", 1, personLink("p3")))
	})
	a.write(func(tx *replica.Tx) error { return tx.Set("Task", taskPK(4), "owner", personLink("p3")) })

	require.NoError(t, s.server.srv.Restore(scriptPath, backup))
	s.until("b and c reset", patience, func() bool { return len(b.after) == 1 && len(c.after) == 1 })
	for _, x := range []*actor{b, c} {
		assert.Equal(t, backed, objects(t, x.after[0].after), "%s after its reset: the backup's state, the lost writes rolled back", x.user)
		assert.True(t, x.after[0].recovered, x.user)
		assert.Nil(t, x.session().LastReset().Recovered, "%s had nothing to recover", x.user)
	}

	// The server moves on: task 1 retitled, tags added, task 2 and
	// person p2 deleted.
	b.write(func(tx *replica.Tx) error {
		return errors.Join(tx.Set("Task", taskPK(1), "title", strVal("theirs")),
			tx.ListInsert("Task", taskPK(1), "tags", 2, strVal("y")),
			tx.ListInsert("Task", taskPK(6), "tags", 0, strVal("f")),
			tx.Erase("Task", taskPK(2)),
			tx.Erase("Person", changeset.StrPK("p2")))
	})
	s.settle(b, c)

	pre := objects(t, a.state())
	a.online()
	s.until("a resets", patience, func() bool { return len(a.after) == 1 })
	want := seedState()
	want["Task/1"] = task{title: "mine", done: 2, prio: intVal(3), tags: []string{"a", "x", "b", "y"}}.row()
	want["Task/4"] = task{title: "new", owner: "p3"}.row()
	want["Task/6"] = task{title: "t6", tags: []string{"d", "e"}, watchers: []string{"p3"}}.row()
	want["Person/p3"] = personRow("")
	delete(want, "Task/2")
	delete(want, "Task/5")
	got := a.after[0]
	assert.Equal(t, pre, objects(t, got.before), "the before state is a's pre-reset state")
	assert.Equal(t, want, objects(t, got.after), "a's state after the reset")
	assert.True(t, got.recovered)
	out := a.session().LastReset()
	require.NotNil(t, out)
	assert.Equal(t, client.RecoverUnsyncedChanges, out.Mode)
	assert.Equal(t, protocol.BadClientVersion, out.Error.Code, "the restored server never integrated a's task 7")
	require.NotNil(t, out.Recovered, "a recovered changes")
	assert.Equal(t, uint64(1), out.Recovered.Version, "the new client file's versions start at 1")

	s.settle()
	s.converged(s.server, want, a, b, c)
	resetsDone(t, map[*actor]int{a: 1, b: 1, c: 1})
}

// TestReset_RestoreFromBackup_StaleSessionLosesNothing: after a restore,
// a stale session of a client file the backup knows (its BIND,
// CLIENT_IDENT with a download cursor at server version 0, and an UPLOAD
// of a changeset the server acknowledged after the backup, as the
// network's replay of an old connection delivers them) must not bring
// the lost write back. (Found by the restore x recover case on a stress
// network, resetRun{104, stressNet}: the ghosts of a's first connection
// replayed on its reconnect brought its task 7 back on every replica.)
func TestReset_RestoreFromBackup_StaleSessionLosesNothing(t *testing.T) {
	s := newScript(t, resetRun{1, cleanNet}, server.Options{}, client.RecoverUnsyncedChanges)
	a := s.actors[0]
	seedTasks(a)
	s.settle()
	backup, err := s.server.srv.Backup(scriptPath)
	require.NoError(t, err)
	a.session().Pause()
	a.write(func(tx *replica.Tx) error {
		return tx.Upsert("Task", taskPK(7), map[string]changeset.Value{"title": strVal("acknowledged, then lost")})
	})
	rep := a.realm.Replica()
	stale := rep.Uploadable(rep.Acked().ClientVersion, 1<<20)
	require.Len(t, stale, 1)
	a.session().Resume()
	s.settle()
	a.session().Pause()
	require.NoError(t, s.server.srv.Restore(scriptPath, backup))

	ghost := &rawSession{}
	ghost.conn = a.node.Net.Dial(sim.ServerName, ghost)
	s.until("the ghost connection opens", patience, func() bool { return ghost.open })
	ghost.send(&protocol.LogIn{RequestIdent: 1, Provider: client.ProviderToken, Credential: "user:" + a.user})
	s.until("the ghost logs in", patience, func() bool { return len(ghost.got) > 0 })
	login, ok := ghost.got[0].(*protocol.LogInResult)
	require.True(t, ok)
	ident, salt := rep.Ident()
	_, epoch := rep.DownloadCursor() // the epoch before the restore: a must not have heard of it
	last := stale[len(stale)-1]
	ghost.send(&protocol.Bind{SessionIdent: 1, Path: scriptPath, User: a.user, Token: login.AccessToken})
	ghost.send(&protocol.ClientIdent{SessionIdent: 1, ClientFileIdent: ident, ClientFileSalt: salt})
	ghost.send(&protocol.Upload{SessionIdent: 1, Changesets: stale, ServerVersionSalt: epoch,
		UploadCursor: protocol.UploadCursor{ClientVersion: last.Version, LastIntegratedServerVersion: last.LastIntegratedServerVersion}})
	s.run(time.Minute)
	st, _ := s.server.srv.State(scriptPath)
	assert.Equal(t, seedState(), objects(t, st), "the write lost in the restore stays lost")
}

// rawSession speaks the protocol on a connection of its own, as the
// replayed messages of an old connection do.
type rawSession struct {
	conn env.Conn
	open bool
	got  []protocol.Message
}

func (r *rawSession) OnOpen(env.Conn)         { r.open = true }
func (r *rawSession) OnClose(env.Conn, error) { r.open = false }
func (r *rawSession) OnMessage(_ env.Conn, b []byte) {
	if m, err := protocol.Decode(b); err == nil {
		r.got = append(r.got, m)
	}
}
func (r *rawSession) send(m protocol.Message) { _ = r.conn.Send(protocol.Encode(m)) }

// TestReset_RestoreFromBackup_Discard: a's unsynced writes are deleted
// and reported (Before, After with recovered false, LastReset.Discarded);
// its state becomes the restored server's exactly.
func TestReset_RestoreFromBackup_Discard(t *testing.T) {
	forRuns(t, func(t *testing.T, run resetRun) {
		s := newScript(t, run, server.Options{}, client.DiscardUnsyncedChanges, client.RecoverUnsyncedChanges)
		a, b := s.actors[0], s.actors[1]
		seedTasks(a)
		s.settle()
		backup, err := s.server.srv.Backup(scriptPath)
		require.NoError(t, err)
		b.write(func(tx *replica.Tx) error {
			return tx.Upsert("Task", taskPK(3), map[string]changeset.Value{"title": strVal("lost")})
		})
		s.settle()
		a.offline()
		offlineWrites(a)
		unsynced, pre := a.unsynced(), objects(t, a.state())
		require.Len(t, unsynced, 3)

		require.NoError(t, s.server.srv.Restore(scriptPath, backup))
		s.until("b resets", patience, func() bool { return len(b.after) == 1 })
		a.online()
		s.until("a resets", patience, func() bool { return len(a.after) == 1 })
		require.Len(t, a.before, 1)
		assert.Equal(t, pre, objects(t, a.before[0]), "Before gets a's pre-reset state")
		got := a.after[0]
		assert.Equal(t, pre, objects(t, got.before))
		assert.Equal(t, seedState(), objects(t, got.after), "a's state after the reset: the backup's")
		assert.False(t, got.recovered)
		out := a.session().LastReset()
		require.NotNil(t, out)
		assert.Equal(t, client.DiscardUnsyncedChanges, out.Mode)
		assert.Equal(t, unsynced, out.Discarded, "the discarded changesets are a's unsynced ones")
		assert.Nil(t, out.Recovered)
		assert.Empty(t, a.realm.Replica().Unsynced(), "nothing left to upload")

		s.settle()
		s.converged(s.server, seedState(), a, b)
		resetsDone(t, map[*actor]int{a: 1, b: 1})
	})
}

// TestReset_RestoreFromBackup_Manual: sync stops for a, nothing local is
// touched, and the handler's backup copy holds every unsynced write; the
// app then deletes the realm file and opens it afresh.
func TestReset_RestoreFromBackup_Manual(t *testing.T) {
	forRuns(t, func(t *testing.T, run resetRun) {
		s := newScript(t, run, server.Options{}, client.Manual, client.RecoverUnsyncedChanges)
		a, b := s.actors[0], s.actors[1]
		seedTasks(a)
		s.settle()
		backup, err := s.server.srv.Backup(scriptPath)
		require.NoError(t, err)
		a.offline()
		offlineWrites(a)
		unsynced, pre := a.unsynced(), objects(t, a.state())

		require.NoError(t, s.server.srv.Restore(scriptPath, backup))
		a.online()
		s.until("a's manual handler is called", patience, func() bool { return len(a.manual) > 0 })
		s.run(time.Minute)
		manualDone(t, a, 0, protocol.DivergingHistories, client.ErrManualMode, pre, unsynced)
		srvState, _ := s.server.srv.State(scriptPath)
		assert.Equal(t, seedState(), objects(t, srvState), "nothing of a's reached the server")

		a.reopenAfresh(workload.TaskSchema)
		s.settle()
		s.converged(s.server, seedState(), a, b)
		resetsDone(t, map[*actor]int{b: 1})
	})
}

// terminateEnableRecoveryOff is the common part of the terminate and
// re-enable cases: recovery off on the server, a offline with three
// unsynced writes, sync terminated then enabled (the data survives), b
// (discard) reset at once; then a comes back. It returns a's unsynced
// changesets and state before.
func terminateEnableRecoveryOff(t *testing.T, s *script) ([]*changeset.Changeset, map[string]string) {
	a, b := s.actors[0], s.actors[1]
	seedTasks(a)
	s.settle()
	require.NoError(t, s.server.srv.SetRecoveryMode(false))
	a.offline()
	offlineWrites(a)
	unsynced, pre := a.unsynced(), objects(t, a.state())
	require.NoError(t, s.server.srv.Terminate(scriptPath))
	s.run(5 * time.Second)
	require.NoError(t, s.server.srv.Enable(scriptPath))
	s.until("b resets", patience, func() bool { return len(b.after) == 1 })
	assert.Equal(t, seedState(), objects(t, b.after[0].after), "b's state after its reset: the data survived")
	a.online()
	return unsynced, pre
}

// TestReset_TerminateEnable_RecoverOrDiscard_RecoveryDisabled: with
// recovery disabled, recoverOrDiscard falls back to discard.
func TestReset_TerminateEnable_RecoverOrDiscard_RecoveryDisabled(t *testing.T) {
	forRuns(t, func(t *testing.T, run resetRun) {
		s := newScript(t, run, server.Options{}, client.RecoverOrDiscard, client.DiscardUnsyncedChanges)
		a, b := s.actors[0], s.actors[1]
		unsynced, pre := terminateEnableRecoveryOff(t, s)
		s.until("a resets", patience, func() bool { return len(a.after) == 1 })
		got := a.after[0]
		assert.Equal(t, pre, objects(t, got.before))
		assert.Equal(t, seedState(), objects(t, got.after), "a's state after the reset: the server's")
		assert.False(t, got.recovered, "discarded, not recovered")
		out := a.session().LastReset()
		require.NotNil(t, out)
		assert.Equal(t, protocol.BadClientFileIdent, out.Error.Code)
		assert.Equal(t, protocol.ActionClientResetNoRecovery, out.Error.Action)
		assert.Equal(t, client.DiscardUnsyncedChanges, out.Mode)
		assert.Equal(t, unsynced, out.Discarded)

		s.settle()
		s.converged(s.server, seedState(), a, b)
		resetsDone(t, map[*actor]int{a: 1, b: 1})
	})
}

// TestReset_TerminateEnable_Recover_RecoveryDisabled: with recovery
// disabled, plain recover goes to the manual handler.
func TestReset_TerminateEnable_Recover_RecoveryDisabled(t *testing.T) {
	forRuns(t, func(t *testing.T, run resetRun) {
		s := newScript(t, run, server.Options{}, client.RecoverUnsyncedChanges, client.DiscardUnsyncedChanges)
		a, b := s.actors[0], s.actors[1]
		unsynced, pre := terminateEnableRecoveryOff(t, s)
		s.until("a's manual handler is called", patience, func() bool { return len(a.manual) > 0 })
		s.run(time.Minute)
		manualDone(t, a, 0, protocol.BadClientFileIdent, client.ErrRecoveryDisabled, pre, unsynced)
		assert.Equal(t, protocol.ActionClientResetNoRecovery, a.manual[0].Err.Action)

		a.reopenAfresh(workload.TaskSchema)
		s.settle()
		s.converged(s.server, seedState(), a, b)
		resetsDone(t, map[*actor]int{b: 1})
	})
}

// TestReset_BreakingSchemaChange_AnyMode_GoesManual: a property type
// change (Task.prio int -> string) goes to the manual handler in every
// mode, live sessions and an offline client alike; nothing local is
// touched. The apps then open the realm afresh with the new schema.
func TestReset_BreakingSchemaChange_AnyMode_GoesManual(t *testing.T) {
	forRuns(t, func(t *testing.T, run resetRun) {
		s := newScript(t, run, server.Options{}, client.Manual, client.RecoverUnsyncedChanges, client.DiscardUnsyncedChanges)
		a, b, c := s.actors[0], s.actors[1], s.actors[2]
		seedTasks(a)
		s.settle()
		b.offline()
		offlineWrites(b)
		unsynced := map[*actor][]*changeset.Changeset{}
		pre := map[*actor]map[string]string{}
		for _, x := range s.actors {
			unsynced[x], pre[x] = x.unsynced(), objects(t, x.state())
		}
		retyped := retypePrio(workload.TaskSchema, schema.PropType{Kind: schema.String, Nullable: true})
		require.NoError(t, s.server.srv.ChangeSchema(scriptPath, retyped))
		b.online()
		s.until("every manual handler is called", patience, func() bool {
			return len(a.manual) > 0 && len(b.manual) > 0 && len(c.manual) > 0
		})
		s.run(time.Minute)
		manualDone(t, a, 0, protocol.SchemaChange, client.ErrManualMode, pre[a], unsynced[a])
		manualDone(t, b, 0, protocol.SchemaChange, client.ErrBreakingSchemaChange, pre[b], unsynced[b])
		manualDone(t, c, 0, protocol.SchemaChange, client.ErrBreakingSchemaChange, pre[c], unsynced[c])

		srvState, _ := s.server.srv.State(scriptPath)
		taskClass, _ := srvState.Class("Task")
		_, hasPrio := taskClass.Property("prio")
		assert.False(t, hasPrio, "the server dropped the retyped property's values")

		for _, x := range s.actors {
			x.reopenAfresh(retyped)
		}
		s.settle()
		want := seedState()
		want["Task/1"] = task{title: "t1", tags: []string{"a", "b"}}.row() // its priority was dropped
		s.converged(s.server, want, s.actors...)
		srvState, _ = s.server.srv.State(scriptPath)
		taskClass, _ = srvState.Class("Task")
		p, ok := taskClass.Property("prio")
		require.True(t, ok, "the apps' new schema adds Task.prio back")
		assert.Equal(t, schema.PropType{Kind: schema.String, Nullable: true}, p.Type)
	})
}

// retypePrio is sch with Task.prio of type typ.
func retypePrio(sch schema.Schema, typ schema.PropType) schema.Schema {
	var out schema.Schema
	for _, c := range sch.Classes {
		c.Props = append([]schema.Property(nil), c.Props...)
		for i := range c.Props {
			if c.Name == "Task" && c.Props[i].Name == "prio" {
				c.Props[i].Type = typ
			}
		}
		out.Classes = append(out.Classes, c)
	}
	return out
}

// TestReset_Expiry_Discard: a client offline for longer than the history
// TTL is expired by compaction; at its return it discards its unsynced
// writes and takes the server's state, which moved on meanwhile. A client
// that stayed online is not reset.
func TestReset_Expiry_Discard(t *testing.T) {
	forRuns(t, func(t *testing.T, run resetRun) {
		s := newScript(t, run, server.Options{HistoryTTL: time.Hour}, client.DiscardUnsyncedChanges, client.RecoverUnsyncedChanges)
		a, b := s.actors[0], s.actors[1]
		seedTasks(a)
		s.settle()
		a.offline()
		offlineWrites(a)
		unsynced, pre := a.unsynced(), objects(t, a.state())
		s.run(10 * time.Minute)
		b.write(func(tx *replica.Tx) error { return tx.Set("Task", taskPK(1), "title", strVal("b, later")) })
		s.run(2 * time.Hour)
		require.NoError(t, s.server.srv.Compact(scriptPath))

		a.online()
		s.until("a resets", patience, func() bool { return len(a.after) == 1 })
		want := seedState()
		want["Task/1"] = task{title: "b, later", prio: intVal(3), tags: []string{"a", "b"}}.row()
		got := a.after[0]
		assert.Equal(t, pre, objects(t, got.before))
		assert.Equal(t, want, objects(t, got.after), "a's state after the reset: the server's")
		assert.False(t, got.recovered)
		out := a.session().LastReset()
		require.NotNil(t, out)
		assert.Equal(t, protocol.ClientFileExpired, out.Error.Code)
		assert.Equal(t, client.DiscardUnsyncedChanges, out.Mode)
		assert.Equal(t, unsynced, out.Discarded)

		s.settle()
		s.converged(s.server, want, a, b)
		resetsDone(t, map[*actor]int{a: 1, b: 0})
	})
}

// TestReset_RoleChange_Recover: a's user gets a role that may not write
// Person while a is offline; at its return a resets (RoleChange) and
// recovers everything, then the server reverts the Person write it no
// longer permits with a compensating write, reported to a, and sync goes
// on without a second reset.
func TestReset_RoleChange_Recover(t *testing.T) {
	forRuns(t, func(t *testing.T, run resetRun) {
		roles := map[string]server.Role{
			"editor": {Name: "editor"},
			"guest":  {Name: "guest", Write: map[string]bool{"Person": false}},
		}
		s := newScript(t, run, server.Options{Roles: roles, DefaultRole: "editor"}, client.RecoverUnsyncedChanges, client.RecoverUnsyncedChanges)
		a, b := s.actors[0], s.actors[1]
		seedTasks(a)
		s.settle()
		a.offline()
		offlineWrites(a)
		a.write(func(tx *replica.Tx) error {
			return tx.Upsert("Person", changeset.StrPK("p9"), map[string]changeset.Value{"name": strVal("Zed")})
		})
		require.NoError(t, s.server.srv.SetRole(a.user, "guest"))
		a.online()
		s.until("a resets", patience, func() bool { return len(a.after) == 1 })
		want := seedState()
		want["Task/1"] = task{title: "mine", prio: intVal(3), tags: []string{"a", "x", "b"}}.row()
		want["Task/4"] = task{title: "new"}.row()
		recovered := maps.Clone(want)
		recovered["Person/p9"] = personRow("Zed")
		got := a.after[0]
		assert.Equal(t, recovered, objects(t, got.after), "a's state after the reset: every write recovered")
		assert.True(t, got.recovered)
		out := a.session().LastReset()
		require.NotNil(t, out)
		assert.Equal(t, protocol.RoleChange, out.Error.Code)
		assert.Equal(t, client.RecoverUnsyncedChanges, out.Mode)

		s.settle()
		s.run(time.Minute)
		s.converged(s.server, want, a, b)
		// The server reports the revert once, on the session the upload
		// came on: a faulty network may lose the report (the revert itself
		// is downloaded) or duplicate it.
		reports := map[string]bool{}
		for _, err := range a.errs {
			var se *client.SyncError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, protocol.CompensatingWrite, se.Code)
			assert.Contains(t, se.Message, `Person["p9"]`, "the report names the reverted write")
			reports[se.Message] = true
		}
		if run.net != cleanNet {
			assert.LessOrEqual(t, len(reports), 1, "a's reports: %v", a.errs)
		} else {
			assert.Len(t, a.errs, 1, "a's reports")
		}
		a.errs = nil
		resetsDone(t, map[*actor]int{a: 1, b: 0})
	})
}

// TestReset_BaseURLChange_Recover: a's app moves to another server (a
// second server node with its own disk), which does not know a's client
// file: a resets into the new server's realm and recovers its unsynced
// writes onto it; a write to a task the new server lacks is dropped.
func TestReset_BaseURLChange_Recover(t *testing.T) {
	forRuns(t, func(t *testing.T, run resetRun) {
		s := newWorld(t, run, 2, server.Options{})
		other := s.addServer("server2", server.Options{})
		a := s.join(0, sim.ServerName, client.RecoverUnsyncedChanges)
		b := s.join(1, other.node.Name, client.RecoverUnsyncedChanges)
		seedTasks(a)
		b.write(func(tx *replica.Tx) error {
			return errors.Join(tx.Upsert("Task", taskPK(1), map[string]changeset.Value{"title": strVal("s2")}),
				tx.Upsert("Person", changeset.StrPK("p2"), map[string]changeset.Value{"name": strVal("Bo")}))
		})
		s.settle()

		a.offline()
		offlineWrites(a)
		a.write(func(tx *replica.Tx) error { return tx.ListInsert("Task", taskPK(2), "tags", 0, strVal("z")) })
		require.NoError(t, a.app.UpdateBaseURL(other.node.Name))
		a.online()
		a.logIn()
		s.until("a resets", patience, func() bool { return len(a.after) == 1 })
		want := map[string]string{
			"Task/1":    task{title: "mine", tags: []string{"x"}}.row(),
			"Task/4":    task{title: "new"}.row(),
			"Person/p2": personRow("Bo"),
		}
		got := a.after[0]
		assert.Equal(t, want, objects(t, got.after), "a's state after the reset: server2's, with a's writes recovered")
		assert.True(t, got.recovered)
		out := a.session().LastReset()
		require.NotNil(t, out)
		assert.Contains(t, []protocol.ErrorCode{protocol.BadClientFileIdent, protocol.DivergingHistories}, out.Error.Code,
			"server2 does not know a's client file")

		s.settle()
		s.converged(other, want, a, b)
		first, _ := s.server.srv.State(scriptPath)
		assert.Equal(t, seedState(), objects(t, first), "the first server never saw a's offline writes")
		resetsDone(t, map[*actor]int{a: 1, b: 0})
	})
}

// TestReset_SecondRestoreWhileFreshCopyDownloads_NoLoop: a second
// restore (to an older backup) strikes while a's reset after the first
// is downloading its fresh copy: a's reset starts over in the new epoch
// and completes once; b and c, paused through both restores, reset once
// each; all end with the older backup's state plus a's recovered writes.
func TestReset_SecondRestoreWhileFreshCopyDownloads_NoLoop(t *testing.T) {
	forRuns(t, func(t *testing.T, run resetRun) {
		s := newScript(t, run, server.Options{}, client.RecoverUnsyncedChanges, client.DiscardUnsyncedChanges, client.RecoverOrDiscard)
		a, b, c := s.actors[0], s.actors[1], s.actors[2]
		srv := s.server.srv
		seedTasks(a)
		s.settle()
		older, err := srv.Backup(scriptPath)
		require.NoError(t, err)
		b.write(func(tx *replica.Tx) error {
			return tx.Upsert("Task", taskPK(3), map[string]changeset.Value{"title": strVal("after the older backup")})
		})
		s.settle()
		newer, err := srv.Backup(scriptPath)
		require.NoError(t, err)
		c.write(func(tx *replica.Tx) error {
			return tx.Upsert("Task", taskPK(6), map[string]changeset.Value{"title": strVal("after the newer backup")})
		})
		s.settle()

		b.session().Pause()
		c.session().Pause()
		a.offline()
		a.write(func(tx *replica.Tx) error {
			return tx.Upsert("Task", taskPK(4), map[string]changeset.Value{"title": strVal("new")})
		})
		a.write(func(tx *replica.Tx) error { return tx.Set("Task", taskPK(1), "title", strVal("mine")) })

		dropped := false // a's connection broke during its reset
		a.session().AddConnectionStateListener(func(_, now client.ConnectionState) {
			dropped = dropped || (now == client.Disconnected && a.session().Resetting())
		})
		require.NoError(t, srv.Restore(scriptPath, newer))
		a.online()
		s.until("a's reset begins", patience, a.session().Resetting)
		// Hold the server's answers so the fresh copy is bound on the
		// server but not downloaded when the second restore strikes.
		s.w.Net.ClogLink(sim.ServerName, a.node.Name, 10*time.Second)
		s.run(time.Second)
		require.True(t, a.session().Resetting(), "a's reset is still under way")
		require.NoError(t, srv.Restore(scriptPath, older))
		s.w.Net.ClogLink(sim.ServerName, a.node.Name, 0)
		s.until("a's reset completes", patience, func() bool { return len(a.after) > 0 })
		assert.True(t, dropped, "the second restore closed a's connection mid-reset")
		want := seedState()
		want["Task/1"] = task{title: "mine", prio: intVal(3), tags: []string{"a", "b"}}.row()
		want["Task/4"] = task{title: "new"}.row()
		assert.Equal(t, want, objects(t, a.after[0].after), "a's state after the reset: the older backup's, with a's writes")

		b.session().Resume()
		c.session().Resume()
		s.until("b and c reset", patience, func() bool { return len(b.after) > 0 && len(c.after) > 0 })
		s.settle()
		s.run(time.Minute)
		s.converged(s.server, want, a, b, c)
		resetsDone(t, map[*actor]int{a: 1, b: 1, c: 1})
	})
}

// TestReset_SecondRestoreBeforeRecoveryAcknowledged_PendingRecord: a
// second restore strikes after a and b adopted their fresh copies but
// before the server acknowledged their recovered changes, so their
// "reset in progress" records are still pending: a (recover) then goes
// to the manual handler instead of resetting again, b (recoverOrDiscard)
// falls back to discard; neither loops. Everyone ends with the older
// backup's state (a after opening the realm afresh).
func TestReset_SecondRestoreBeforeRecoveryAcknowledged_PendingRecord(t *testing.T) {
	forRuns(t, func(t *testing.T, run resetRun) {
		s := newScript(t, run, server.Options{}, client.RecoverUnsyncedChanges, client.RecoverOrDiscard)
		a, b := s.actors[0], s.actors[1]
		srv := s.server.srv
		seedTasks(a)
		s.settle()
		older, err := srv.Backup(scriptPath)
		require.NoError(t, err)
		b.write(func(tx *replica.Tx) error {
			return tx.Upsert("Task", taskPK(3), map[string]changeset.Value{"title": strVal("after the older backup")})
		})
		s.settle()
		newer, err := srv.Backup(scriptPath)
		require.NoError(t, err)
		newerState := seedState()
		newerState["Task/3"] = task{title: "after the older backup"}.row()

		for _, x := range s.actors {
			x.offline()
			x.write(func(tx *replica.Tx) error {
				return tx.Set("Task", taskPK(1), "title", strVal("by "+x.user))
			})
			// Hold the recovered changes back from the server.
			x.onAfter = func() { s.w.Net.ClogLink(x.node.Name, sim.ServerName, time.Hour) }
		}
		require.NoError(t, srv.Restore(scriptPath, newer))
		for _, x := range s.actors {
			x.online()
		}
		s.until("a and b adopt their fresh copies", patience, func() bool { return len(a.after) == 1 && len(b.after) == 1 })
		for _, x := range s.actors {
			want := maps.Clone(newerState)
			want["Task/1"] = task{title: "by " + x.user, prio: intVal(3), tags: []string{"a", "b"}}.row()
			assert.Equal(t, want, objects(t, x.after[0].after), "%s's state after its first reset", x.user)
			p, pending := x.realm.Replica().PendingReset()
			require.True(t, pending, "%s's recovered changes are not acknowledged yet", x.user)
			assert.Equal(t, replica.ResetRecover, p.Mode)
			x.onAfter = nil
		}
		unsynced, pre := a.unsynced(), objects(t, a.state())
		require.NoError(t, srv.Restore(scriptPath, older))
		for _, x := range s.actors {
			s.w.Net.ClogLink(x.node.Name, sim.ServerName, 0)
		}
		s.until("a's manual handler is called and b resets again", patience, func() bool {
			return len(a.manual) > 0 && len(b.after) == 2
		})
		s.run(time.Minute)
		manualDone(t, a, 1, protocol.BadClientFileIdent, client.ErrResetCycle, pre, unsynced)
		got := b.after[1]
		assert.Equal(t, seedState(), objects(t, got.after), "b's state after its second reset: the older backup's")
		assert.False(t, got.recovered, "b discarded")
		out := b.session().LastReset()
		require.NotNil(t, out)
		assert.Equal(t, client.DiscardUnsyncedChanges, out.Mode)
		require.Len(t, out.Discarded, 1, "b discards its unacknowledged recovered changeset")
		assert.Equal(t, uint64(1), out.Discarded[0].Version)

		a.reopenAfresh(workload.TaskSchema)
		s.settle()
		s.converged(s.server, seedState(), a, b)
		resetsDone(t, map[*actor]int{b: 2})
	})
}
