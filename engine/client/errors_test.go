package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/replica"
)

// erroring opens a realm whose handler records errors, with a download
// wait pending (the server holds MARKs).
func erroring(t *testing.T, cancel bool) (*testNet, *fakeServer, *App, *Realm, *[]error, *waitResult) {
	n, srv, _, a := setup(t)
	var handled []error
	cfg := config("/p", DownloadBeforeOpen)
	cfg.CancelWaitsOnNonFatalErrors = cancel
	cfg.ErrorHandler = func(_ *Session, err error) { handled = append(handled, err) }
	r := open(t, n, a, cfg)
	srv.hold = func(m protocol.Message) bool { return m.Type() == protocol.TypeMark }
	var w waitResult
	r.Session().WaitForDownload(time.Hour, w.cb(n))
	n.run(time.Second)
	return n, srv, a, r, &handled, &w
}

func TestManualClientResetStopsTheSessionAndCallsTheHandler(t *testing.T) {
	for _, code := range []protocol.ErrorCode{protocol.BadClientFileIdent, protocol.DivergingHistories,
		protocol.ClientFileExpired, protocol.SchemaChange} {
		t.Run(code.String(), func(t *testing.T) {
			n, srv, _, r, handled, w := erroring(t, false)
			r.Session().cfg.ClientReset.Mode = Manual
			srv.sendError(false, code, code.Action(), 0)
			n.run(time.Second)
			s := r.Session()
			assert.Equal(t, Inactive, s.State())
			require.NotNil(t, s.ResetRequired())
			assert.Equal(t, code, s.ResetRequired().Code)
			require.Len(t, *handled, 1, "without a manual handler the error handler is told")
			var m *ManualReset
			require.ErrorAs(t, (*handled)[0], &m)
			assert.ErrorIs(t, m, ErrManualMode)
			assert.NotEmpty(t, m.BackupPath)
			require.True(t, w.done, "a fatal error cancels waits")
			assert.ErrorAs(t, w.err, new(*SyncError))
			addDog(t, r, 5, "local writes go on")
			uploads := len(srv.received(protocol.TypeUpload))
			n.run(time.Minute)
			assert.Len(t, srv.received(protocol.TypeUpload), uploads, "no more syncing")
		})
	}
}

// compensatingWrite sends every session an ERROR CompensatingWrite for
// its changeset of client version version, reverting Dog[1].
func compensatingWrite(srv *fakeServer, version uint64) {
	for _, fc := range srv.conns {
		for _, ss := range fc.sortedSessions() {
			fc.send(&protocol.Error{SessionIdent: ss.ident, Code: protocol.CompensatingWrite, Action: protocol.ActionRevert,
				Message: "reverted", Compensation: &protocol.Compensation{ClientVersion: version,
					Reverted: []protocol.Reverted{{Kind: protocol.RevertedObject, Class: "Dog", PK: changeset.IntPK(1)}}}})
		}
	}
}

func TestCompensatingWriteIsReportedAndSyncGoesOn(t *testing.T) {
	n, srv, _, r, handled, w := erroring(t, false)
	compensatingWrite(srv, 1)
	n.run(time.Second)
	require.Len(t, *handled, 1)
	var se *SyncError
	require.ErrorAs(t, (*handled)[0], &se)
	require.NotNil(t, se.Compensation, "the app gets the typed identity of what was reverted")
	assert.Equal(t, uint64(1), se.Compensation.ClientVersion)
	assert.Equal(t, Active, r.Session().State())
	assert.False(t, w.done, "a non-fatal error does not cancel waits by default")
	srv.foreignDog("/p", 3)
	n.run(time.Second)
	assert.True(t, r.State().Exists("Dog", changeset.IntPK(3)), "still syncing")
}

