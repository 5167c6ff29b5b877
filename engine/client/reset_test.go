package client

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// resetRig is a realm on the fake server whose client reset callbacks
// record what they are told.
type resetRig struct {
	t      *testing.T
	n      *testNet
	srv    *fakeServer
	nd     *node
	a      *App
	r      *Realm
	cfg    RealmConfig
	before []*store.State
	after  []*store.State
	recov  []bool
	manual []ManualReset
	errs   []error
}

// newResetRig opens the realm in mode with Rex synced.
func newResetRig(t *testing.T, mode ClientResetMode) *resetRig {
	n, srv, nd, a := setup(t)
	rig := &resetRig{t: t, n: n, srv: srv, nd: nd, a: a}
	rig.cfg = config("/p", DownloadBeforeOpen)
	rig.cfg.ClientReset = ClientResetConfig{
		Mode:          mode,
		ManualHandler: func(m ManualReset) { rig.manual = append(rig.manual, m) },
		Before:        func(before *store.State) { rig.before = append(rig.before, before) },
		After: func(before, after *store.State, recovered bool) {
			require.Same(t, rig.before[len(rig.before)-1], before, "After gets the state Before got")
			rig.after, rig.recov = append(rig.after, after.Clone()), append(rig.recov, recovered)
		},
	}
	rig.cfg.ErrorHandler = func(_ *Session, err error) { rig.errs = append(rig.errs, err) }
	rig.r = open(t, n, a, rig.cfg)
	addDog(t, rig.r, 1, "Rex")
	n.run(time.Second)
	require.Equal(t, rig.r.Replica().Version(), rig.r.Replica().Acked().ClientVersion)
	return rig
}

// offline writes while the server drops the client's uploads: Rex
// renamed "local", dog 3 "three"; meanwhile another client adds dog 2.
func (rig *resetRig) offline() {
	rig.srv.hold = func(m protocol.Message) bool { return m.Type() == protocol.TypeUpload }
	_, err := rig.r.Write(func(tx *replica.Tx) error {
		return tx.Set("Dog", changeset.IntPK(1), "name", changeset.Value{Kind: schema.String, Str: "local"})
	})
	require.NoError(rig.t, err)
	addDog(rig.t, rig.r, 3, "three")
	rig.srv.foreignDog("/p", 2)
	rig.n.run(time.Second)
	rig.srv.hold = nil
}

// reset makes the server ask for a client reset, and runs a while.
func (rig *resetRig) reset(code protocol.ErrorCode, action protocol.Action) {
	rig.srv.sendError(false, code, action, 0)
	rig.n.run(time.Second)
}

// uploadsFrom is the changesets of file uploaded to the fake server.
func (rig *resetRig) uploadsFrom(file uint64) []changeset.Changeset {
	var out []changeset.Changeset
	for _, e := range rig.srv.realm("/p").history {
		if e.origin == file {
			out = append(out, e.cs)
		}
	}
	return out
}

// names is the Dog objects of a state with their names ("" for null).
func names(t *testing.T, s *store.State) map[int64]string {
	out := map[int64]string{}
	for _, pk := range s.Objects("Dog") {
		v, err := s.Get("Dog", pk, "name")
		require.NoError(t, err)
		out[pk.Int] = v.Str
	}
	return out
}

var (
	preReset  = map[int64]string{1: "local", 2: "", 3: "three"} // the local state before the reset
	serverNow = map[int64]string{1: "Rex", 2: ""}               // the server's state
)

func TestEachModesOutcomeIsTheExactPostResetState(t *testing.T) {
	for _, tc := range []struct {
		mode, applied ClientResetMode
		local         bool // the state after is the local one before (else the server's)
		session       SessionState
	}{
		{Manual, Manual, true, Inactive},
		{DiscardUnsyncedChanges, DiscardUnsyncedChanges, false, Active},
		{RecoverUnsyncedChanges, RecoverUnsyncedChanges, true, Active},
		{RecoverOrDiscard, RecoverUnsyncedChanges, true, Active},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			rig := newResetRig(t, tc.mode)
			rig.offline()
			require.Equal(t, preReset, names(t, rig.r.State()))
			want := rig.r.State().Clone()
			if !tc.local {
				want = rig.serverState(t)
				require.Equal(t, serverNow, names(t, want))
			}
			rig.reset(protocol.BadClientFileIdent, protocol.ActionClientReset)
			assert.True(t, want.Equal(rig.r.State()), "after the reset\n%s\nwant\n%s", rig.r.State(), want)
			assert.Equal(t, tc.session, rig.r.Session().State())
			out := rig.r.Session().LastReset()
			require.NotNil(t, out)
			assert.Equal(t, tc.applied, out.Mode)
			if tc.mode == Manual {
				assert.Len(t, rig.manual, 1)
				return
			}
			assert.Empty(t, rig.errs)
			assert.Empty(t, rig.manual)
			assert.True(t, rig.serverState(t).Equal(rig.r.State()), "the server has the recovered changes")
			_, pending := rig.r.Replica().PendingReset()
			assert.False(t, pending, "the reset is over")
			assert.False(t, rig.nd.diskHas(t, freshName(rig.r.Replica().Name())), "the fresh copy is deleted")
		})
	}
}

