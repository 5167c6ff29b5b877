package client

import (
	"fmt"
	"slices"
	"time"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/mutant"
	"github.com/syncsim/syncsim/engine/protocol"
)

// wait is a pending WaitForUpload or WaitForDownload.
type wait struct {
	download bool
	// target: for an upload wait, the local version that must be
	// acknowledged; for a download wait, the least MARK request ident
	// whose echo completes it.
	target uint64
	cb     func(error)
	timer  env.Timer
}

// WaitForUpload calls cb once every local change committed before the
// call is uploaded and acknowledged by the server (at once if it already
// is). With RealmConfig.CancelWaitsOnNonFatalErrors, the wait is cancelled
// with an error by a non-fatal error or when timeout (the app's
// RequestTimeout if 0) passes; without it, only a fatal error or the
// session closing cancels it.
func (s *Session) WaitForUpload(timeout time.Duration, cb func(error)) {
	s.addWait(&wait{target: s.r.Version(), cb: cb}, timeout)
	s.checkUploadWaits()
}

// WaitForDownload calls cb once every change the server had when the
// wait began has been downloaded and integrated: the server has echoed a
// MARK sent after the wait began. Cancellation as for WaitForUpload.
func (s *Session) WaitForDownload(timeout time.Duration, cb func(error)) {
	w := &wait{download: true, target: s.marks + 1, cb: cb}
	s.addWait(w, timeout)
	if s.identified {
		s.sendMark()
	}
}

func (s *Session) sendMark() {
	s.marks++
	s.c.conn.send(&protocol.Mark{SessionIdent: s.ident, RequestIdent: s.marks})
}

func (s *Session) addWait(w *wait, timeout time.Duration) {
	if s.state == Inactive && !s.waitingLogin {
		err := s.err
		if err == nil {
			err = ErrSessionClosed
		}
		s.c.h.after(0, func() { w.cb(fmt.Errorf("session %q: %w", s.cfg.Path, err)) })
		return
	}
	s.waits = append(s.waits, w)
	if !s.cfg.CancelWaitsOnNonFatalErrors {
		return
	}
	if timeout <= 0 {
		timeout = s.c.cfg.RequestTimeout
	}
	w.timer = s.c.h.after(timeout, func() {
		w.timer = nil
		s.finishWaits(func(x *wait) bool { return x == w },
			fmt.Errorf("session %q: wait not complete within %v: %w", s.cfg.Path, timeout, ErrTimeout))
	})
}

// checkUploadWaits completes the upload waits whose changes are
// acknowledged.
func (s *Session) checkUploadWaits() {
	acked := s.r.Acked().ClientVersion
	if s.c.cfg.Mutants.Has(mutant.UploadWaitBeforeAck) {
		acked = max(acked, s.sent) // MUTANT upload-wait-before-ack: sent counts as acknowledged
	}
	s.finishWaits(func(w *wait) bool { return !w.download && w.target <= acked }, nil)
}

// cancelWaits ends every pending wait with err.
func (s *Session) cancelWaits(err error) {
	s.finishWaits(func(*wait) bool { return true }, err)
}

// finishWaits ends the waits that match with err (nil: completed), in the
// order they began.
func (s *Session) finishWaits(match func(*wait) bool, err error) {
	var done []*wait
	s.waits = slices.DeleteFunc(s.waits, func(w *wait) bool {
		if match(w) {
			done = append(done, w)
			return true
		}
		return false
	})
	for _, w := range done {
		w.timer = stop(w.timer)
		w.cb(err)
	}
}