// TestCompensatingWriteOfAChangesetIsReportedOnce: the network may
// duplicate a CompensatingWrite ERROR; the app's error handler hears of
// each reverted changeset (by client version, per file) once.
func TestCompensatingWriteOfAChangesetIsReportedOnce(t *testing.T) {
	for _, tc := range []struct {
		rule     string
		versions []uint64 // the client versions of the ERRORs, in order of arrival
		want     []uint64 // those reported to the app
	}{
		{"a duplicate is not reported again", []uint64{1, 1}, []uint64{1}},
		{"each changeset's compensation is reported", []uint64{1, 2}, []uint64{1, 2}},
		{"a late duplicate is not reported again", []uint64{1, 2, 1, 2}, []uint64{1, 2}},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			n, srv, _, r, handled, _ := erroring(t, false)
			for _, v := range tc.versions {
				compensatingWrite(srv, v)
				n.run(time.Second)
			}
			var got []uint64
			for _, err := range *handled {
				var se *SyncError
				require.ErrorAs(t, err, &se)
				got = append(got, se.Compensation.ClientVersion)
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, Active, r.Session().State())
		})
	}
}

func TestBadAuthenticationStopsTheSessionUntilTheUserLogsInAgain(t *testing.T) {
	n, srv, a, r, handled, w := erroring(t, false)
	srv.sendError(false, protocol.BadAuthentication, protocol.ActionLogIn, 0)
	n.run(time.Second)
	s := r.Session()
	assert.Equal(t, Inactive, s.State())
	assert.Nil(t, a.CurrentUser(), "the user's token was refused")
	require.Len(t, *handled, 1)
	assert.True(t, w.done)
	binds := len(srv.received(protocol.TypeBind))
	logIn(t, n, a, "u")
	n.run(time.Second)
	assert.Equal(t, Active, s.State())
	assert.Len(t, srv.received(protocol.TypeBind), binds+1, "bound again with the new token")
}

func TestFatalErrorStopsTheSession(t *testing.T) {
	n, srv, _, r, handled, w := erroring(t, false)
	srv.sendError(false, protocol.PermissionDenied, protocol.ActionFatal, 0)
	n.run(time.Second)
	assert.Equal(t, Inactive, r.Session().State())
	assert.Nil(t, r.Session().ResetRequired())
	require.Len(t, *handled, 1)
	var se *SyncError
	require.ErrorAs(t, r.Session().Err(), &se)
	assert.True(t, se.Fatal())
	assert.True(t, w.done)
	var later waitResult
	r.Session().WaitForUpload(0, later.cb(n))
	n.run(time.Second)
	require.True(t, later.done)
	assert.ErrorAs(t, later.err, &se, "a wait on a stopped session fails with its error")
}

func TestCloseUploadsWhatIsLeftThenEnds(t *testing.T) {
	n, srv, _, a := setup(t)
	r := open(t, n, a, config("/p", DownloadBeforeOpen))
	srv.delay = func(m protocol.Message) time.Duration {
		if m.Type() == protocol.TypeUpload {
			return 10 * time.Second
		}
		return 0
	}
	addDog(t, r, 1, "Rex")
	r.Close()
	assert.Equal(t, Dying, r.Session().State())
	n.run(time.Minute)
	assert.Equal(t, Inactive, r.Session().State())
	assert.Len(t, srv.received(protocol.TypeUnbind), 1)
	require.Len(t, srv.realm("/p").history, 2, "the write was uploaded before the session ended")
	_, err := r.Write(func(*replica.Tx) error { return nil })
	assert.Error(t, err, "the replica is closed")
}

func TestLogOutStopsTheUsersSessionsUntilLogin(t *testing.T) {
	n, srv, a, r, _, w := erroring(t, false)
	u := a.CurrentUser()
	require.NoError(t, a.LogOut(u))
	assert.False(t, u.LoggedIn())
	assert.Nil(t, a.CurrentUser())
	assert.Equal(t, Inactive, r.Session().State())
	require.True(t, w.done)
	assert.ErrorIs(t, w.err, ErrLoggedOut)
	n.run(time.Second)
	assert.NotEmpty(t, srv.received(protocol.TypeUnbind))
	addDog(t, r, 1, "offline while logged out")
	logIn(t, n, a, "u")
	n.run(time.Second)
	assert.Equal(t, Active, r.Session().State())
	assert.Equal(t, r.Replica().Version(), r.Replica().Acked().ClientVersion, "synced again")
}