// serverState is the fake server's realm state: its history applied.
func (rig *resetRig) serverState(t *testing.T) *store.State {
	s := store.New()
	for _, e := range rig.srv.realm("/p").history {
		require.NoError(t, s.Apply(&e.cs))
	}
	return s
}

func (nd *node) diskHas(t *testing.T, name string) bool {
	names, err := nd.disk.List(name)
	require.NoError(t, err)
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

func TestDiscardReportsWhatItDiscardedToTheCallbacks(t *testing.T) {
	rig := newResetRig(t, DiscardUnsyncedChanges)
	rig.offline()
	unsynced := rig.r.Replica().Unsynced()
	require.Len(t, unsynced, 2)
	rig.reset(protocol.ClientFileExpired, protocol.ActionClientReset)
	require.Len(t, rig.before, 1)
	assert.Equal(t, preReset, names(t, rig.before[0]), "Before sees the unsynced changes")
	require.Len(t, rig.after, 1)
	assert.Equal(t, serverNow, names(t, rig.after[0]), "After sees them gone")
	assert.Equal(t, []bool{false}, rig.recov, "discarded, not recovered")
	out := rig.r.Session().LastReset()
	assert.Equal(t, unsynced, out.Discarded, "the outcome names the discarded changesets")
	assert.Nil(t, out.Recovered)
	ident, _ := rig.r.Replica().Ident()
	assert.Empty(t, rig.uploadsFrom(ident), "nothing to upload")
}

func TestManualBackupHoldsEveryUnsyncedWrite(t *testing.T) {
	rig := newResetRig(t, Manual)
	rig.offline()
	unsynced := rig.r.Replica().Unsynced()
	ident, _ := rig.r.Replica().Ident()
	rig.reset(protocol.DivergingHistories, protocol.ActionClientReset)
	require.Len(t, rig.manual, 1)
	m := rig.manual[0]
	assert.Equal(t, protocol.DivergingHistories, m.Err.Code)
	assert.ErrorIs(t, m.Reason, ErrManualMode)
	assert.Empty(t, rig.errs, "the manual handler is told, not the error handler")
	require.NotEmpty(t, m.BackupPath)

	backup, err := replica.Open(rig.nd.disk, m.BackupPath, rig.nd.clock, schema.Schema{})
	require.NoError(t, err)
	assert.Equal(t, unsynced, backup.Unsynced(), "every unsynced write is in the backup")
	assert.Equal(t, preReset, names(t, backup.State()))
	backupIdent, _ := backup.Ident()
	assert.Equal(t, ident, backupIdent)

	assert.Equal(t, preReset, names(t, rig.r.State()), "nothing local is touched")
	assert.Equal(t, Inactive, rig.r.Session().State(), "sync stops")
	addDog(t, rig.r, 4, "still writable")
	rig.n.run(time.Minute)
	assert.Equal(t, ident, rig.a.ClientFileIdent("u", "/p"))
}

func TestRecoveredChangesAreUploadedOnceAsVersionOneOfTheNewFile(t *testing.T) {
	rig := newResetRig(t, RecoverUnsyncedChanges)
	rig.offline()
	old, _ := rig.r.Replica().Ident()
	rig.reset(protocol.BadServerVersion, protocol.ActionClientReset)
	ident, _ := rig.r.Replica().Ident()
	require.NotEqual(t, old, ident)
	up := rig.uploadsFrom(ident)
	require.Len(t, up, 1, "one recovered changeset")
	assert.Equal(t, uint64(1), up[0].Version, "client versions of the new file start at 1")
	assert.Equal(t, ident, up[0].OriginFileIdent)
	assert.Equal(t, []changeset.Op{changeset.Update, changeset.CreateObject, changeset.Update}, opsOf(up[0]))
	assert.Equal(t, []bool{true}, rig.recov)
	assert.Equal(t, &up[0], rig.r.Session().LastReset().Recovered)

	rig.n.net.Disconnect("client")
	rig.n.run(time.Minute)
	assert.Len(t, rig.uploadsFrom(ident), 1, "not uploaded again after a reconnect")
	assert.Len(t, rig.after, 1, "no second reset")
	assert.Equal(t, Active, rig.r.Session().State())
	assert.Empty(t, rig.errs)
	_, pending := rig.r.Replica().PendingReset()
	assert.False(t, pending, "acknowledged: the reset is over")
}

func opsOf(cs changeset.Changeset) []changeset.Op {
	var out []changeset.Op
	for _, in := range cs.Instructions {
		out = append(out, in.Op)
	}
	return out
}

// counting is a replica observer that counts what it is told.
type counting struct{ committed, integrated, adopted int }

func (c *counting) Committed(*changeset.Changeset)          { c.committed++ }
func (c *counting) Integrated(*protocol.Download)           { c.integrated++ }
func (c *counting) Adopted(uint64, protocol.DownloadCursor) { c.adopted++ }

func TestResetWithNoLocalChangesLeavesTheStateAsItIs(t *testing.T) {
	rig := newResetRig(t, RecoverUnsyncedChanges)
	obs := &counting{}
	rig.r.Replica().AddObserver(obs)
	state := rig.r.State()
	hash := state.Hash()
	old, _ := rig.r.Replica().Ident()
	rig.reset(protocol.BadClientFileIdent, protocol.ActionClientReset)
	assert.Same(t, state, rig.r.State())
	assert.Equal(t, hash, rig.r.State().Hash(), "nothing changed")
	assert.Equal(t, hash, rig.after[0].Hash())
	assert.Equal(t, hash, rig.before[0].Hash())
	ident, _ := rig.r.Replica().Ident()
	assert.NotEqual(t, old, ident, "the new client file is adopted all the same")
	assert.Equal(t, counting{adopted: 1}, *obs, "nothing committed, nothing integrated")
	assert.Equal(t, uint64(0), rig.r.Replica().Version())
	assert.Empty(t, rig.uploadsFrom(ident))
	assert.Nil(t, rig.r.Session().LastReset().Recovered)
}

func TestFallbackTable(t *testing.T) {
	reset := &SyncError{Code: protocol.BadClientFileIdent, Action: protocol.ActionClientReset}
	noRecovery := &SyncError{Code: protocol.BadClientFileIdent, Action: protocol.ActionClientResetNoRecovery}
	badChangeset := &SyncError{Code: protocol.BadChangeset, Action: protocol.ActionClientResetNoRecovery}
	breaking := &SyncError{Code: protocol.SchemaChange, Action: protocol.ActionClientResetNoRecovery}
	for _, tc := range []struct {
		err  *SyncError
		mode ClientResetMode
		want ClientResetMode
		why  error
	}{
		{reset, Manual, Manual, ErrManualMode},
		{reset, DiscardUnsyncedChanges, DiscardUnsyncedChanges, nil},
		{reset, RecoverUnsyncedChanges, RecoverUnsyncedChanges, nil},
		{reset, RecoverOrDiscard, RecoverUnsyncedChanges, nil},
		{noRecovery, Manual, Manual, ErrManualMode},
		{noRecovery, DiscardUnsyncedChanges, DiscardUnsyncedChanges, nil},
		{noRecovery, RecoverUnsyncedChanges, Manual, ErrRecoveryDisabled},
		{noRecovery, RecoverOrDiscard, DiscardUnsyncedChanges, nil},
		{badChangeset, RecoverUnsyncedChanges, Manual, ErrRecoveryDisabled},
		{badChangeset, RecoverOrDiscard, DiscardUnsyncedChanges, nil},
		{breaking, Manual, Manual, ErrManualMode},
		{breaking, DiscardUnsyncedChanges, Manual, ErrBreakingSchemaChange},
		{breaking, RecoverUnsyncedChanges, Manual, ErrBreakingSchemaChange},
		{breaking, RecoverOrDiscard, Manual, ErrBreakingSchemaChange},
	} {
		t.Run(fmt.Sprintf("%s %s %s", tc.err.Code, tc.err.Action, tc.mode), func(t *testing.T) {
			got, why := planReset(tc.mode, nil, tc.err, 0)
			assert.Equal(t, tc.want, got)
			if tc.why == nil {
				assert.NoError(t, why)
			} else {
				assert.ErrorIs(t, why, tc.why)
			}
		})
	}
}

func TestFallbackBreakingSchemaChangeGoesToTheManualHandlerInEveryMode(t *testing.T) {
	for _, mode := range []ClientResetMode{DiscardUnsyncedChanges, RecoverUnsyncedChanges, RecoverOrDiscard} {
		t.Run(mode.String(), func(t *testing.T) {
			rig := newResetRig(t, mode)
			rig.offline()
			rig.reset(protocol.SchemaChange, protocol.ActionClientResetNoRecovery)
			require.Len(t, rig.manual, 1)
			assert.ErrorIs(t, rig.manual[0].Reason, ErrBreakingSchemaChange)
			assert.NotEmpty(t, rig.manual[0].BackupPath)
			assert.Equal(t, preReset, names(t, rig.r.State()), "nothing local is touched")
			assert.Empty(t, rig.before, "no automatic reset began")
		})
	}
}

func TestFallbackRecoveryDisabledOnTheServer(t *testing.T) {
	for _, tc := range []struct {
		mode  ClientResetMode
		state map[int64]string
	}{
		{RecoverUnsyncedChanges, preReset},
		{RecoverOrDiscard, serverNow},
		{DiscardUnsyncedChanges, serverNow},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			rig := newResetRig(t, tc.mode)
			rig.offline()
			rig.reset(protocol.DivergingHistories, protocol.ActionClientResetNoRecovery)
			assert.Equal(t, tc.state, names(t, rig.r.State()))
			if tc.mode == RecoverUnsyncedChanges {
				require.Len(t, rig.manual, 1)
				assert.ErrorIs(t, rig.manual[0].Reason, ErrRecoveryDisabled)
			} else {
				assert.Empty(t, rig.manual)
				assert.Equal(t, DiscardUnsyncedChanges, rig.r.Session().LastReset().Mode)
			}
		})
	}
}

