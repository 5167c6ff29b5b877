package client

import (
	"errors"
	"fmt"

	"github.com/syncsim/syncsim/engine/protocol"
)

// Errors the client reports; test for them with errors.Is.
var (
	// ErrTimeout is wrapped by the error of a request or wait that timed
	// out.
	ErrTimeout = errors.New("timed out")
	// ErrWrongKey is wrapped by the error of opening app metadata with a
	// key other than the one it was encrypted with (or with a key when it
	// is not encrypted, or without one when it is).
	ErrWrongKey = errors.New("wrong metadata encryption key")
	// ErrNoUser is wrapped when a realm is opened with no user given and
	// no logged-in user cached.
	ErrNoUser = errors.New("no logged-in user")
	// ErrLoggedOut is wrapped when a realm is opened for a user who is
	// logged out.
	ErrLoggedOut = errors.New("user is logged out")
	// ErrSessionClosed is wrapped by the error of a wait cancelled because
	// its session closed.
	ErrSessionClosed = errors.New("sync session closed")
	// ErrConnectionLost is wrapped by the non-fatal error of a wait
	// cancelled because the connection broke (see
	// RealmConfig.CancelWaitsOnNonFatalErrors).
	ErrConnectionLost = errors.New("connection to the server lost")
)

// SyncError is an error the server reported for a session (or for the
// whole connection) with the action it asks of the client. Fatal errors
// stop the session; the others (a transient error, a compensating write)
// leave it syncing.
type SyncError struct {
	Code    protocol.ErrorCode
	Action  protocol.Action
	Message string
	// Compensation is, for a CompensatingWrite, the changeset (by client
	// version) whose writes the server reverted and what it reverted.
	Compensation *protocol.Compensation
	// Local is, for an error the client raised itself (integrating a
	// download failed), what failed; nil for the server's errors.
	Local error
}

// Unwrap returns the local cause, if any.
func (e *SyncError) Unwrap() error { return e.Local }

func newSyncError(e *protocol.Error) *SyncError {
	return &SyncError{Code: e.Code, Action: e.Action, Message: e.Message, Compensation: e.Compensation}
}

func (e *SyncError) Error() string {
	return fmt.Sprintf("sync error %d (%s), action %s: %s", uint16(e.Code), e.Code, e.Action, e.Message)
}

// Fatal reports whether the error stops the session: every action but
// retry and revert.
func (e *SyncError) Fatal() bool {
	return e.Action != protocol.ActionRetry && e.Action != protocol.ActionRevert
}

// LogInError is the server's refusal of a login.
type LogInError struct {
	Provider string
	Code     protocol.ErrorCode
	Message  string
}

func (e *LogInError) Error() string {
	return fmt.Sprintf("log in with provider %q refused: %s: %s", e.Provider, e.Code, e.Message)
}
