package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/protocol"
)

type report struct{ transferred, transferable uint64 }

func collect(reports *[]report) func(uint64, uint64) {
	return func(done, total uint64) { *reports = append(*reports, report{done, total}) }
}

func TestDownloadProgressReachesTransferredEqualsTransferableInBothModes(t *testing.T) {
	n, srv, _, a := setup(t)
	srv.batch = 1
	srv.delay = func(m protocol.Message) time.Duration {
		if m.Type() == protocol.TypeClientIdent {
			return time.Second // hold the downloads back until the notifications are registered
		}
		return 0
	}
	for pk := range int64(5) {
		srv.foreignDog("/p", pk)
	}
	var opened *Realm
	a.Open(config("/p", OpenImmediately), func(r *Realm, err error) { opened = r })
	require.NotNil(t, opened)
	s := opened.Session()
	var always, outstanding []report
	s.AddProgressNotification(Download, ReportIndefinitely, collect(&always))
	s.AddProgressNotification(Download, ForCurrentlyOutstandingWork, collect(&outstanding))
	assert.Empty(t, always, "no report before anything is known of the download")
	n.run(5 * time.Second)

	require.Len(t, always, 5, "one report per DOWNLOAD of one changeset")
	last := always[len(always)-1]
	assert.Equal(t, last.transferred, last.transferable)
	assert.Greater(t, last.transferred, uint64(0))
	for i := 1; i < len(always); i++ {
		assert.Greater(t, always[i].transferred, always[i-1].transferred)
		assert.Equal(t, always[0].transferable, always[i].transferable, "nothing new arrived meanwhile")
	}
	assert.Equal(t, always, outstanding)

	// More work: only the indefinite registration sees it.
	srv.foreignDog("/p", 9)
	n.run(time.Second)
	assert.Len(t, always, 6)
	assert.Len(t, outstanding, 5, "the outstanding-work registration ended at transferred == transferable")
	last = always[len(always)-1]
	assert.Equal(t, last.transferred, last.transferable)
}

func TestUploadProgressReachesTransferredEqualsTransferableInBothModes(t *testing.T) {
	n, srv, _, a := setup(t)
	r := open(t, n, a, config("/p", DownloadBeforeOpen))
	s := r.Session()
	n.net.Isolate("server")
	n.run(5 * time.Second)
	addDog(t, r, 1, "a")
	addDog(t, r, 2, "b")
	var always, outstanding []report
	s.AddProgressNotification(Upload, ReportIndefinitely, collect(&always))
	s.AddProgressNotification(Upload, ForCurrentlyOutstandingWork, collect(&outstanding))
	require.Len(t, always, 1, "reported at once: the upload progress is known locally")
	pending := always[0].transferable - always[0].transferred
	assert.Greater(t, pending, uint64(0))
	addDog(t, r, 3, "c")
	require.Len(t, always, 2)
	assert.Greater(t, always[1].transferable, always[0].transferable, "a new commit adds transferable bytes")
	assert.Len(t, outstanding, 1, "the outstanding work is what was pending at registration")

	_ = srv
	n.net.Rejoin("server")
	n.run(5 * time.Minute)
	last := always[len(always)-1]
	assert.Equal(t, last.transferred, last.transferable)
	lastOut := outstanding[len(outstanding)-1]
	assert.Equal(t, report{always[0].transferable, always[0].transferable}, lastOut)
	addDog(t, r, 4, "d")
	n.run(time.Second)
	assert.Equal(t, lastOut, outstanding[len(outstanding)-1], "ended")
	last = always[len(always)-1]
	assert.Equal(t, last.transferred, last.transferable)
}

func TestConnectionStateNotificationsFollowTheConnection(t *testing.T) {
	n, _, _, a := setup(t)
	var changes [][2]ConnectionState
	var opened *Realm
	a.Open(config("/p", OpenImmediately), func(r *Realm, err error) { opened = r })
	require.NotNil(t, opened)
	s := opened.Session()
	s.AddConnectionStateListener(func(old, new ConnectionState) { changes = append(changes, [2]ConnectionState{old, new}) })
	n.run(time.Second)
	n.net.Disconnect("client")
	n.run(time.Minute)
	s.Pause()
	s.Resume()
	n.run(time.Second)
	// The connection closes when nothing needs it (after the login, and
	// when the only session pauses).
	assert.Equal(t, [][2]ConnectionState{
		{Connecting, Connected},                                                        // the open (Connecting came before the listener)
		{Connected, Disconnected}, {Disconnected, Connecting}, {Connecting, Connected}, // the break and reconnect
		{Connected, Disconnected},                           // pause
		{Disconnected, Connecting}, {Connecting, Connected}, // resume
	}, changes)
}