func TestFallbackLocalSchemaTheFreshCopyLacksGoesToTheManualHandler(t *testing.T) {
	str := schema.PropType{Kind: schema.String, Nullable: true}
	for _, tc := range []struct {
		name   string
		server schema.Schema
	}{
		{"class missing", schema.Schema{Classes: []schema.Class{{Name: "Cat", PKKind: schema.Int}}}},
		{"property missing", schema.Schema{Classes: []schema.Class{{Name: "Dog", PKKind: schema.Int, Props: []schema.Property{
			{Name: "name", Type: str}}}}}},
		{"property of another type", schema.Schema{Classes: []schema.Class{{Name: "Dog", PKKind: schema.Int, Props: []schema.Property{
			{Name: "name", Type: str}, {Name: "age", Type: str}}}}}},
	} {
		for _, mode := range []ClientResetMode{DiscardUnsyncedChanges, RecoverUnsyncedChanges, RecoverOrDiscard} {
			t.Run(tc.name+" "+mode.String(), func(t *testing.T) {
				rig := newResetRig(t, mode)
				rig.offline()
				// The server's realm was replaced by one with another schema.
				rig.srv.realm("/p").history = []fakeEntry{{origin: 999, clientVersion: 1, cs: changeset.Changeset{
					Version: 1, OriginTimestamp: 1, OriginFileIdent: 999, Instructions: schemaInstructions(tc.server)}}}
				before := rig.r.State().Clone()
				rig.reset(protocol.BadClientFileIdent, protocol.ActionClientReset)
				require.Len(t, rig.manual, 1)
				assert.ErrorIs(t, rig.manual[0].Reason, ErrResetSchemaMismatch)
				assert.True(t, before.Equal(rig.r.State()), "nothing local is touched")
				assert.Equal(t, Inactive, rig.r.Session().State())
				_, pending := rig.r.Replica().PendingReset()
				assert.True(t, pending, "a failed reset leaves its record")
				assert.False(t, rig.nd.diskHas(t, freshName(rig.r.Replica().Name())), "the fresh copy is deleted")
			})
		}
	}
}

