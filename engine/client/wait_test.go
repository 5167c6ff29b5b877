package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/protocol"
)

func TestWaitForUploadCompletesWhenTheServerAcknowledges(t *testing.T) {
	n, srv, _, a := setup(t)
	r := open(t, n, a, config("/p", DownloadBeforeOpen))
	srv.delay = func(m protocol.Message) time.Duration {
		if m.Type() == protocol.TypeUpload {
			return 5 * time.Second // the server takes 5 s to make an upload durable
		}
		return 0
	}
	addDog(t, r, 1, "Rex")
	var w waitResult
	r.Session().WaitForUpload(0, w.cb(n))
	start := n.now()
	addDog(t, r, 2, "committed after the wait began")
	n.run(time.Minute)
	require.True(t, w.done)
	require.NoError(t, w.err)
	assert.Equal(t, start+latency+5*time.Second+latency, w.at, "completes at the acknowledgement, not at the upload")
}

func TestWaitForUploadWithNothingToUploadCompletesAtOnce(t *testing.T) {
	n, _, _, a := setup(t)
	r := open(t, n, a, config("/p", DownloadBeforeOpen))
	n.run(time.Second)
	var w waitResult
	r.Session().WaitForUpload(0, w.cb(n))
	start := n.now()
	n.run(0)
	require.True(t, w.done)
	assert.NoError(t, w.err)
	assert.Equal(t, start, w.at)
}

func TestWaitForDownloadCompletesAtTheMarkEchoAfterEarlierChanges(t *testing.T) {
	n, srv, _, a := setup(t)
	r := open(t, n, a, config("/p", DownloadBeforeOpen))
	srv.delay = func(m protocol.Message) time.Duration {
		if m.Type() == protocol.TypeMark {
			return 3 * time.Second
		}
		return 0
	}
	var w waitResult
	r.Session().WaitForDownload(0, w.cb(n))
	start := n.now()
	srv.foreignDog("/p", 7)
	n.run(2 * time.Second)
	assert.True(t, r.State().Exists("Dog", changeset.IntPK(7)))
	assert.False(t, w.done, "the MARK has not come back yet")
	n.run(time.Minute)
	require.True(t, w.done)
	require.NoError(t, w.err)
	assert.Equal(t, start+latency+3*time.Second+latency, w.at)
	marks := srv.received(protocol.TypeMark)
	require.NotEmpty(t, marks)
}

func TestWaitForDownloadBegunOfflineCompletesAfterReconnecting(t *testing.T) {
	n, srv, _, a := setup(t)
	r := open(t, n, a, config("/p", DownloadBeforeOpen))
	n.net.Isolate("client")
	n.run(10 * time.Second)
	var w waitResult
	r.Session().WaitForDownload(0, w.cb(n))
	srv.foreignDog("/p", 3) // the server has it; the client cannot get it yet
	n.run(time.Minute)
	assert.False(t, w.done)
	n.net.Rejoin("client")
	n.run(5 * time.Minute)
	require.True(t, w.done)
	require.NoError(t, w.err)
	assert.True(t, r.State().Exists("Dog", changeset.IntPK(3)), "completes only with the server's changes integrated")
}

func TestTimedOutWaitCancelsOnlyWithCancelWaitsOnNonFatalErrors(t *testing.T) {
	for _, cancel := range []bool{true, false} {
		t.Run(map[bool]string{true: "cancel", false: "keep waiting"}[cancel], func(t *testing.T) {
			n, srv, _, a := setup(t)
			cfg := config("/p", DownloadBeforeOpen)
			cfg.CancelWaitsOnNonFatalErrors = cancel
			r := open(t, n, a, cfg)
			srv.delay = func(m protocol.Message) time.Duration { // a slow server
				if m.Type() == protocol.TypeUpload || m.Type() == protocol.TypeMark {
					return 2 * time.Minute
				}
				return 0
			}
			addDog(t, r, 1, "Rex")
			var up, down, def waitResult
			start := n.now()
			r.Session().WaitForUpload(20*time.Second, up.cb(n))
			r.Session().WaitForDownload(20*time.Second, down.cb(n))
			r.Session().WaitForDownload(0, def.cb(n)) // the app's RequestTimeout: 30 s
			n.run(time.Minute)
			if cancel {
				for _, w := range []waitResult{up, down} {
					require.True(t, w.done)
					assert.ErrorIs(t, w.err, ErrTimeout)
					assert.Equal(t, start+20*time.Second, w.at)
				}
				require.True(t, def.done)
				assert.ErrorIs(t, def.err, ErrTimeout)
				assert.Equal(t, start+30*time.Second, def.at)
				return
			}
			assert.False(t, up.done || down.done || def.done, "no timeout without cancelWaitsOnNonFatalErrors")
			n.run(2 * time.Minute)
			for _, w := range []waitResult{up, down, def} {
				require.True(t, w.done)
				assert.NoError(t, w.err, "it kept waiting and completed")
			}
		})
	}
}

func TestNonFatalErrorCancelsWaitsOnlyWithCancelWaitsOnNonFatalErrors(t *testing.T) {
	for _, cancel := range []bool{true, false} {
		t.Run(map[bool]string{true: "cancel", false: "keep waiting"}[cancel], func(t *testing.T) {
			n, srv, _, a := setup(t)
			cfg := config("/p", DownloadBeforeOpen)
			cfg.CancelWaitsOnNonFatalErrors = cancel
			r := open(t, n, a, cfg)
			srv.hold = func(m protocol.Message) bool { return m.Type() == protocol.TypeMark }
			var w waitResult
			r.Session().WaitForDownload(time.Hour, w.cb(n))
			n.run(time.Second)
			n.net.Disconnect("client")
			n.run(detectDelay)
			if cancel {
				require.True(t, w.done)
				assert.ErrorIs(t, w.err, ErrConnectionLost)
				return
			}
			assert.False(t, w.done)
			srv.hold = nil
			n.run(time.Minute)
			require.True(t, w.done)
			assert.NoError(t, w.err)
		})
	}
}