func TestPendingRecordRules(t *testing.T) {
	modes := []ClientResetMode{Manual, DiscardUnsyncedChanges, RecoverUnsyncedChanges, RecoverOrDiscard}
	for _, tc := range []struct {
		pending replica.ResetMode // 0: none
		want    []ClientResetMode // per requested mode, in the order of modes
	}{
		{0, []ClientResetMode{Manual, DiscardUnsyncedChanges, RecoverUnsyncedChanges, RecoverUnsyncedChanges}},
		{replica.ResetDiscard, []ClientResetMode{Manual, Manual, Manual, Manual}},
		{replica.ResetRecover, []ClientResetMode{Manual, DiscardUnsyncedChanges, Manual, DiscardUnsyncedChanges}},
	} {
		for i, mode := range modes {
			want := tc.want[i]
			t.Run(fmt.Sprintf("pending %v requested %s", tc.pending, mode), func(t *testing.T) {
				var pending *replica.PendingReset
				if tc.pending != 0 {
					pending = &replica.PendingReset{Mode: tc.pending}
				}
				got, why := planReset(mode, pending, &SyncError{Code: protocol.BadClientFileIdent, Action: protocol.ActionClientReset}, 0)
				require.Equal(t, want, got)
				if want == Manual && mode != Manual {
					assert.ErrorIs(t, why, ErrResetCycle)
				}

				// The same through a session whose replica holds the record.
				rig := newResetRig(t, mode)
				rig.offline()
				if tc.pending != 0 {
					require.NoError(t, rig.r.Replica().BeginReset(tc.pending))
				}
				rig.reset(protocol.BadClientFileIdent, protocol.ActionClientReset)
				out := rig.r.Session().LastReset()
				require.NotNil(t, out)
				assert.Equal(t, want, out.Mode)
				p, stillPending := rig.r.Replica().PendingReset()
				switch want {
				case Manual:
					assert.Equal(t, preReset, names(t, rig.r.State()))
					assert.Equal(t, tc.pending != 0, stillPending, "the record stays as it was")
					assert.Equal(t, tc.pending, p.Mode)
				case DiscardUnsyncedChanges:
					assert.Equal(t, serverNow, names(t, rig.r.State()))
					assert.False(t, stillPending, "the discard succeeded")
				default:
					assert.Equal(t, preReset, names(t, rig.r.State()))
					assert.False(t, stillPending, "the recovery succeeded and was acknowledged")
				}
			})
		}
	}
}

func TestCrashWhileTheFreshCopyDownloadsLeavesNoRecord(t *testing.T) {
	for _, tc := range []struct {
		mode  ClientResetMode
		then  ClientResetMode // what the next reset does
		state map[int64]string
	}{
		{DiscardUnsyncedChanges, DiscardUnsyncedChanges, serverNow},
		{RecoverUnsyncedChanges, RecoverUnsyncedChanges, preReset},
		{RecoverOrDiscard, RecoverUnsyncedChanges, preReset},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			rig := newResetRig(t, tc.mode)
			rig.offline()
			// The server forgets the file; the fresh copy never completes
			// its download (the server holds MARKs).
			rig.srv.issued = map[uint64]bool{}
			rig.srv.hold = func(m protocol.Message) bool { return m.Type() == protocol.TypeMark }
			rig.reset(protocol.BadClientFileIdent, protocol.ActionClientReset)
			require.True(t, rig.r.Session().Resetting())
			require.True(t, rig.nd.diskHas(t, freshName(rig.r.Replica().Name())))
			_, ok := rig.r.Replica().PendingReset()
			require.False(t, ok, "no record while the fresh copy downloads")

			rig.nd.crash()
			rig.srv.hold = nil
			rig.nd.start()
			rig.a = rig.nd.app("app")
			cfg := rig.cfg
			cfg.NewFile.Kind, cfg.ExistingFile.Kind = OpenImmediately, OpenImmediately
			rig.r = open(t, rig.n, rig.a, cfg)
			_, ok = rig.r.Replica().PendingReset()
			require.False(t, ok, "the crash interrupted the reset before its record")
			assert.Equal(t, preReset, names(t, rig.r.State()), "nothing local changed")

			rig.n.run(time.Second) // the server refuses the old file again
			out := rig.r.Session().LastReset()
			require.NotNil(t, out)
			assert.Equal(t, tc.then, out.Mode, "not a reset loop: the reset runs again")
			assert.Equal(t, tc.state, names(t, rig.r.State()))
			assert.Empty(t, rig.manual)
			assert.False(t, rig.nd.diskHas(t, freshName(rig.r.Replica().Name())), "the fresh copy the crash left is deleted")
		})
	}
}

// TestResetRecord_InRealmCoreOrder: the before-callback sees no
// pending-reset record; the record is written next, before anything local
// changes; it is removed when the reset has succeeded, and a failed reset
// leaves it.
func TestResetRecord_InRealmCoreOrder(t *testing.T) {
	badSchema := schema.Schema{Classes: []schema.Class{{Name: "Cat", PKKind: schema.Int}}}
	for _, tc := range []struct {
		name    string
		mode    ClientResetMode
		fail    bool              // the fresh copy lacks the local schema: the reset fails
		holdUp  bool              // the server does not acknowledge the recovered changes
		want    replica.ResetMode // the record after the reset; 0: none
		adopted bool              // the record says adopted
		state   map[int64]string  // the local state after
	}{
		{name: "discard succeeds", mode: DiscardUnsyncedChanges, state: serverNow},
		{name: "recover succeeds and is acknowledged", mode: RecoverUnsyncedChanges, state: preReset},
		{name: "recover adopted, not yet acknowledged", mode: RecoverUnsyncedChanges, holdUp: true,
			want: replica.ResetRecover, adopted: true, state: preReset},
		{name: "discard fails", mode: DiscardUnsyncedChanges, fail: true, want: replica.ResetDiscard, state: preReset},
		{name: "recover fails", mode: RecoverUnsyncedChanges, fail: true, want: replica.ResetRecover, state: preReset},
		{name: "recoverOrDiscard fails", mode: RecoverOrDiscard, fail: true, want: replica.ResetRecover, state: preReset},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rig := newResetRig(t, tc.mode)
			var sawRecord []bool
			before := rig.cfg.ClientReset.Before
			rig.r.Session().cfg.ClientReset.Before = func(s *store.State) {
				_, ok := rig.r.Replica().PendingReset()
				sawRecord = append(sawRecord, ok)
				assert.Equal(t, preReset, names(t, rig.r.State()), "nothing local changed yet")
				before(s)
			}
			rig.offline()
			if tc.fail {
				rig.srv.realm("/p").history = []fakeEntry{{origin: 999, clientVersion: 1, cs: changeset.Changeset{
					Version: 1, OriginTimestamp: 1, OriginFileIdent: 999, Instructions: schemaInstructions(badSchema)}}}
			}
			if tc.holdUp {
				rig.srv.hold = func(m protocol.Message) bool { return m.Type() == protocol.TypeUpload }
			}
			rig.reset(protocol.BadClientFileIdent, protocol.ActionClientReset)
			require.Equal(t, []bool{false}, sawRecord, "the before-callback ran once and saw no record")
			p, ok := rig.r.Replica().PendingReset()
			assert.Equal(t, tc.want != 0, ok)
			assert.Equal(t, tc.want, p.Mode)
			assert.Equal(t, tc.adopted, p.Adopted)
			assert.Equal(t, tc.state, names(t, rig.r.State()))
			if tc.fail {
				require.Len(t, rig.manual, 1)
			}
		})
	}
}

func TestRecoveredListInsertsNotDuplicatedByALaterReset(t *testing.T) {
	friend := func(pk int64) changeset.Value {
		return changeset.Value{Kind: schema.Link, Class: "Pet", Target: changeset.IntPK(pk)}
	}
	for _, tc := range []struct {
		name    string
		ackLost bool
	}{
		{"a later reset after the recovery was acknowledged", false},
		{"the server integrated the inserts but their acknowledgement was lost", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, srv, _, a := setup(t)
			cfg := RealmConfig{Path: "/pets", Schema: petSchema}
			r := open(t, n, a, cfg)
			_, err := r.Write(func(tx *replica.Tx) error {
				for pk := range int64(3) {
					if err := tx.Create("Pet", changeset.IntPK(pk+1)); err != nil {
						return err
					}
				}
				return nil
			})
			require.NoError(t, err)
			n.run(time.Second)
			srv.hold = func(m protocol.Message) bool { return m.Type() == protocol.TypeUpload }
			_, err = r.Write(func(tx *replica.Tx) error {
				if err := tx.ListInsert("Pet", changeset.IntPK(1), "friends", 0, friend(2)); err != nil {
					return err
				}
				return tx.ListInsert("Pet", changeset.IntPK(1), "friends", 1, friend(3))
			})
			require.NoError(t, err)
			n.run(time.Second)
			srv.hold = nil
			reset := func() {
				srv.sendError(false, protocol.BadClientFileIdent, protocol.ActionClientReset, 0)
				n.run(time.Second)
				require.Equal(t, Active, r.Session().State())
			}
			if tc.ackLost {
				ident, _ := r.Replica().Ident()
				realm := srv.realm("/pets")
				for _, cs := range r.Replica().Unsynced() {
					realm.history = append(realm.history, fakeEntry{cs: *cs, origin: ident, clientVersion: cs.Version})
				}
			} else {
				reset()
				require.NotNil(t, r.Session().LastReset().Recovered)
			}
			reset()
			friends, err := r.State().List("Pet", changeset.IntPK(1), "friends")
			require.NoError(t, err)
			assert.Equal(t, []changeset.Value{friend(2), friend(3)}, friends)
			ident, _ := r.Replica().Ident()
			for _, e := range srv.realm("/pets").history {
				if e.origin == ident {
					assert.Fail(t, "the inserts are uploaded again")
				}
			}
		})
	}
}

func TestManualResetThenDeletingTheRealmFileOpensItAfresh(t *testing.T) {
	rig := newResetRig(t, Manual)
	rig.offline()
	rig.reset(protocol.BadClientFileIdent, protocol.ActionClientReset)
	require.Len(t, rig.manual, 1)
	user := rig.a.CurrentUser()
	require.Error(t, rig.a.DeleteRealmFile(user, "/p"), "the realm is open")
	rig.r.Close()
	require.NoError(t, rig.a.DeleteRealmFile(user, "/p"))
	assert.Zero(t, rig.a.ClientFileIdent("u", "/p"))
	assert.True(t, rig.nd.diskHas(t, rig.manual[0].BackupPath), "the backup is kept")
	r := open(t, rig.n, rig.a, rig.cfg)
	assert.Equal(t, serverNow, names(t, r.State()), "downloaded afresh")
	assert.Equal(t, Active, r.Session().State())
}

// TestManualReset_FileActionsRunAtOnceOrAtTheNextOpen: the manual handler
// may run the file actions at once (the replica moves to the backup path;
// opening again starts fresh and syncs); otherwise they run at the next
// open, a restart in between included.
func TestManualReset_FileActionsRunAtOnceOrAtTheNextOpen(t *testing.T) {
	withFour := map[int64]string{1: "local", 2: "", 3: "three", 4: "after the reset"}
	for _, tc := range []struct {
		name    string
		atOnce  bool // the handler runs the file actions
		restart bool // the process restarts before the next open
		backup  map[int64]string
	}{
		{name: "at once from the handler", atOnce: true, backup: preReset},
		{name: "at the next open", backup: withFour},
		{name: "at the next open after a restart", restart: true, backup: withFour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rig := newResetRig(t, Manual)
			user := rig.a.CurrentUser()
			if tc.atOnce {
				rig.r.Session().cfg.ClientReset.ManualHandler = func(m ManualReset) {
					rig.manual = append(rig.manual, m)
					require.NoError(t, rig.a.RunFileActions(user, "/p"))
				}
			}
			rig.offline()
			name := rig.r.Replica().Name()
			rig.reset(protocol.BadClientFileIdent, protocol.ActionClientReset)
			require.Len(t, rig.manual, 1)
			m := rig.manual[0]
			if tc.atOnce {
				assert.False(t, rig.nd.diskHas(t, name), "the replica moved to the backup path")
				assert.Zero(t, rig.a.ClientFileIdent("u", "/p"))
				_, err := rig.r.Write(func(tx *replica.Tx) error { return nil })
				assert.Error(t, err, "the realm is closed")
			} else {
				assert.True(t, rig.nd.diskHas(t, name), "nothing moves before the next open")
				addDog(t, rig.r, 4, "after the reset") // goes to the backup too
				rig.r.Close()
				if tc.restart {
					rig.nd.crash()
					rig.nd.start()
					rig.a = rig.nd.app("app")
				}
			}
			r := open(t, rig.n, rig.a, rig.cfg)
			assert.Equal(t, serverNow, names(t, r.State()), "a fresh replica, downloaded afresh")
			assert.Equal(t, Active, r.Session().State())
			assert.NotZero(t, rig.a.ClientFileIdent("u", "/p"))
			backup, err := replica.Open(rig.nd.disk, m.BackupPath, rig.nd.clock, schema.Schema{})
			require.NoError(t, err)
			assert.Equal(t, tc.backup, names(t, backup.State()), "the backup holds every local write")
			require.ErrorIs(t, rig.a.RunFileActions(rig.a.CurrentUser(), "/p"), ErrNoFileActions, "they ran once")
		})
	}
}

// TestResetOfLocalSchemaErase_IsLikeRecoveryNotAllowed: unsynced changes
// that erase a class or property cannot be recovered (a destructive schema
// change, as in realm-core): recover goes to the manual handler,
// recoverOrDiscard discards, discard discards.
func TestResetOfLocalSchemaErase_IsLikeRecoveryNotAllowed(t *testing.T) {
	for _, tc := range []struct {
		mode ClientResetMode
		want ClientResetMode
	}{
		{RecoverUnsyncedChanges, Manual},
		{RecoverOrDiscard, DiscardUnsyncedChanges},
		{DiscardUnsyncedChanges, DiscardUnsyncedChanges},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			rig := newResetRig(t, tc.mode)
			rig.offline()
			rig.srv.hold = func(m protocol.Message) bool { return m.Type() == protocol.TypeUpload }
			_, err := rig.r.Write(func(tx *replica.Tx) error { return tx.EraseColumn("Dog", "age") })
			require.NoError(t, err)
			rig.n.run(time.Second)
			rig.srv.hold = nil
			rig.reset(protocol.BadClientFileIdent, protocol.ActionClientReset)
			out := rig.r.Session().LastReset()
			require.NotNil(t, out)
			assert.Equal(t, tc.want, out.Mode)
			if tc.want == Manual {
				require.Len(t, rig.manual, 1)
				assert.ErrorIs(t, rig.manual[0].Reason, replica.ErrRecoveryErasesSchema)
				assert.Equal(t, preReset, names(t, rig.r.State()), "nothing local is touched")
				return
			}
			assert.Equal(t, serverNow, names(t, rig.r.State()))
			c, _ := rig.r.State().Class("Dog")
			_, ok := c.Property("age")
			assert.True(t, ok, "the erased property is back from the fresh copy")
		})
	}
}

// TestDownloadSchemaMismatch_SaysSo: a schema mismatch found while
// integrating a download is reported as one, not as "recovery disabled on
// the server" (recovery is on).
func TestDownloadSchemaMismatch_SaysSo(t *testing.T) {
	mismatch := &SyncError{Code: protocol.BadChangeset, Action: protocol.ActionClientResetNoRecovery,
		Local: fmt.Errorf("applying: %w", store.ErrSchemaMismatch)}
	other := &SyncError{Code: protocol.BadChangeset, Action: protocol.ActionClientResetNoRecovery,
		Local: fmt.Errorf("applying: %w", store.ErrBadChangeset)}
	disabled := &SyncError{Code: protocol.BadClientFileIdent, Action: protocol.ActionClientResetNoRecovery}
	for _, tc := range []struct {
		name   string
		err    *SyncError
		mode   ClientResetMode
		want   ClientResetMode
		why    error
		notWhy error
	}{
		{"schema mismatch, recover", mismatch, RecoverUnsyncedChanges, Manual, ErrDownloadSchemaMismatch, ErrRecoveryDisabled},
		{"schema mismatch, recoverOrDiscard", mismatch, RecoverOrDiscard, DiscardUnsyncedChanges, nil, nil},
		{"other failure, recover", other, RecoverUnsyncedChanges, Manual, ErrDownloadFailed, ErrRecoveryDisabled},
		{"recovery disabled on the server, recover", disabled, RecoverUnsyncedChanges, Manual, ErrRecoveryDisabled, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := planReset(tc.mode, nil, tc.err, 0)
			assert.Equal(t, tc.want, got)
			if tc.why == nil {
				assert.NoError(t, why)
				return
			}
			assert.ErrorIs(t, why, tc.why)
			if tc.notWhy != nil {
				assert.NotErrorIs(t, why, tc.notWhy)
			}
		})
	}

	t.Run("through a session", func(t *testing.T) {
		rig := newResetRig(t, RecoverUnsyncedChanges)
		rig.srv.hold = func(m protocol.Message) bool { return m.Type() == protocol.TypeUpload }
		rig.r.Close()
		rig.n.run(time.Second)
		// The local schema adds Dog.x as an int; the server made it a string.
		cfg := rig.cfg
		cfg.NewFile.Kind, cfg.ExistingFile.Kind = OpenImmediately, OpenImmediately
		cfg.Schema = schema.Schema{Classes: []schema.Class{{Name: "Dog", PKKind: schema.Int,
			Props: append(slices.Clone(dogSchema.Classes[0].Props), schema.Property{Name: "x", Type: schema.PropType{Kind: schema.Int}})}}}
		rig.srv.foreign("/p", changeset.Instruction{Op: changeset.AddColumn, Class: "Dog", Field: "x", Type: schema.PropType{Kind: schema.String}})
		rig.r = open(t, rig.n, rig.a, cfg)
		rig.n.run(time.Second)
		require.Len(t, rig.manual, 1)
		assert.ErrorIs(t, rig.manual[0].Reason, ErrDownloadSchemaMismatch)
		assert.NotErrorIs(t, rig.manual[0].Reason, ErrRecoveryDisabled)
		assert.ErrorIs(t, rig.manual[0].Err, store.ErrSchemaMismatch)
		assert.Contains(t, rig.manual[0].Err.Message, "schema mismatch")
	})
}
